"""The dashboard as `make run` serves it: a real server (streamlit run streamlit_app.py) answering over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core.seed import seed_workspace
from core.workspace import PROJECT_ROOT, Workspace

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode("utf-8", "replace")


def test_streamlit_run_serves_every_page_on_loopback(tmp_path: Path):
    home = tmp_path / "home"
    seed_workspace(Workspace(home))
    port = _free_port()
    env = {**os.environ, "SCIGEN_HOME": str(home)}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(f"{base}/_stcore/health")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode() if server.poll() is not None else ""
                    pytest.fail(f"streamlit did not come up on {base}: {output[-2000:]}")
                time.sleep(0.3)
        assert (status, body) == (200, "ok")
        for path in ("/", "/explorer?subject=Physics"):
            status, body = _get(base + path)
            assert status == 200 and "<title>" in body
        # Bound to loopback only (config.toml): nothing listens on other interfaces.
        listeners = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
        bound = [line for line in listeners.splitlines() if f":{port} " in line]
        assert bound and all("127.0.0.1:" in line for line in bound), bound
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
