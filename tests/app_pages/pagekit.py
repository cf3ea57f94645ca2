"""Opening dashboard pages in AppTest, the way the page tests do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = str(PROJECT_ROOT / "streamlit_app.py")


def page_runner(script: str, timeout_s: float = 60) -> Callable[..., AppTest]:
    """``run_page(**query_params)`` for ``app_pages/<script>``: a fresh session's run with those URL
    parameters, as a shared link opens it."""
    path = str(PROJECT_ROOT / "app_pages" / script)

    def run_page(**query_params: str) -> AppTest:
        at = AppTest.from_file(path, default_timeout=timeout_s)
        at.query_params.update(query_params)
        return at.run()

    return run_page
