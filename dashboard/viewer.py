"""Who may do what on this dashboard: full local use, or viewer mode (``scigen serve --viewer``)
where nothing is written except reviews by signed-in, allow-listed reviewers.

Sign-in is Streamlit's OIDC (``st.login``); the allow-list is ``[reviewers] allow = [emails]`` in
``.streamlit/secrets.toml`` beside the ``[auth]`` section.
"""

from __future__ import annotations

import streamlit as st

from core.serving import sign_in_mode, viewer_mode

__all__ = ["allowed_reviewers", "may_save_reviews", "sign_in_gate", "sign_in_mode", "signed_in_email", "viewer_mode"]


def allowed_reviewers() -> frozenset[str]:
    try:
        emails = st.secrets.get("reviewers", {}).get("allow", [])
    except (FileNotFoundError, KeyError, AttributeError):
        return frozenset()
    except Exception:  # noqa: BLE001 - a secrets file that does not parse allows nobody
        return frozenset()
    return frozenset(str(email).strip().lower() for email in emails)


def signed_in_email() -> str | None:
    """The signed-in reviewer's email, or None (not signed in, or sign-in not configured)."""
    try:
        if st.user.is_logged_in:
            email = st.user.get("email")
            return str(email).strip().lower() if email else None
    except Exception:  # noqa: BLE001 - st.user without an [auth] section: nobody is signed in
        return None
    return None


def may_save_reviews() -> tuple[bool, str]:
    """(allowed, why not): locally always; in viewer mode or with sign-in only for a signed-in
    reviewer on the allow-list."""
    if not viewer_mode() and not sign_in_mode():
        return True, ""
    email = signed_in_email()
    if email is None:
        return False, "This workspace is shared read-only; sign in to save reviews."
    if email not in allowed_reviewers():
        return False, f"{email} is not on this workspace's reviewer list; ratings are not saved."
    return True, ""


def sign_in_gate() -> None:
    """With sign-in on and viewer mode off (the full dashboard on a network), nothing is shown to
    anyone but a signed-in reviewer on the allow-list: the Workbench starts paid jobs."""
    if not sign_in_mode() or viewer_mode():
        return
    email = signed_in_email()
    if email is not None and email in allowed_reviewers():
        return
    st.title("SciGen Studio")
    if email is None:
        st.info("This dashboard is for signed-in reviewers of this workspace.")
        st.button("Sign in", key="gate_sign_in", on_click=st.login, type="primary")
    else:
        st.warning(f"{email} is not on this workspace's reviewer list.")
        st.button("Sign out", key="gate_sign_out", on_click=st.logout)
    st.stop()
