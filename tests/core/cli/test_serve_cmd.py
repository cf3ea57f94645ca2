"""``scigen serve``: binding beyond this machine only in viewer mode or with sign-in."""

from __future__ import annotations

from pathlib import Path

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


def _outward_address() -> str | None:
    """This machine's address on its main interface (what another machine of the lab would use)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the route
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.mark.slow
def test_a_viewer_server_answers_on_the_machines_own_address_without_model_keys(tmp_path):
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.browser.streamlit_driver import free_port

    address = _outward_address()
    if address is None:
        pytest.skip("no non-loopback interface on this machine")
    port = free_port()
    env = {**os.environ, "OPENAI_API_KEY": "sk-must-not-reach-the-viewer", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    server = subprocess.Popen([sys.executable, "-m", "core", "--home", str(tmp_path / "home"), "serve", "--viewer",
                               "--host", "0.0.0.0", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://{address}:{port}/_stcore/health", timeout=2) as response:
                    assert response.read() == b"ok"
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the viewer never answered"
                time.sleep(0.3)
        children = [int(pid) for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
        streamlit_env = Path(f"/proc/{children[0]}/environ").read_bytes().split(b"\0")
        assert b"SCIGEN_VIEWER=1" in streamlit_env
        assert not [item for item in streamlit_env if item.startswith(b"OPENAI_API_KEY=")]
    finally:
        for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split():
            os.kill(int(pid), 15)
        server.wait(timeout=20)
