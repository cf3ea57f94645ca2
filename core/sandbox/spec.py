"""Specs of the sandbox: per-render limits and per-pool configuration (frozen dataclasses)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Literal

# What a script may import inside the sandbox (besides the standard library). The generation
# prompt offers this list; everything else fails with ModuleNotFoundError.
AVAILABLE_LIBRARIES: tuple[str, ...] = (
    "matplotlib",
    "numpy",
    "scipy",
    "sympy",
    "networkx",
    "schemdraw",
    "rdkit",
    "matplotlib_venn",
)

# Imported once by the warm parent so each render starts with them loaded (a fork shares them).
DEFAULT_PRELOAD: tuple[str, ...] = (
    "math", "random", "itertools", "collections", "dataclasses", "functools", "fractions",
    "decimal", "statistics", "textwrap", "string", "re", "json", "enum", "typing",
    "numpy", "matplotlib", "matplotlib.pyplot", "matplotlib.patches", "matplotlib.lines",
    "matplotlib.collections", "matplotlib.colors", "matplotlib.cm", "matplotlib.ticker",
    "matplotlib.gridspec", "matplotlib.path", "matplotlib.transforms", "matplotlib.patheffects",
    "matplotlib.table", "matplotlib.offsetbox", "matplotlib.backends.backend_svg",
    "mpl_toolkits.mplot3d", "mpl_toolkits.axes_grid1",
    "scipy", "scipy.integrate", "scipy.optimize", "scipy.interpolate", "scipy.signal",
    "scipy.stats", "scipy.special", "scipy.spatial", "scipy.linalg",
    "sympy", "networkx", "schemdraw", "schemdraw.elements", "matplotlib_venn",
    "rdkit.Chem", "rdkit.Chem.AllChem", "rdkit.Chem.Draw",
    "PIL.Image", "PIL.PngImagePlugin",
)


@dataclass(frozen=True)
class RenderLimits:
    """Limits of one render."""

    timeout_s: float = 10.0
    """Wall-clock limit; on expiry the script's whole process group is killed."""
    cpu_s: float | None = None
    """CPU-time limit (RLIMIT_CPU); None means the same as ``timeout_s``."""
    memory_mb: int = 1024
    """Address space the script may add on top of the warmed interpreter (RLIMIT_AS)."""
    output_mb: int = 32
    """Largest file the script may write (RLIMIT_FSIZE) and largest PNG returned."""
    max_pixels: int = 40_000_000
    """Largest canvas (width x height) Matplotlib may allocate."""
    max_threads: int = 32
    """Processes + threads of the script (RLIMIT_NPROC on its own user id)."""

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s}")
        if self.cpu_s is not None and not self.cpu_s > 0:
            raise ValueError(f"cpu_s must be > 0, got {self.cpu_s}")
        for name in ("memory_mb", "output_mb", "max_pixels", "max_threads"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    @property
    def effective_cpu_s(self) -> float:
        return self.cpu_s if self.cpu_s is not None else self.timeout_s

    def to_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


NamespaceMode = Literal["auto", "root", "user", "off"]
Engine = Literal["python", "tex"]


@dataclass(frozen=True)
class SandboxConfig:
    """How a pool isolates its renders. Every layer is on by default; tests turn single layers off
    to show that each one holds on its own."""

    workers: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    """Renders running at the same time."""
    spares: int = 1
    """Pre-forked children kept ready so a render does not wait for fork()."""
    namespaces: NamespaceMode = "auto"
    """auto: mount+network namespaces as root, else through a user namespace, else none.
    root / user force one way (failing if impossible); off disables them."""
    audit_hooks: bool = True
    """In-interpreter guards (sys.addaudithook) on files, network, processes, ctypes, tampering."""
    drop_privileges: bool = True
    """Run each script under its own unprivileged user id (root only)."""
    disk_mb: int = 256
    """Size of each script's private temporary working folder (tmpfs)."""
    preload: tuple[str, ...] = DEFAULT_PRELOAD
    """Modules the warm parent imports once."""
    start_timeout_s: float = 120.0
    """How long to wait for the warm parent to import everything and report ready."""
    engine: Engine = "python"
    """python: children run plotting scripts; tex: children run pdflatex on TeX sources
    (see :mod:`core.sandbox.tex`), the warm parent imports no plotting stack."""
    extra_read_only: tuple[str, ...] = ()
    """Host folders or files added read-only to the private root (the TeX engine's trees,
    binaries and prebuilt format)."""

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")
        if self.spares < 0:
            raise ValueError(f"spares must be >= 0, got {self.spares}")
        if self.engine not in ("python", "tex"):
            raise ValueError(f"engine must be python or tex, got {self.engine!r}")
        if self.namespaces not in ("auto", "root", "user", "off"):
            raise ValueError(f"namespaces must be auto, root, user or off, got {self.namespaces!r}")

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["preload"] = list(self.preload)
        data["extra_read_only"] = list(self.extra_read_only)
        return data
