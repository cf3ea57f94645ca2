"""Drawing backends of the code generators: how a model's code is found in its reply and drawn.

A backend is registered by name (``matplotlib``, ``tikz``); ImgCoder's spec parameter ``backend``
picks one, and the ``reference`` generator renders a problem's gold code with it::

    backend = get_backend("tikz")
    parsed = backend.parse(reply_text, truncated=False)     # ParsedReply: plan + code
    result = await backend.render(ctx, parsed.code, dpi=150, timeout_s=20, memory_mb=1024)
"""

from __future__ import annotations

from core.generation.backends.base import BACKENDS, Backend, backend_names, get_backend, register_backend

# Importing the backend modules registers them.
from core.generation.backends import matplotlib, tikz  # noqa: E402,F401  isort: skip

__all__ = ["BACKENDS", "Backend", "backend_names", "get_backend", "register_backend"]
