"""Who may save reviews: everyone locally; in viewer mode or with sign-in only allow-listed,
signed-in reviewers."""

from __future__ import annotations

import pytest

from core.serving import SIGN_IN_ENV, VIEWER_ENV
from dashboard import viewer


@pytest.fixture
def signed_in(monkeypatch):
    def sign_in(email: str | None, allowed: tuple[str, ...] = ()) -> None:
        monkeypatch.setattr(viewer, "signed_in_email", lambda: email)
        monkeypatch.setattr(viewer, "allowed_reviewers", lambda: frozenset(allowed))

    return sign_in


def test_the_local_full_dashboard_saves_for_anyone(monkeypatch, signed_in):
    monkeypatch.delenv(VIEWER_ENV, raising=False)
    monkeypatch.delenv(SIGN_IN_ENV, raising=False)
    signed_in(None)
    assert viewer.may_save_reviews() == (True, "")


@pytest.mark.parametrize("mode", [VIEWER_ENV, SIGN_IN_ENV])
def test_shared_modes_save_only_for_allow_listed_reviewers(monkeypatch, signed_in, mode):
    monkeypatch.setenv(mode, "1")
    signed_in(None, ("pi@lab.org",))
    allowed, why = viewer.may_save_reviews()
    assert not allowed and "sign in" in why
    signed_in("guest@elsewhere.org", ("pi@lab.org",))
    allowed, why = viewer.may_save_reviews()
    assert not allowed and "guest@elsewhere.org is not on this workspace's reviewer list" in why
    signed_in("pi@lab.org", ("pi@lab.org",))
    assert viewer.may_save_reviews() == (True, "")


def test_without_a_secrets_file_nobody_is_allow_listed(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert viewer.allowed_reviewers() == frozenset()
    assert viewer.signed_in_email() is None
