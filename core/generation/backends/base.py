"""The backend interface and its registry."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from core.generation.base import GenerationContext
    from core.generation.parsing import ParsedReply
    from core.problems import Problem
    from core.sandbox.models import RenderResult

BACKENDS: dict[str, Backend] = {}


class Backend(ABC):
    """How code of one language becomes a figure."""

    name: ClassVar[str]
    label: ClassVar[str]
    short_label: ClassVar[str]
    """The name run labels and table columns show (e.g. "TikZ")."""
    file_extension: ClassVar[str]
    """Of a file holding this backend's code (downloads, ``scigen render FILE``)."""
    prompt_version: ClassVar[str]
    """The ImgCoder prompt version new specs with this backend get."""
    uses_render_pool: ClassVar[bool] = False
    """True when it renders in the sandbox's warm Python pool (a job then provides one); a
    backend with its own sandbox path (TeX) starts that on first use."""

    @abstractmethod
    def parse(self, text: str | None, *, truncated: bool = False) -> ParsedReply:
        """The Plan and the code in a model's reply."""

    @abstractmethod
    def unavailable(self, ctx: GenerationContext) -> tuple[str, str] | None:
        """(error class, message) when this backend cannot render in ``ctx``; None when it can."""

    @abstractmethod
    async def render(self, ctx: GenerationContext, code: str, *, dpi: float | None, timeout_s: float,
                     memory_mb: int, svg: bool = False) -> RenderResult:
        """Render ``code`` in the sandbox; never raises for anything the code does."""

    @abstractmethod
    def reference_code(self, problem: Problem) -> str | None:
        """The problem's gold code for this backend, if it has one."""


def register_backend(backend: type[Backend]) -> type[Backend]:
    BACKENDS[backend.name] = backend()
    return backend


def backend_names() -> list[str]:
    return sorted(BACKENDS)


def get_backend(name: str) -> Backend:
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r} (known: {', '.join(backend_names())})") from None
