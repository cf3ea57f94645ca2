"""Drawing backends of the code generators: how a model's code is found in its reply and drawn.

A backend is registered by name (``matplotlib``, ``tikz``); ImgCoder's spec parameter ``backend``
picks one, and the ``reference`` generator renders a problem's gold code with it::

    backend = get_backend("tikz")
    parsed = backend.parse(reply_text, truncated=False)     # ParsedReply: plan + code
    result = await backend.render(ctx, parsed.code, dpi=150, timeout_s=20, memory_mb=1024)
"""

from __future__ import annotations

from typing import Any

from core.generation.backends.base import BACKENDS, Backend, backend_names, get_backend, register_backend

# Importing the backend modules registers them.
from core.generation.backends import matplotlib, tikz  # noqa: E402,F401  isort: skip

DEFAULT_BACKEND = "matplotlib"
"""What a spec without the ``backend`` key draws with (specs from before backends existed)."""


def run_backend(spec_name: str | None, spec_params: Any) -> str | None:
    """The backend a stored run's spec draws with (``Run.spec_params`` or a spec's params); None
    for generators that draw no code (pixel, imported, text-card) or are not registered here."""
    from core.generation.base import registered_generators

    generator = registered_generators().get(spec_name or "")
    if generator is None or not generator.takes_backend:
        return None
    return dict(spec_params or {}).get("backend", DEFAULT_BACKEND)


def backend_label(name: str | None) -> str:
    """How run labels and tables name a backend (its ``short_label``; the name itself when
    unknown; "" for None, a run that draws no code)."""
    if name is None:
        return ""
    backend = BACKENDS.get(name)
    return backend.short_label if backend is not None else name


__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Backend", "backend_label", "backend_names", "get_backend",
           "register_backend", "run_backend"]
