"""Start the dashboard: ``python -m dashboard.serve [SCRIPT] [streamlit run options]``.

Why not plain ``streamlit run``: Streamlit treats a folder named ``pages/`` beside the entry script
as a legacy (v1) multipage app until ``st.navigation`` first runs. When the first request after
the server starts is a deep link (``/explorer?subject=Physics``), the legacy mode runs that page
file alone and then sticks for the life of the server: wrong sidebar, no shared page config.
Our ``pages/`` holds ``st.navigation`` pages, so the legacy mode is switched off before start.
"""

from __future__ import annotations

import sys

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

DEFAULT_SCRIPT = "streamlit_app.py"


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0].startswith("-"):
        args = [DEFAULT_SCRIPT, *args]
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", *args]
    cli.main()


if __name__ == "__main__":
    main()
