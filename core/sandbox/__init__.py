"""Sandboxed renderer: run model-written plotting code fast, isolated, and introspected.

Public API::

    from core.sandbox import render, RenderPool, RenderResult, FigureFacts, ErrorClass, check_isolation

    result = render(code, timeout_s=10, memory_mb=1024, dpi=150)
    if result.ok:
        png = result.png                  # bytes
        result.facts.texts                # every drawn text with its pixel box and font size
        result.facts.overlaps             # pairs of overlapping texts
    else:
        result.error_class, result.error, result.error_line, result.traceback_tail

    with RenderPool(SandboxConfig(workers=4)) as pool:   # many renders; thread- and asyncio-safe
        futures = [pool.submit(code) for code in scripts]
        result = await pool.arender(code)

How it works: a warm parent process imports the plotting stack once and forks a fresh child per
script (see :mod:`core.sandbox.zygote`). Isolation is layered, each layer independent of the
others (``check_isolation()`` / ``scigen render --check`` reports and verifies them):

* fresh process per script, scrubbed environment, fresh tmpfs working folder;
* mount namespace with a private read-only root holding only library folders (no /proc, /etc,
  /home, /tmp, project or workspace), network namespace without interfaces, own unprivileged
  user id with no capabilities and no-new-privileges;
* rlimits on CPU time, address space, file size and processes/threads; a wall-clock timeout that
  kills the whole process group;
* an audit hook on files, network, process launch, ctypes, imports outside the offered libraries
  and interpreter introspection; a tamper check on the renderer; HMAC-signed results.

Libraries available inside: ``AVAILABLE_LIBRARIES`` (matplotlib, numpy, scipy, sympy, networkx,
schemdraw, rdkit, matplotlib_venn) and the standard library. Fonts are Matplotlib's bundled ones.
Which figure is returned: see :mod:`core.sandbox.capture` (``CAPTURE_RULE``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.sandbox.spec import AVAILABLE_LIBRARIES, RenderLimits, SandboxConfig

if TYPE_CHECKING:
    from core.sandbox.models import (
        AxesBox,
        ErrorClass,
        FigureFacts,
        IsolationLayer,
        IsolationReport,
        RenderResult,
        TextBox,
        TextOutside,
        TextOverlap,
    )
    from core.sandbox.pool import RenderPool, SandboxUnavailable, check_isolation, default_pool, render

# The warm parent imports this package too; the host-side names (pydantic models, the pool) load
# lazily so that process stays lean.
_LAZY = {
    "render": "core.sandbox.pool", "RenderPool": "core.sandbox.pool", "check_isolation": "core.sandbox.pool",
    "default_pool": "core.sandbox.pool", "SandboxUnavailable": "core.sandbox.pool",
    "RenderResult": "core.sandbox.models", "FigureFacts": "core.sandbox.models",
    "ErrorClass": "core.sandbox.models", "TextBox": "core.sandbox.models", "AxesBox": "core.sandbox.models",
    "TextOverlap": "core.sandbox.models", "TextOutside": "core.sandbox.models",
    "IsolationLayer": "core.sandbox.models", "IsolationReport": "core.sandbox.models",
    "CAPTURE_RULE": "core.sandbox.rules",
}

__all__ = [
    "AVAILABLE_LIBRARIES", "AxesBox", "CAPTURE_RULE", "ErrorClass", "FigureFacts", "IsolationLayer",
    "IsolationReport", "RenderLimits", "RenderPool", "RenderResult", "SandboxConfig", "SandboxUnavailable",
    "TextBox", "TextOutside", "TextOverlap", "check_isolation", "default_pool", "render",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'core.sandbox' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
