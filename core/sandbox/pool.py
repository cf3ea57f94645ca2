"""Host side: :class:`RenderPool` (many renders, thread- and asyncio-friendly) and ``render()``.

A pool owns one warm parent process (see :mod:`core.sandbox.zygote`); ``render``/``submit`` send
jobs to it over a socket and a reader thread hands each result to its future. If the warm parent
dies, pending renders return ``sandbox_error`` and the next call starts a new one.
"""

from __future__ import annotations

import asyncio
import atexit
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
from concurrent.futures import Future, InvalidStateError
from pathlib import Path
from typing import Any

from core.sandbox.facts import build_facts
from core.sandbox.models import ErrorClass, IsolationLayer, IsolationReport, RenderResult
from core.sandbox.protocol import encode_message, read_message
from core.sandbox.spec import RenderLimits, SandboxConfig

_PROJECT_ROOT = Path(__file__).resolve().parents[2]
_MAX_CODE_BYTES = 2 * 1024 * 1024
_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024
# The warm parent's environment is built from this allow-list only (no keys, tokens, proxies).
_ENV_PASSTHROUGH = ("PATH", "LANG", "LC_ALL", "LC_CTYPE")
_BOOT = (
    "import sys; sys.path.insert(0, {root!r}); "
    "from core.sandbox.zygote import main; main(sys.argv)"
)


class SandboxUnavailable(RuntimeError):
    """The warm parent could not start."""


def _mpl_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "scigen", "sandbox-matplotlib")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        import tempfile

        path = os.path.join(tempfile.gettempdir(), f"scigen-sandbox-matplotlib-{os.getuid()}")
        os.makedirs(path, exist_ok=True)
    return path


def sandbox_environment() -> dict[str, str]:
    """The warm parent's whole environment."""
    env = {name: os.environ[name] for name in _ENV_PASSTHROUGH if name in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.setdefault("LANG", "C.UTF-8")
    env.update({
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": _mpl_cache_dir(),
        "PYTHONHASHSEED": "0",  # the same set/dict order in every render
        "PYTHONDONTWRITEBYTECODE": "1",
        "OPENBLAS_NUM_THREADS": "1",  # single-threaded parent: safe to fork
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
        "TZ": "UTC",
        "HOME": "/nonexistent",
    })
    return env


class RenderPool:
    """Renders scripts in the sandbox, ``config.workers`` at a time.

    Thread-safe: call :meth:`render` from many threads, or ``await pool.arender(...)``; use
    :meth:`submit` for a :class:`concurrent.futures.Future`. Close it (or use ``with``) to stop
    the warm parent.
    """

    def __init__(self, config: SandboxConfig | None = None, *, start: bool = True) -> None:
        self.config = config or SandboxConfig()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[Future, RenderLimits | None]] = {}
        self._process: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._reader: threading.Thread | None = None
        self._ready: dict[str, Any] | None = None
        self._closed = False
        self._starts = 0
        self.restarts = 0
        """How many times a warm parent that died was replaced."""
        if start:
            self.start()

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Start the warm parent (imports take a second or two) and wait until it is ready."""
        with self._lock:
            self._start_locked()

    def _start_locked(self) -> None:
        if self._closed:
            raise SandboxUnavailable("the pool is closed")
        if self._process is not None and self._process.poll() is None and self._ready is not None:
            return
        ours, theirs = socket.socketpair()
        for end in (ours, theirs):  # whole results in one go, fewer wake-ups on both sides
            for option in (socket.SO_SNDBUF, socket.SO_RCVBUF):
                end.setsockopt(socket.SOL_SOCKET, option, _SOCKET_BUFFER_BYTES)
        config = json.dumps(self.config.to_dict())
        boot = _BOOT.format(root=str(_PROJECT_ROOT))
        process = subprocess.Popen(
            [sys.executable, "-s", "-P", "-c", boot, config, str(theirs.fileno())],
            env=sandbox_environment(), pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=None, cwd="/", start_new_session=True, close_fds=True,
        )
        theirs.close()
        reader = ours.makefile("rb")
        ours.settimeout(self.config.start_timeout_s)
        try:
            header, _ = read_message(reader)
        except (EOFError, OSError, ValueError) as exc:
            process.kill()
            process.wait()
            ours.close()
            raise SandboxUnavailable(f"the sandbox's warm parent did not start: {exc}") from exc
        if header.get("op") != "ready":
            process.wait(timeout=10)
            ours.close()
            raise SandboxUnavailable(f"the sandbox's warm parent failed: {header.get('error')}\n"
                                     f"{header.get('traceback', '')}")
        ours.settimeout(None)
        if self._starts:
            self.restarts += 1
        self._starts += 1
        self._process, self._sock, self._ready = process, ours, header
        self._reader = threading.Thread(target=self._read_results, args=(process, reader),
                                        name="sandbox-results", daemon=True)
        self._reader.start()

    def close(self) -> None:
        """Stop the warm parent; pending renders end with ``sandbox_error``."""
        with self._lock:
            self._closed = True
            process, sock = self._process, self._sock
            self._process = self._sock = None
        if sock is not None:
            try:
                sock.sendall(encode_message({"op": "exit"}))
            except OSError:
                pass
        if process is not None:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if sock is not None:
            sock.close()
        if self._reader is not None:
            self._reader.join(timeout=5)

    def __enter__(self) -> RenderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """Process id of the warm parent (None when not running)."""
        return self._process.pid if self._process is not None else None

    @property
    def info(self) -> dict[str, Any]:
        """What the warm parent reported when it became ready (mode, layers, notes, start time)."""
        return dict(self._ready or {})

    def rss_bytes(self) -> int:
        """Resident memory of the warm parent."""
        pid = self.pid
        if pid is None:
            return 0
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    # ---------------------------------------------------------------- rendering
    def submit(
        self,
        code: str,
        *,
        timeout_s: float = 10.0,
        memory_mb: int = 1024,
        dpi: float | None = None,
        svg: bool = False,
        cpu_s: float | None = None,
        output_mb: int = 32,
        max_pixels: int = 40_000_000,
        max_threads: int = 32,
    ) -> Future[RenderResult]:
        """Queue one render; the future resolves to its :class:`RenderResult` (never raises for
        anything the script does)."""
        if not isinstance(code, str):
            raise TypeError(f"code must be str, not {type(code).__name__}")
        if len(code.encode("utf-8", "surrogatepass")) > _MAX_CODE_BYTES:
            raise ValueError(f"code is larger than {_MAX_CODE_BYTES // 1024 // 1024} MB")
        if dpi is not None and not 1 <= dpi <= 2400:
            raise ValueError(f"dpi must be between 1 and 2400, got {dpi}")
        limits = RenderLimits(timeout_s=timeout_s, cpu_s=cpu_s, memory_mb=memory_mb, output_mb=output_mb,
                              max_pixels=max_pixels, max_threads=max_threads)
        job = {"op": "job", "code": code, "dpi": dpi, "svg": svg,
               "limits": dict(limits.to_dict(), cpu_s=limits.effective_cpu_s)}
        return self._send(job, limits)

    def render(self, code: str, **kwargs: Any) -> RenderResult:
        """Render and wait; same keywords as :meth:`submit`."""
        return self.submit(code, **kwargs).result()

    async def arender(self, code: str, **kwargs: Any) -> RenderResult:
        """Render without blocking the event loop; same keywords as :meth:`submit`."""
        return await asyncio.wrap_future(self.submit(code, **kwargs))

    def submit_job(self, job: dict[str, Any], limits: RenderLimits) -> Future[RenderResult]:
        """Queue a job message another engine built (``op`` names the child's entry, e.g. ``tex``;
        ``limits`` as in :meth:`submit`)."""
        return self._send(job, limits)

    def _send(self, job: dict[str, Any], limits: RenderLimits | None) -> Future:
        future: Future = Future()
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start_locked()
            job_id = next(self._ids)
            self._pending[job_id] = (future, limits)
            try:
                assert self._sock is not None
                self._sock.sendall(encode_message(dict(job, id=job_id)))
            except OSError as exc:
                self._pending.pop(job_id, None)
                future.set_result(_sandbox_error(f"could not reach the sandbox: {exc}"))
        return future

    # A caller may cancel its future (Ctrl-C, a job stopping on budget) before the result
    # arrives; resolving a cancelled future would raise and kill this reader thread.
    def _read_results(self, process: subprocess.Popen, reader: Any) -> None:
        try:
            while True:
                header, blobs = read_message(reader)
                if header.get("op") != "result":
                    continue
                with self._lock:
                    entry = self._pending.pop(int(header["id"]), None)
                if entry is None:
                    continue
                future, _ = entry
                if "probe" in header:
                    _resolve(future, header)
                    continue
                try:
                    result = _result_from_wire(header, blobs)
                except Exception as exc:  # noqa: BLE001 - never leave a caller hanging
                    result = _sandbox_error(f"unreadable result: {type(exc).__name__}: {exc}")
                _resolve(future, result)
        except (EOFError, OSError, ValueError):
            pass
        finally:
            with self._lock:
                if self._process is process:
                    self._process = None
                    self._ready = None
                stranded = list(self._pending.items())
                self._pending.clear()
            for _, (future, _) in stranded:
                _resolve(future, _sandbox_error("the sandbox's warm parent stopped"))

    # ---------------------------------------------------------------- isolation report
    def check(self, *, timeout_s: float = 30.0) -> IsolationReport:
        """Which isolation layers are active, verified by a probe child from the inside: it tries
        a connection to a listener on 127.0.0.1, writing to the root, finding a host file, and
        reads its own rlimits and user id."""
        import tempfile

        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        with tempfile.NamedTemporaryFile(prefix="scigen-canary-") as canary:
            probe_limits = RenderLimits(timeout_s=20.0, memory_mb=512)
            future = self._send(
                {"op": "probe", "port": port, "canary_path": canary.name,
                 "limits": dict(probe_limits.to_dict(), cpu_s=probe_limits.effective_cpu_s)},
                None,
            )
            answer = future.result(timeout=timeout_s)
        try:
            listener.accept()[0].close()
            arrived = True
        except (TimeoutError, OSError):
            arrived = False
        listener.close()
        return _isolation_report(self.info, answer, arrived)


def _isolation_report(info: dict[str, Any], answer: Any, arrived: bool) -> IsolationReport:
    layers = {entry["name"]: IsolationLayer(**entry) for entry in info.get("layers", [])}
    probe = answer.get("probe") if isinstance(answer, dict) else None
    if probe is None:
        detail = answer.get("error") if isinstance(answer, dict) else getattr(answer, "error", "no answer")
        layers["probe"] = IsolationLayer(name="probe", active=False, detail=f"the probe failed: {detail}")
        return IsolationReport(layers=list(layers.values()))

    def verify(name: str, holds: bool, evidence: str) -> None:
        layer = layers.get(name)
        if layer is None:
            return
        if layer.active and not holds:
            layers[name] = IsolationLayer(name=name, active=False, detail=f"claimed but not verified: {evidence}")
        elif layer.active:
            layers[name] = IsolationLayer(name=name, active=True, detail=f"{layer.detail}; verified: {evidence}")

    secrets = [key for key in probe["env_keys"] if any(w in key.upper() for w in ("KEY", "TOKEN", "SECRET"))]
    verify("scrubbed_environment", not secrets, f"{len(probe['env_keys'])} variables, none named like a secret")
    verify("network_namespace", not probe["connected"] and not arrived,
           f"connection to the host's 127.0.0.1 listener failed; interfaces {probe['interfaces']}")
    verify("mount_namespace", not probe["host_file_visible"] and not probe["root_writable"]
           and not probe["proc_visible"], "host /tmp file invisible, / read-only, no /proc")
    verify("unprivileged_user", probe["uid"] != 0 or info.get("mode") == "user", f"uid {probe['uid']}")
    limits = probe["rlimits"]
    verify("rlimit_cpu", limits["RLIMIT_CPU"] > 0, f"RLIMIT_CPU={limits['RLIMIT_CPU']}")
    verify("rlimit_memory", limits["RLIMIT_AS"] > 0, f"RLIMIT_AS={limits['RLIMIT_AS'] // (1 << 20)} MB")
    verify("rlimit_file_size", limits["RLIMIT_FSIZE"] > 0, f"RLIMIT_FSIZE={limits['RLIMIT_FSIZE'] // (1 << 20)} MB")
    verify("rlimit_processes", limits["RLIMIT_NPROC"] > 0, f"RLIMIT_NPROC={limits['RLIMIT_NPROC']}")
    verify("audit_hooks", probe["hook_blocks_read"], "reading /etc/hostname was refused by the hook")
    return IsolationReport(layers=list(layers.values()))


def _sandbox_error(message: str) -> RenderResult:
    return RenderResult(status="error", error_class=ErrorClass.sandbox_error, error=message)


def _result_from_wire(header: dict[str, Any], blobs: list[bytes]) -> RenderResult:
    png = blobs[0] if blobs and blobs[0] else None
    svg = blobs[1].decode("utf-8", "replace") if len(blobs) > 1 and blobs[1] else None
    facts = build_facts(header["facts"]) if header.get("facts") else None
    result = RenderResult(
        status="ok" if header.get("status") == "ok" else "error",
        error_class=header.get("error_class"),
        error=header.get("error"),
        error_line=header.get("error_line"),
        traceback_tail=header.get("traceback_tail"),
        png=png if header.get("status") == "ok" else None,
        svg=svg if header.get("status") == "ok" else None,
        facts=facts,
        capture=header.get("capture"),
        saved_as=header.get("saved_as") or [],
        notes=header.get("notes") or [],
        stdout=header.get("stdout", ""),
        stderr=header.get("stderr", ""),
        duration_s=header.get("duration_s", 0.0),
        cpu_s=header.get("cpu_s", 0.0),
        max_rss_mb=header.get("max_rss_mb", 0.0),
        isolation=header.get("isolation") or [],
        timings=header.get("timings") or {},
    )
    return result


# ---------------------------------------------------------------- module-level convenience
_DEFAULT_POOL: RenderPool | None = None
_DEFAULT_LOCK = threading.Lock()


def default_pool() -> RenderPool:
    """The process-wide pool ``render()`` uses (started on first use, closed at exit)."""
    global _DEFAULT_POOL
    with _DEFAULT_LOCK:
        if _DEFAULT_POOL is None:
            _DEFAULT_POOL = RenderPool()
            atexit.register(_DEFAULT_POOL.close)
        return _DEFAULT_POOL


def render(code: str, *, pool: RenderPool | None = None, **kwargs: Any) -> RenderResult:
    """Run ``code`` in the sandbox and return what it drew.

    Keywords: ``timeout_s`` (10), ``memory_mb`` (1024), ``dpi`` (None: the script's own),
    ``svg`` (False), ``cpu_s`` (= timeout_s), ``output_mb`` (32), ``max_pixels`` (40e6),
    ``max_threads`` (32). See :mod:`core.sandbox.capture` for which figure is returned.
    """
    return (pool or default_pool()).render(code, **kwargs)


def check_isolation(pool: RenderPool | None = None) -> IsolationReport:
    """The isolation layers of ``pool`` (default: the process-wide pool), verified by a probe."""
    return (pool or default_pool()).check()


def _resolve(future: Future, value: Any) -> None:
    """Deliver a result unless the caller already cancelled (or otherwise settled) the future."""
    if not future.done():
        try:
            future.set_result(value)
        except InvalidStateError:  # cancelled between the check and the call
            pass
