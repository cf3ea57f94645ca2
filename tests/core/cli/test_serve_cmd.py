"""``scigen serve``: binding beyond this machine only in viewer mode or with sign-in."""

from __future__ import annotations

import pytest

from core.serving import binding_refusal, is_loopback, without_secrets


@pytest.fixture
def scigen(scigen_with, tmp_path):
    return scigen_with("core.cli.serve_cmd", tmp_path / "home")


def test_full_dashboard_on_all_interfaces_is_refused_with_the_reason(scigen):
    status, out, err = scigen("serve", "--host", "0.0.0.0", "--dry-run")
    assert status != 0 and out == ""
    assert "refusing to serve the full dashboard on 0.0.0.0" in err and "--viewer" in err


def test_viewer_mode_may_bind_beyond_loopback_and_warns(scigen):
    status, out, err = scigen("serve", "--viewer", "--host", "0.0.0.0", "--port", "8600", "--dry-run")
    assert status == 0
    assert "--server.address 0.0.0.0 --server.port 8600" in out and "SCIGEN_VIEWER=1" in out
    assert "warning: serving the read-only viewer on 0.0.0.0:8600" in err


def test_local_full_dashboard_needs_no_flag(scigen):
    status, out, err = scigen("serve", "--dry-run")
    assert status == 0 and "--server.address 127.0.0.1" in out and "SCIGEN_VIEWER=0" in out and err == ""


def test_sign_in_without_auth_secrets_is_refused(scigen, monkeypatch):
    monkeypatch.setattr("core.cli.serve_cmd._secrets_have_auth", lambda: False)
    status, _, err = scigen("serve", "--sign-in", "--host", "0.0.0.0", "--dry-run")
    assert status != 0 and "[auth]" in err


def test_loopback_and_secret_rules():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("lab-server")
    assert binding_refusal("192.168.1.5", viewer=False, sign_in=False)
    assert binding_refusal("192.168.1.5", viewer=True, sign_in=False) is None
    kept = without_secrets({"OPENAI_API_KEY": "x", "GEMINI_API_KEY": "y", "HF_TOKEN": "z", "PATH": "/bin",
                            "SCIGEN_HOME": "/h"})
    assert kept == {"PATH": "/bin", "SCIGEN_HOME": "/h"}
