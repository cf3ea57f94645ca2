"""How the dashboard may be served: full on this machine, or read-only (viewer mode) for a lab.

``scigen serve`` sets these environment variables for the Streamlit process and the dashboard
reads them (no project imports here: both sides use this one module):

* :data:`VIEWER_ENV` = ``1``: viewer mode. No Workbench pages (Generate, Jobs), no job start, no
  model key in the process environment, nothing written except reviews by signed-in reviewers.
* :data:`SIGN_IN_ENV` = ``1``: reviewers sign in through Streamlit's OIDC (``st.login``, an
  ``[auth]`` section in ``.streamlit/secrets.toml``) and only emails on the allow-list
  (``[reviewers] allow = [...]`` in the same file) may save reviews.

Binding beyond the loopback interface is refused unless viewer mode or sign-in is on: the full
dashboard starts paid model jobs and runs generated code, so it must never face a network.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping

VIEWER_ENV = "SCIGEN_VIEWER"
SIGN_IN_ENV = "SCIGEN_SIGN_IN"
LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})
# Environment variables a viewer process must not inherit: model keys and other secrets.
_SECRET_NAME = re.compile(r"(_KEY$|_API_KEY|_TOKEN|_SECRET|_PASSWORD|^OPENAI_|^ANTHROPIC_|^GEMINI_|^AZURE_)",
                          re.IGNORECASE)


def flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def viewer_mode(env: Mapping[str, str] | None = None) -> bool:
    """True when the dashboard serves read-only (``scigen serve --viewer``)."""
    return flag(os.environ if env is None else env, VIEWER_ENV)


def sign_in_mode(env: Mapping[str, str] | None = None) -> bool:
    """True when reviewers must sign in to save reviews (``scigen serve --sign-in``)."""
    return flag(os.environ if env is None else env, SIGN_IN_ENV)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: only this machine can connect."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def binding_refusal(host: str, *, viewer: bool, sign_in: bool) -> str | None:
    """Why serving on ``host`` is refused, or None when it is allowed."""
    if is_loopback(host) or viewer or sign_in:
        return None
    return (
        f"refusing to serve the full dashboard on {host}: anyone who can reach it could start paid model jobs "
        "and run generated code. Use --viewer (read-only) or --sign-in (reviewers sign in), or bind 127.0.0.1."
    )


def exposure_warning(host: str, port: int, *, viewer: bool, sign_in: bool) -> str | None:
    """What a person serving beyond this machine should know; None on loopback."""
    if is_loopback(host):
        return None
    mode = "read-only viewer" if viewer else "full dashboard behind sign-in"
    reviews = "signed-in reviewers on the allow-list may save reviews" if sign_in else "nobody can save reviews"
    return (f"warning: serving the {mode} on {host}:{port}; everyone who can reach this address can read the "
            f"workspace (problems, figures, scores); {reviews}.")


def without_secrets(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without model keys and other secrets (what a viewer process inherits)."""
    return {name: value for name, value in env.items() if not _SECRET_NAME.search(name)}


class ViewerModeError(PermissionError):
    """Something only the full local dashboard may do was asked for in viewer mode."""


def refuse_in_viewer(action: str, env: Mapping[str, str] | None = None) -> None:
    """Raise :class:`ViewerModeError` in viewer mode: the last guard behind the hidden Workbench
    pages, so no crafted URL or session state can start a job, a generation or a model call."""
    if viewer_mode(env):
        raise ViewerModeError(f"viewer mode is read-only: cannot {action} (serve without --viewer on this machine)")
