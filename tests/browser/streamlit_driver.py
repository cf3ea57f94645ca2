"""Driving the dashboard in Debian chromium: a `streamlit run` server, a browser, and "done" waits.

Shared by the browser tests (tests/browser/conftest.py) and bench/dashboard_bench.py.

A page is *done* when Streamlit's script run has finished (``stApp`` carries
``data-test-script-state="notRunning"``, connected), no element is stale from the previous run,
no lazily loaded element (dataframe grid, Plotly chart, download button) still shows its
skeleton, and the page's header is visible.
"""

from __future__ import annotations

import ast
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
APP_SCRIPT = PROJECT_ROOT / "streamlit_app.py"
SCREENSHOT_DIR = PROJECT_ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
# Every host but loopback fails at name resolution: offline without intercepting requests
# (Playwright's request routing turns the browser's HTTP cache off, which timings must not have).
LOOPBACK_ONLY_FLAG = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"
VIEWPORT = {"width": 1400, "height": 1000}
MAX_SCREENSHOT_HEIGHT = 6000
SERVER_START_TIMEOUT_S = 60.0
PAGE_DONE_TIMEOUT_MS = 45_000

# True once the app's script run is over and everything it drew has rendered (see module doc).
PAGE_DONE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.dataset.testScriptState !== 'notRunning') return false;
  if (app.dataset.testConnectionState !== 'CONNECTED') return false;
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main) return false;
  if (main.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')) return false;
  const heading = main.querySelector('[data-testid="stHeading"], [data-testid="stException"]');
  return heading !== null && heading.getBoundingClientRect().height > 0;
}"""

# Resolves once nothing in the page has changed for ``quietMs`` (at most ``capMs``): the frontend
# applies a finished run's messages asynchronously, a few milliseconds after they arrive.
SETTLED_JS = """([quietMs, capMs]) => new Promise((resolve) => {
  let timer = setTimeout(done, quietMs);
  const cap = setTimeout(done, capMs);
  const observer = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, quietMs); });
  observer.observe(document.documentElement, {attributes: true, childList: true, subtree: true, characterData: true});
  function done() { observer.disconnect(); clearTimeout(timer); clearTimeout(cap); resolve(true); }
})"""
SETTLE_QUIET_MS = 200
SETTLE_CAP_MS = 3_000


def chromium_missing_reason() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it in CI)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright python package is not installed (requirements-dev.txt)"
    return None


@dataclass(frozen=True)
class RegisteredPage:
    """One st.Page line of streamlit_app.py."""

    section: str
    script: str
    title: str
    url_path: str
    default: bool

    @property
    def route(self) -> str:
        """The path the browser opens ('' for the default page)."""
        return "" if self.default else self.url_path


def registered_pages(app_script: Path = APP_SCRIPT) -> list[RegisteredPage]:
    """Every page in the PAGES dict of streamlit_app.py, read from its source.

    Read statically because the app module cannot be imported outside a Streamlit run; the URL
    path is inferred the way Streamlit does (from the file name) unless ``url_path`` is given.
    """
    from streamlit.source_util import page_icon_and_name

    tree = ast.parse(app_script.read_text(encoding="utf-8"))
    pages: list[RegisteredPage] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PAGES" for t in node.targets)):
            continue
        if not isinstance(node.value, ast.Dict):
            raise ValueError(f"{app_script}: PAGES is not a dict literal")
        for key, value in zip(node.value.keys, node.value.values, strict=True):
            section = ast.literal_eval(key) if key is not None else ""
            for call in getattr(value, "elts", []):
                if not (isinstance(call, ast.Call) and getattr(call.func, "attr", None) == "Page"):
                    continue
                script = ast.literal_eval(call.args[0])
                options = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}
                _, inferred = page_icon_and_name(PROJECT_ROOT / script)
                pages.append(
                    RegisteredPage(
                        section=section,
                        script=script,
                        title=options.get("title") or inferred.replace("_", " "),
                        url_path=(options.get("url_path") or inferred).strip("/"),
                        default=bool(options.get("default", False)),
                    )
                )
    if not pages:
        raise ValueError(f"{app_script}: no st.Page(...) entries found in PAGES")
    return pages


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StreamlitServer:
    base_url: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""


@contextmanager
def streamlit_server(
    script: Path, *, env: dict[str, str], log_path: Path, timeout_s: float = SERVER_START_TIMEOUT_S
) -> Iterator[StreamlitServer]:
    """`streamlit run script` on a free loopback port (the project's .streamlit/config.toml applies:
    it runs from the project root), yielded once /_stcore/health answers."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", str(script),
            "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = StreamlitServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{server.base_url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not come up on {server.base_url}:\n{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


@contextmanager
def chromium_context(playwright, extra_args: tuple[str, ...] = ()) -> Iterator:
    """A Playwright browser context on Debian chromium with a fresh profile (removed after)."""
    with tempfile.TemporaryDirectory(prefix="scigen-chromium-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=[*CHROMIUM_FLAGS, *extra_args],
            viewport=VIEWPORT,
            accept_downloads=True,
        )
        try:
            yield context
        finally:
            context.close()


def keep_offline(page, attempted: list[str]) -> None:
    """Abort every request that leaves loopback (recorded in ``attempted``), so an offline
    machine never waits on DNS and a test can tell what tried to reach out."""

    def route(request_route) -> None:
        url = request_route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")):
            request_route.continue_()
        else:
            attempted.append(url)
            request_route.abort()

    page.route("**/*", route)


def wait_until_done(page, timeout_ms: int = PAGE_DONE_TIMEOUT_MS) -> None:
    page.wait_for_function(PAGE_DONE_JS, timeout=timeout_ms, polling=100)


class ScriptRuns:
    """Counts the script runs the server has finished for one tab, read off Streamlit's websocket.

    The DOM cannot tell whether a click started a run: React batches a fast run's "running" and
    "notRunning" into one render, so ``data-test-script-state`` may never change (seen on the
    sidebar switch Compare → Generate, about one time in ten). Every run ends with a
    ``script_finished`` ForwardMsg; a run cut short for a rerun is not counted, the rerun is."""

    def __init__(self, page) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._forward_msg = ForwardMsg
        self._page = page
        self.finished = 0
        page.on("websocket", lambda socket: socket.on("framereceived", self._on_frame))

    def _on_frame(self, payload) -> None:
        if isinstance(payload, str):
            return
        message = self._forward_msg()
        try:
            message.ParseFromString(payload)
        except Exception:  # not a ForwardMsg (nothing else uses the socket today)
            return
        if message.WhichOneof("type") == "script_finished" and (
            message.script_finished != self._forward_msg.FINISHED_EARLY_FOR_RERUN
        ):
            self.finished += 1

    def wait_for_more_than(self, count: int, timeout_ms: int = PAGE_DONE_TIMEOUT_MS) -> bool:
        """Whether more than ``count`` runs finished within ``timeout_ms``; once they have, the
        page is left to apply what the run sent."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self.finished <= count:
            if time.monotonic() > deadline:
                return False
            self._page.wait_for_timeout(50)  # lets Playwright deliver the socket's frames
        self._page.evaluate(SETTLED_JS, [SETTLE_QUIET_MS, SETTLE_CAP_MS])
        return True


def save_screenshot(page, name: str, directory: Path = SCREENSHOT_DIR) -> Path:
    """The whole page (Streamlit scrolls inside its main block, so the viewport is stretched to
    the content's height for the shot, then put back)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
        " return m ? m.scrollHeight : document.body.scrollHeight; }"
    )
    tall = min(max(int(height), VIEWPORT["height"]), MAX_SCREENSHOT_HEIGHT)
    try:
        if tall > VIEWPORT["height"]:
            page.set_viewport_size({"width": VIEWPORT["width"], "height": tall})
            page.wait_for_timeout(300)  # charts re-lay themselves out on resize
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(VIEWPORT)
    return path
