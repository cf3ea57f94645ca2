"""The single import of LiteLLM, deferred (it takes seconds) and configured for offline use.

``LITELLM_LOCAL_MODEL_COST_MAP=True`` makes LiteLLM read its bundled price list instead of
fetching one from GitHub at import; telemetry and the "Give Feedback" banners are switched off.
"""

from __future__ import annotations

import logging
import os
import threading
from types import ModuleType

_lock = threading.Lock()
_module: ModuleType | None = None


class _DropLoopChangeNotice(logging.Filter):
    """LiteLLM warns when its logging worker moves to a new event loop, which every
    ``asyncio.run`` does; harmless here, and noisy in tests and CLIs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "event loop changed" not in record.getMessage()


def litellm_module() -> ModuleType:
    """The configured ``litellm`` module (imported on first use)."""
    global _module
    if _module is not None:
        return _module
    with _lock:
        if _module is None:
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            os.environ.setdefault("LITELLM_TELEMETRY", "False")
            import litellm

            litellm.suppress_debug_info = True
            litellm.telemetry = False
            litellm.set_verbose = False
            for name in ("LiteLLM", "LiteLLM Proxy", "LiteLLM Router"):
                logging.getLogger(name).addFilter(_DropLoopChangeNotice())
            _module = litellm
    return _module
