"""The warm parent ("zygote"): imports the plotting stack once, then forks one child per render.

Started by :class:`core.sandbox.pool.RenderPool` with a scrubbed environment, it

1. imports the libraries, pins the bundled fonts, patches Matplotlib for capture, and renders a
   warm-up figure so font and mathtext caches are filled before any fork;
2. moves itself into a private root (new mount + network namespaces, read-only library folders
   only) when the machine allows it;
3. serves jobs from the host over a socket: each job goes to a pre-forked child ("spare"), which
   is killed with its whole process group at the wall-clock deadline; the child's signed result
   frames, exit status and resource usage decide the outcome.

It never runs a script itself, so its state is the same for every render.
"""

from __future__ import annotations

import fcntl
import gc
import importlib
import io
import json
import os
import re
import resource
import selectors
import signal
import socket
import struct
import sys
import tempfile
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from core.sandbox import capture, fonts, kernel, tex_job  # noqa: F401 - tex_job registers the TeX job kind
from core.sandbox.guards import TamperSnapshot
from core.sandbox.harness import SETUP_FAILED_EXIT, ChildSetup, child_main
from core.sandbox.protocol import (
    KIND_MEMORY,
    KIND_RESULT,
    KIND_VIOLATION,
    ProtocolError,
    encode_message,
    has_complete_result,
    parse_child_frames,
    unpack_result,
)
from core.sandbox.spec import AVAILABLE_LIBRARIES

_MB = 1024 * 1024
_TRIM = 16 * 1024
_SOCKET_FD_FLOOR = 200
_RESULT_PIPE_BYTES = 1 << 20
_RESERVED_FDS = 10  # fds 3..9 stay on /dev/null so libraries never hold the result channel's number
_DEPENDENCY_DISTS = ("matplotlib", "numpy", "scipy", "sympy", "networkx", "schemdraw", "rdkit",
                     "matplotlib-venn", "pillow")


class TrimBuffer:
    """Keeps the first and the last ``keep`` bytes of a stream and counts the rest."""

    def __init__(self, keep: int = _TRIM) -> None:
        self.keep = keep
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def add(self, data: bytes) -> None:
        room = self.keep - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if not data:
            return
        self.tail += data
        excess = len(self.tail) - self.keep
        if excess > 0:
            del self.tail[:excess]
            self.dropped += excess

    def text(self) -> str:
        middle = f"\n... [{self.dropped} bytes dropped] ...\n" if self.dropped else ""
        return (bytes(self.head).decode("utf-8", "replace") + middle
                + bytes(self.tail).decode("utf-8", "replace"))


@dataclass
class Spare:
    pid: int
    uid: int | None
    job_w: int
    result_r: int
    out_r: int
    err_r: int
    workdir: str | None


@dataclass
class Running:
    job_id: int
    kind: str
    spare: Spare
    key: bytes
    limits: dict[str, Any]
    started: float
    deadline: float
    result: bytearray = field(default_factory=bytearray)
    result_overflow: bool = False
    out: TrimBuffer = field(default_factory=TrimBuffer)
    err: TrimBuffer = field(default_factory=TrimBuffer)
    open_fds: set[int] = field(default_factory=set)
    status: int | None = None
    rusage: Any = None
    exited_at: float | None = None
    timed_out: bool = False
    result_at: float | None = None
    """When a complete result frame arrived (the job is done; the process is killed and reaped later)."""


def _dependency_top_modules() -> set[str]:
    """Top-level module names of the offered libraries and everything they depend on."""
    from importlib import metadata

    try:
        by_module = metadata.packages_distributions()
    except Exception:  # noqa: BLE001 - best effort; preloaded modules still count
        return set()
    tops_of: dict[str, set[str]] = {}
    for module, dists in by_module.items():
        for dist in dists:
            tops_of.setdefault(re.sub(r"[-_.]+", "-", dist).lower(), set()).add(module)
    seen: set[str] = set()
    stack = [re.sub(r"[-_.]+", "-", d).lower() for d in _DEPENDENCY_DISTS]
    while stack:
        dist = stack.pop()
        if dist in seen:
            continue
        seen.add(dist)
        try:
            requirements = metadata.requires(dist) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requirements:
            if "extra ==" in requirement:
                continue
            name = re.split(r"[\s;<>=!~\[\(]", requirement.strip(), maxsplit=1)[0]
            stack.append(re.sub(r"[-_.]+", "-", name).lower())
    tops: set[str] = set()
    for dist in seen:
        tops |= tops_of.get(dist, set())
    return tops


def _warm_up() -> None:
    """Render a figure exercising text, mathtext, unicode and common artists once, so the
    children inherit loaded fonts and parsed glyphs."""
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(4, 3))
    ax.plot([0, 1, 2], [0, 1, 4], "o-", label="data")
    ax.bar([0, 1], [1, 2])
    ax.scatter([0.5], [2.0])
    ax.annotate("A", xy=(1, 1), xytext=(1.5, 2.5), arrowprops={"arrowstyle": "->"})
    ax.set_title(r"Warm-up $\alpha^2 + \frac{1}{2}$ μ ° Ω H₂O", fontweight="bold")
    ax.set_xlabel("x (m)")
    ax.legend()
    ax2.imshow([[0, 1], [1, 0]])
    ax2.text(0.5, 0.5, "serif", family="serif", style="italic")
    ax2.text(0.5, 0.2, "mono", family="monospace")
    ax2.axis("off")
    fig.suptitle("Title")
    fig.tight_layout()
    capture.render_png(fig, {"bbox_inches": "tight"})
    capture.render_png(fig, {})
    plt.close("all")


class Zygote:
    def __init__(self, config: dict[str, Any], sock_fd: int) -> None:
        high = fcntl.fcntl(sock_fd, fcntl.F_DUPFD_CLOEXEC, _SOCKET_FD_FLOOR)
        os.close(sock_fd)
        while True:
            fd = os.open(os.devnull, os.O_RDONLY)
            if fd >= _RESERVED_FDS:
                os.close(fd)
                break
        self.sock = socket.socket(fileno=high)
        self.config = config
        self.notes: list[str] = []
        self.pid = os.getpid()
        self.queue: deque[dict[str, Any]] = deque()
        self.running: dict[int, Running] = {}
        self.spares: list[Spare] = []
        self.finished: dict[int, Spare] = {}  # answered but not yet reaped
        self.spare_failures = 0
        self.inbox = bytearray()
        self.jobs_done = 0

    # ---------------------------------------------------------------- start-up
    def start(self) -> None:
        started = time.monotonic()
        self.engine = self.config.get("engine", "python")
        for name in self.config["preload"]:
            try:
                importlib.import_module(name)
            except Exception as exc:  # noqa: BLE001 - a missing optional library is not fatal
                self.notes.append(f"could not preload {name}: {type(exc).__name__}: {exc}")
        if self.engine == "python":
            fonts.pin_bundled_fonts()
            capture.install()
            _warm_up()
            capture.reset(forced_dpi=None, want_svg=False, max_pixels=40_000_000)
        self.allowed_tops = frozenset(
            (set(sys.stdlib_module_names) | set(AVAILABLE_LIBRARIES) | _dependency_top_modules()
             | {name.partition(".")[0] for name in sys.modules}) - {"core", "__main__"}
        )
        # The project folder was on sys.path only to import this package; a script's imports
        # must not look there (nor in the current folder).
        project_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        sys.path[:] = [p for p in sys.path if p not in ("", ".", project_root)]
        sys.path_importer_cache.pop(project_root, None)
        importlib.invalidate_caches()
        self.mode = self._choose_namespaces()
        self.base_vsz = kernel.vm_size_bytes()
        self.base_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.read_roots = [*kernel.read_only_paths(), "/lib", "/lib64", "/etc/ld.so.cache",
                           "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"]
        capacity = int(self.config["workers"]) + int(self.config["spares"]) + 2
        self.free_uids: deque[int] = deque()
        if self.mode in ("root", "off") and self.config["drop_privileges"] and os.geteuid() == 0:
            base = kernel.choose_uid_base(capacity)
            if base is not None:
                self.free_uids.extend(range(base, base + capacity))
        self.drop = bool(self.free_uids)
        self.workdir_base: str | None = None
        self.read_roots += list(self.config.get("extra_read_only") or ())
        if self.mode in ("root", "user"):
            kernel.enter_private_root(self.mode, tuple(self.config.get("extra_read_only") or ()))
        else:
            self.workdir_base = tempfile.mkdtemp(prefix="scigen-sandbox-")
            if self.drop:
                os.chmod(self.workdir_base, 0o711)
        self.snapshot = TamperSnapshot()
        self.sel = selectors.DefaultSelector()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        self.sock.setblocking(False)
        self.sel.register(self.sock, selectors.EVENT_READ, ("host", None))
        self.sel.register(self.wake_r, selectors.EVENT_READ, ("wake", None))
        self.active_layers = [layer["name"] for layer in self.layers() if layer["active"]]
        gc.collect()
        gc.freeze()
        self._send({
            "op": "ready", "pid": self.pid, "mode": self.mode, "drop_privileges": self.drop,
            "layers": self.layers(), "notes": self.notes,
            "start_s": round(time.monotonic() - started, 3), "base_vsz_mb": self.base_vsz // _MB,
        })

    def _choose_namespaces(self) -> str:
        wanted = self.config["namespaces"]
        if wanted == "off":
            return "off"
        order = {"auto": ["root", "user"] if os.geteuid() == 0 else ["user"],
                 "root": ["root"], "user": ["user"]}[wanted]
        errors = []
        for mode in order:
            # Try in a throwaway child first: a half-done attempt must not leave us stranded.
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:
                try:
                    kernel.enter_private_root(mode)
                    os._exit(0)
                except BaseException as exc:  # noqa: BLE001
                    os.write(write_end, f"{type(exc).__name__}: {exc}".encode()[:500])
                    os._exit(1)
            os.close(write_end)
            _, status = os.waitpid(pid, 0)
            reason = os.read(read_end, 600).decode("utf-8", "replace")
            os.close(read_end)
            if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
                return mode
            errors.append(f"{mode}: {reason or 'failed'}")
        if wanted != "auto":
            raise RuntimeError(f"namespaces={wanted!r} requested but not available here ({'; '.join(errors)})")
        self.notes.append(f"namespaces unavailable ({'; '.join(errors)}); using plain folders")
        return "off"

    def layers(self) -> list[dict[str, Any]]:
        layers = self._common_layers()
        if self.engine != "tex":
            return layers
        # TeX children run pdflatex, not Python: the in-interpreter layers give way to TeX's own.
        from core.sandbox.tex_job import TEX_LAYERS

        return [layer for layer in layers
                if layer["name"] not in ("audit_hooks", "tamper_check", "bundled_fonts")] + [
            dict(layer) for layer in TEX_LAYERS]

    def _common_layers(self) -> list[dict[str, Any]]:
        ns = self.mode in ("root", "user")
        audit = bool(self.config["audit_hooks"])
        return [
            {"name": "fresh_process", "active": True,
             "detail": "each script runs in its own process forked from a warm parent; nothing carries over"},
            {"name": "scrubbed_environment", "active": True,
             "detail": "environment rebuilt from a short allow-list (no keys or tokens)"},
            {"name": "private_workdir", "active": True,
             "detail": "fresh tmpfs per script, noexec, size-limited" if ns else "fresh temporary folder per script"},
            {"name": "mount_namespace", "active": ns,
             "detail": f"private read-only root with library folders only ({self.mode} mode)" if ns
             else "unavailable: host files are guarded by the audit hook only"},
            {"name": "network_namespace", "active": ns,
             "detail": "network namespace without interfaces (loopback down)" if ns else "unavailable"},
            {"name": "unprivileged_user", "active": self.drop or self.mode == "user",
             "detail": "own user id per script, no capabilities" if self.drop
             else ("capabilities dropped inside a user namespace" if self.mode == "user"
                   else "not root: runs as the calling user")},
            {"name": "no_new_privileges", "active": True, "detail": "prctl(PR_SET_NO_NEW_PRIVS)"},
            {"name": "rlimit_cpu", "active": True, "detail": "RLIMIT_CPU"},
            {"name": "rlimit_memory", "active": True, "detail": "RLIMIT_AS on top of the warm interpreter"},
            {"name": "rlimit_file_size", "active": True, "detail": "RLIMIT_FSIZE"},
            {"name": "rlimit_processes", "active": self.drop,
             "detail": "RLIMIT_NPROC on the script's own user id" if self.drop
             else "needs a dedicated user id (root)"},
            {"name": "wall_timeout", "active": True, "detail": "SIGKILL to the script's process group"},
            {"name": "audit_hooks", "active": audit,
             "detail": "files, network, processes, ctypes, imports, introspection" if audit else "disabled"},
            {"name": "tamper_check", "active": True,
             "detail": "renderer and harness functions compared with the warm parent's"},
            {"name": "signed_results", "active": True, "detail": "HMAC-SHA256 with a per-render key"},
            {"name": "bundled_fonts", "active": True, "detail": "Matplotlib's bundled DejaVu/STIX/cm fonts only"},
        ]

    # ---------------------------------------------------------------- io with the host
    def _send(self, header: dict[str, Any], blobs: tuple[bytes, ...] = ()) -> None:
        data = encode_message(header, blobs)
        self.sock.setblocking(True)
        try:
            self.sock.sendall(data)
        finally:
            self.sock.setblocking(False)

    def _read_host(self) -> bool:
        try:
            chunk = self.sock.recv(1 << 20)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        self.inbox += chunk
        while len(self.inbox) >= 8:
            (size,) = struct.unpack(">I", self.inbox[4:8])
            if len(self.inbox) < 8 + size:
                break
            message = json.loads(bytes(self.inbox[8:8 + size]))
            del self.inbox[:8 + size]
            message.pop("blobs", None)
            if message.get("op") == "exit":
                return False
            if message.get("op") in ("job", "tex", "probe"):
                self.queue.append(message)
        return True

    # ---------------------------------------------------------------- children
    def _own_fds(self) -> list[int]:
        fds = [self.sock.fileno(), self.wake_r, self.wake_w]
        selector_fd = getattr(self.sel, "fileno", None)
        if selector_fd is not None:
            fds.append(selector_fd())
        for spare in self.spares:
            fds += [spare.job_w, spare.result_r, spare.out_r, spare.err_r]
        for job in self.running.values():
            fds += list(job.open_fds)
        return fds

    def _spawn_spare(self) -> Spare | None:
        uid = self.free_uids.popleft() if self.drop and self.free_uids else None
        if self.drop and uid is None:
            return None
        workdir = None
        if self.workdir_base is not None:
            workdir = tempfile.mkdtemp(prefix="job-", dir=self.workdir_base)
        job_r, job_w = os.pipe()
        result_r, result_w = os.pipe()
        try:  # room for a whole PNG: the child writes its result without waiting for us to read
            fcntl.fcntl(result_w, fcntl.F_SETPIPE_SZ, _RESULT_PIPE_BYTES)
        except OSError:
            pass
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        setup = ChildSetup(
            namespaces=self.mode, uid=uid, workdir=workdir, disk_mb=int(self.config["disk_mb"]),
            close_fds=self._own_fds() + [job_w, result_r, out_r, err_r], parent_pid=self.pid,
            base_vsz=self.base_vsz, read_roots=self.read_roots, allowed_top_modules=self.allowed_tops,
            available_hint="available: " + ", ".join(AVAILABLE_LIBRARIES) + " and the standard library",
            audit_hooks=bool(self.config["audit_hooks"]), snapshot=self.snapshot,
        )
        pid = os.fork()
        if pid == 0:
            try:
                signal.set_wakeup_fd(-1)
                child_main(setup, job_r, result_w, out_w, err_w)
            finally:
                os._exit(SETUP_FAILED_EXIT)
        for fd in (job_r, result_w, out_w, err_w):
            os.close(fd)
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass
        spare = Spare(pid, uid, job_w, result_r, out_r, err_r, workdir)
        self.spares.append(spare)
        return spare

    def _dispatch(self) -> None:
        while self.queue and len(self.running) < int(self.config["workers"]):
            spare = self.spares.pop(0) if self.spares else None
            if spare is None:
                if self._spawn_spare() is None:
                    return
                spare = self.spares.pop(0)
            message = self.queue.popleft()
            key = os.urandom(32)
            job = {k: v for k, v in message.items() if k not in ("op", "id")}
            job["kind"] = message["op"]
            job["key"] = key.hex()
            payload = json.dumps(job).encode()
            limits = message["limits"]
            now = time.monotonic()
            running = Running(
                job_id=int(message["id"]), kind=message["op"], spare=spare, key=key, limits=limits,
                started=now, deadline=now + float(limits["timeout_s"]),
            )
            self.running[spare.pid] = running
            try:
                os.set_blocking(spare.job_w, True)
                os.write(spare.job_w, struct.pack(">I", len(payload)) + payload)
            except OSError:
                pass  # the spare died; its exit status decides the outcome
            finally:
                os.close(spare.job_w)
            for fd, role in ((spare.result_r, "result"), (spare.out_r, "out"), (spare.err_r, "err")):
                os.set_blocking(fd, False)
                running.open_fds.add(fd)
                self.sel.register(fd, selectors.EVENT_READ, (role, running))
        while len(self.spares) < int(self.config["spares"]) and (
            len(self.running) + len(self.spares) < int(self.config["workers"]) + int(self.config["spares"])
        ):
            if self._spawn_spare() is None:
                break

    def _read_pipe(self, fd: int, role: str, job: Running) -> int:
        """Read what is there; the number of bytes read (0 at EOF or when nothing is waiting)."""
        try:
            data = os.read(fd, _RESULT_PIPE_BYTES)
        except BlockingIOError:
            return 0
        except OSError:
            data = b""
        if not data:
            self._close_pipe(fd, job)
            return 0
        if role == "result":
            cap = 2 * int(job.limits["output_mb"]) * _MB + _MB
            if len(job.result) + len(data) > cap:
                job.result_overflow = True
            else:
                job.result += data
                if job.result_at is None and has_complete_result(job.result):
                    job.result_at = time.monotonic()
        elif role == "out":
            job.out.add(data)
        else:
            job.err.add(data)
        return len(data)

    def _close_pipe(self, fd: int, job: Running) -> None:
        if fd in job.open_fds:
            job.open_fds.discard(fd)
            self.sel.unregister(fd)
            os.close(fd)

    def _reap(self) -> None:
        while True:
            try:
                pid, status, rusage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            job = self.running.get(pid)
            if job is not None:
                job.status, job.rusage, job.exited_at = status, rusage, time.monotonic()
                self._release(job.spare)
                continue
            answered = self.finished.pop(pid, None)
            if answered is not None:
                self._release(answered)
                continue
            for spare in list(self.spares):
                if spare.pid == pid:
                    self.spares.remove(spare)
                    message = b""
                    try:
                        os.set_blocking(spare.err_r, False)
                        message = os.read(spare.err_r, 4096)
                    except OSError:
                        pass
                    for fd in (spare.job_w, spare.result_r, spare.out_r, spare.err_r):
                        os.close(fd)
                    self._release(spare)
                    self.spare_failures += 1
                    if self.spare_failures >= 5:
                        raise RuntimeError("sandbox children keep failing to start: "
                                           + message.decode("utf-8", "replace").strip())

    def _release(self, spare: Spare) -> None:
        if spare.uid is not None:
            self.free_uids.append(spare.uid)
        if spare.workdir is not None:
            import shutil

            shutil.rmtree(spare.workdir, ignore_errors=True)

    def _enforce_deadlines(self) -> float | None:
        now = time.monotonic()
        next_deadline = None
        for pid, job in self.running.items():
            if job.result_at is not None:
                continue
            if job.status is None:
                if now >= job.deadline and not job.timed_out:
                    job.timed_out = True
                    self._kill_group(pid)
                elif not job.timed_out:
                    next_deadline = job.deadline if next_deadline is None else min(next_deadline, job.deadline)
            elif job.open_fds and now - (job.exited_at or now) > 2.0:
                for fd in list(job.open_fds):  # something still holds a pipe: stop waiting
                    self._close_pipe(fd, job)
        return None if next_deadline is None else max(0.0, next_deadline - now)

    @staticmethod
    def _kill_group(pid: int) -> None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def _finish_ready_jobs(self) -> None:
        for pid, job in list(self.running.items()):
            if job.result_at is not None and job.status is None:
                # Answered: collect what is already in the output pipes, then end the process
                # (its teardown overlaps the next render instead of delaying this answer).
                for fd in list(job.open_fds):
                    role = "out" if fd == job.spare.out_r else "err" if fd == job.spare.err_r else "result"
                    for _ in range(256):
                        if fd not in job.open_fds or self._read_pipe(fd, role, job) == 0:
                            break
                    self._close_pipe(fd, job)
                self._kill_group(pid)
                self.finished[pid] = job.spare
                del self.running[pid]
                header, png, svg = self._outcome(job)
                self.jobs_done += 1
                self._send(header, (png or b"", svg or b""))
            elif job.status is not None and not job.open_fds:
                del self.running[pid]
                header, png, svg = self._outcome(job)
                self.jobs_done += 1
                self._send(header, (png or b"", svg or b""))
        self._enforce_deadlines()

    # ---------------------------------------------------------------- outcome
    def _outcome(self, job: Running) -> tuple[dict[str, Any], bytes | None, bytes | None]:
        status = job.status or 0
        rusage = job.rusage
        cpu = (rusage.ru_utime + rusage.ru_stime) if rusage else 0.0
        max_rss_mb = (rusage.ru_maxrss / 1024) if rusage else 0.0
        signal_number = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        exit_code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        limits = job.limits
        frames, problem = parse_child_frames(bytes(job.result), job.key)
        if job.result_overflow:
            problem = "too much data on the result channel"
        violations = [f.payload.decode("utf-8", "replace") for f in frames if f.kind == KIND_VIOLATION]
        results = [f for f in frames if f.kind == KIND_RESULT]
        memory = any(f.kind == KIND_MEMORY for f in frames)
        header: dict[str, Any] = {"status": "error"}
        png = svg = None
        if len(results) > 1 and problem is None:
            problem = "more than one result frame"
        parsed = None
        if results and problem is None:
            try:
                parsed = unpack_result(results[0].payload)
            except (ProtocolError, ValueError, KeyError, struct.error) as exc:
                problem = f"a malformed result ({exc})"
        if problem is not None:
            header.update(error_class="forbidden",
                          error=f"the script interfered with the sandbox's result channel: {problem}")
        elif violations:
            if parsed is not None:
                header.update({k: v for k, v in parsed[0].items() if k in ("error_line", "traceback_tail", "saved_as")})
            header.update(error_class="forbidden", error=f"blocked: {violations[0]}")
            if len(violations) > 1:
                header["notes"] = [f"also blocked: {v}" for v in violations[1:]]
        elif parsed is not None:
            header, png, svg = parsed
            if job.kind in ("job", "tex") and header.get("status") == "ok" and not png:
                header = {"status": "error", "error_class": "sandbox_error", "error": "no PNG in an ok result"}
        elif job.timed_out:
            header.update(error_class="timeout",
                          error=f"wall-clock limit of {limits['timeout_s']} s reached; the process group was killed")
        elif signal_number == signal.SIGXCPU or (
            signal_number == signal.SIGKILL and cpu >= float(limits["cpu_s"]) - 0.5
        ):
            header.update(error_class="timeout", error=f"CPU-time limit of {limits['cpu_s']} s reached")
        elif memory or (signal_number == signal.SIGKILL
                        and max_rss_mb >= self.base_rss_mb + 0.8 * float(limits["memory_mb"])):
            # (a SIGKILL we did not send, near the budget: the kernel's out-of-memory killer)
            header.update(error_class="memory_limit",
                          error=f"the script ran out of its memory budget ({limits['memory_mb']} MB)")
        elif signal_number == signal.SIGXFSZ:
            header.update(error_class="output_too_large", error=f"a file exceeded {limits['output_mb']} MB")
        elif exit_code == SETUP_FAILED_EXIT:
            header.update(error_class="sandbox_error", error=job.err.text().strip()[-500:] or "setup failed")
        elif signal_number == signal.SIGKILL:
            header.update(error_class="runtime_error", error="the script's process was killed (SIGKILL)")
        elif signal_number is not None:
            name = signal.Signals(signal_number).name
            header.update(error_class="runtime_error",
                          error=f"the script's process crashed ({name}); deep recursion or a native library fault")
        else:
            header.update(error_class="runtime_error",
                          error=f"the script's process exited (status {exit_code}) before a figure was captured")
        if rusage is None:  # answered before exiting: the child's own measurement
            cpu = float(header.pop("child_cpu_s", 0.0) or 0.0)
            max_rss_mb = float(header.pop("child_max_rss_mb", 0.0) or 0.0)
        header.pop("child_cpu_s", None)
        header.pop("child_max_rss_mb", None)
        end = job.result_at or job.exited_at or time.monotonic()
        timings = header.get("timings") if isinstance(header.get("timings"), dict) else {}
        header["timings"] = {
            name: round(float(value) - job.started, 4) for name, value in timings.items()
            if isinstance(value, (int, float))
        }
        header.update(
            op="result", id=job.job_id,
            stdout=job.out.text(), stderr=job.err.text(),
            duration_s=round(end - job.started, 4),
            cpu_s=round(cpu, 4), max_rss_mb=round(max_rss_mb, 1),
            isolation=self.active_layers,
        )
        return header, png, svg

    # ---------------------------------------------------------------- loop
    def serve(self) -> None:
        alive = True
        while alive or self.running:
            if alive:
                self._dispatch()
            timeout = self._enforce_deadlines()
            if any(job.status is not None for job in self.running.values()):
                timeout = 0.5 if timeout is None else min(timeout, 0.5)
            for key, _ in self.sel.select(timeout):
                role, job = key.data
                if role == "host":
                    if not self._read_host():
                        alive = False
                        self._shutdown_children()
                elif role == "wake":
                    try:
                        while os.read(self.wake_r, 4096):
                            pass
                    except BlockingIOError:
                        pass
                else:
                    self._read_pipe(key.fd, role, job)
            self._reap()
            if alive:
                self._finish_ready_jobs()
            else:
                for pid, job in list(self.running.items()):
                    if job.status is not None:
                        for fd in list(job.open_fds):
                            self._close_pipe(fd, job)
                        del self.running[pid]

    def _shutdown_children(self) -> None:
        for spare in self.spares:
            self._kill_group(spare.pid)
        for pid in self.running:
            self._kill_group(pid)
        deadline = time.monotonic() + 2.0
        while self.spares and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.01)


def main(argv: list[str]) -> None:
    config = json.loads(argv[1])
    zygote = Zygote(config, int(argv[2]))
    try:
        zygote.start()
    except BaseException as exc:  # noqa: BLE001 - tell the host why, then stop
        zygote._send({"op": "fatal", "error": f"{type(exc).__name__}: {exc}",
                      "traceback": "".join(traceback.format_exception(exc))[-4000:]})
        raise SystemExit(1) from exc
    try:
        zygote.serve()
    finally:
        if zygote.workdir_base is not None:
            import shutil

            shutil.rmtree(zygote.workdir_base, ignore_errors=True)


if __name__ == "__main__":  # pragma: no cover - started by RenderPool
    sys.stdout = io.TextIOWrapper(open(os.devnull, "wb"))
    main(sys.argv)
