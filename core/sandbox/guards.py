"""In-interpreter guards: the audit hook installed in each script's process, and the tamper check.

The audit hook (PEP 578) sees every file open, socket, process launch, ctypes call and a few
introspection calls; it refuses what the policy forbids by raising :class:`SandboxViolation`
inside the script, and reports the attempt on the signed result channel at once, so catching
the exception does not hide it. Hooks cannot be removed, and this one binds everything it uses
when it is made (no module globals, no patchable helpers), so a script cannot switch it off by
monkey-patching. It is one layer: the kernel layers (namespaces, read-only private root, user id,
rlimits) hold even for code that gets past it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from types import ModuleType

RESULT_FD = 3
"""File descriptor of the result channel inside the script's process."""

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

# Events refused outright, with the reason a script sees.
_PROCESS_EVENTS = {
    "subprocess.Popen": "launching programs (subprocess)",
    "os.system": "launching programs (os.system)",
    "os.exec": "launching programs (os.exec*)",
    "os.posix_spawn": "launching programs (os.posix_spawn)",
    "os.spawn": "launching programs (os.spawn*)",
    "os.fork": "creating processes (os.fork)",
    "os.forkpty": "creating processes (os.forkpty / pty)",
    "os.startfile": "launching programs (os.startfile)",
    "os.killpg": "signalling other processes (os.killpg)",
}
_NETWORK_EVENTS = {
    "urllib.Request": "network access (urllib)",
    "http.client.connect": "network access (http.client)",
    "http.client.send": "network access (http.client)",
    "ftplib.connect": "network access (ftplib)",
    "smtplib.connect": "network access (smtplib)",
    "poplib.connect": "network access (poplib)",
    "imaplib.open": "network access (imaplib)",
    "nntplib.connect": "network access (nntplib)",
    "telnetlib.Telnet.open": "network access (telnetlib)",
    "webbrowser.open": "opening a browser",
}
_TAMPER_EVENTS = {
    "sys.addaudithook": "adding audit hooks",
    "sys.settrace": "tracing the interpreter (sys.settrace)",
    "sys.setprofile": "profiling hooks (sys.setprofile)",
    "sys._current_frames": "inspecting other threads' frames",
    "gc.get_objects": "walking the garbage collector's objects",
    "gc.get_referrers": "walking the garbage collector's referrers",
    "gc.get_referents": "walking the garbage collector's referents",
    "resource.setrlimit": "changing resource limits",
    "resource.prlimit": "changing resource limits",
}
# Events whose arguments name paths the script writes (index of each path argument).
_WRITE_PATH_EVENTS = {
    "os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.rename": (0, 1), "os.link": (0, 1),
    "os.symlink": (0, 1), "os.truncate": (0,), "os.chmod": (0,), "os.chown": (0,), "os.chflags": (0,),
    "os.utime": (0,), "os.mkfifo": (0,), "os.mknod": (0,), "os.setxattr": (0,), "os.removexattr": (0,),
    "shutil.rmtree": (0,), "tempfile.mkstemp": (0,), "tempfile.mkdtemp": (0,),
}
_READ_PATH_EVENTS = {"os.listdir": (0,), "os.scandir": (0,), "os.chdir": (0,)}


class SandboxViolation(PermissionError):
    """Raised inside the script when it tries something the sandbox forbids."""


def make_audit_hook(
    *,
    workdir: str,
    read_roots: Iterable[str],
    allowed_top_modules: Iterable[str],
    available_hint: str,
    report: Callable[[str], None],
) -> Callable[[str, tuple], None]:
    """Build the hook. ``report(message)`` is called once per refused attempt (before raising)."""
    # Everything the hook needs is bound here, so nothing a script can reach changes its behaviour.
    _isinstance, _str, _bytes, _int, _len, _tuple = isinstance, str, bytes, int, len, tuple
    _getattr = getattr
    guarded_prefixes = ("core.", "matplotlib.", "PIL.", "matplotlib")
    _fspath, _fsdecode, _getcwd, _getpid = os.fspath, os.fsdecode, os.getcwd, os.getpid
    _violation = SandboxViolation
    _module_not_found = ModuleNotFoundError
    sep = "/"
    workdir_ = workdir.rstrip(sep) or sep
    roots = _tuple(sorted({r.rstrip(sep) or sep for r in read_roots} | {workdir_}))
    top_modules = frozenset(allowed_top_modules)
    process_events = dict(_PROCESS_EVENTS)
    network_events = dict(_NETWORK_EVENTS)
    tamper_events = dict(_TAMPER_EVENTS)
    write_path_events = dict(_WRITE_PATH_EVENTS)
    read_path_events = dict(_READ_PATH_EVENTS)
    write_flags = _WRITE_FLAGS
    result_fd = RESULT_FD
    own_pid = _getpid()
    busy = [False]

    def normalise(path: object) -> str | None:
        """Absolute, lexically normalised path (no filesystem calls); None when not a path."""
        try:
            text = _fsdecode(_fspath(path))
        except Exception:
            return None
        if not text.startswith(sep):
            text = _getcwd() + sep + text
        parts: list[str] = []
        for part in text.split(sep):
            if part == "" or part == ".":
                continue
            if part == "..":
                if parts:
                    parts.pop()
                continue
            parts.append(part)
        return sep + sep.join(parts)

    def under(path: str, root: str) -> bool:
        return path == root or path.startswith(root + sep) or root == sep

    def may_read(path: str) -> bool:
        for root in roots:
            if under(path, root):
                return True
        return False

    def refuse(message: str) -> None:
        report(message)
        raise _violation(f"sandbox: {message} is not allowed")

    # Events fired thousands of times per render (builtins.id alone ~4000) that need no check.
    ignored = frozenset({"builtins.id", "object.__getattr__", "compile", "exec", "sys._getframe",
                         "object.__delattr__", "marshal.loads", "code.__new__", "function.__new__",
                         "os.putenv", "os.unsetenv", "time.sleep", "builtins.input", "sys.excepthook",
                         "sys.unraisablehook", "cpython.run_command", "mmap.__new__"})

    def hook(event: str, args: tuple) -> None:
        if event in ignored or busy[0]:
            return
        if event == "open":
            target = args[0]
            if _isinstance(target, _int):
                if target == result_fd:
                    busy[0] = True
                    try:
                        refuse("opening the sandbox's result channel")
                    finally:
                        busy[0] = False
                return
            path = normalise(target)
            if path is None:
                return
            mode, flags = args[1], args[2]
            writing = (_isinstance(flags, _int) and flags & write_flags) or (
                _isinstance(mode, _str) and ("w" in mode or "a" in mode or "x" in mode or "+" in mode)
            )
            if writing:
                if not under(path, workdir_):
                    busy[0] = True
                    try:
                        refuse(f"writing {path} (outside the working folder)")
                    finally:
                        busy[0] = False
            elif not may_read(path):
                busy[0] = True
                try:
                    refuse(f"reading {path} (outside the working folder and the libraries)")
                finally:
                    busy[0] = False
            return
        if event == "import":
            name = args[0]
            if _isinstance(name, _str):
                top = name.partition(".")[0]
                if top not in top_modules:
                    raise _module_not_found(
                        f"No module named {name!r}: not available in the sandbox ({available_hint})",
                        name=name,
                    )
            return
        message = None
        if event in process_events:
            message = process_events[event]
        elif event in network_events:
            message = network_events[event]
        elif event in tamper_events:
            message = tamper_events[event]
        elif event.startswith("socket."):
            if event != "socket.gethostname":
                message = f"network access ({event})"
        elif event.startswith("ctypes."):
            message = f"native code through ctypes ({event})"
        elif event == "os.kill":
            if args[0] != own_pid:
                message = "signalling other processes (os.kill)"
        elif event == "object.__setattr__":
            # Libraries rewrite their own functions' code (networkx does); the renderer's and the
            # sandbox's must stay as they are.
            if _len(args) > 1 and args[1] == "__code__":
                owner = _getattr(args[0], "__module__", None)
                if _isinstance(owner, _str) and owner.startswith(guarded_prefixes):
                    message = f"replacing the code of {owner}.{_getattr(args[0], '__qualname__', '?')}"
        elif event == "sqlite3.connect":
            database = args[0]
            if not (_isinstance(database, (_str, _bytes)) and _fsdecode(database) in (":memory:", "")):
                path = normalise(database)
                if path is None or not under(path, workdir_):
                    message = f"opening the database {database!r} (outside the working folder)"
        elif event in write_path_events:
            for index in write_path_events[event]:
                if index < _len(args) and args[index] is not None and not _isinstance(args[index], _int):
                    path = normalise(args[index])
                    if path is not None and not under(path, workdir_):
                        message = f"changing {path} (outside the working folder)"
                        break
        elif event in read_path_events:
            for index in read_path_events[event]:
                if index < _len(args) and args[index] is not None and not _isinstance(args[index], _int):
                    path = normalise(args[index])
                    if path is not None and not may_read(path):
                        message = f"looking into {path} (outside the working folder and the libraries)"
                        break
        if message is not None:
            busy[0] = True
            try:
                refuse(message)
            finally:
                busy[0] = False

    return hook


# ---------------------------------------------------------------------------------------------
# Tamper check: a snapshot of the renderer's and the harness's functions, taken in the warm
# parent; after the script ran, anything replaced marks the render forbidden (a script that
# swaps savefig or the result writer could otherwise fake a success).

GUARDED_MODULES: tuple[str, ...] = (
    "builtins", "os", "io", "json", "json.encoder", "struct", "hmac", "numpy",
    "matplotlib", "matplotlib.pyplot", "matplotlib.figure", "matplotlib.backend_bases",
    "matplotlib.backends.backend_agg", "matplotlib.text", "matplotlib.artist", "matplotlib.image",
    "PIL.Image", "PIL.PngImagePlugin",
    "core.sandbox.capture", "core.sandbox.harness", "core.sandbox.protocol", "core.sandbox.guards",
)
_CLASS_MODULE_PREFIXES = ("matplotlib.", "PIL.", "core.sandbox.")


class TamperSnapshot:
    """Identity of every function-like attribute of the guarded modules and of their classes."""

    def __init__(self, module_names: Iterable[str] = GUARDED_MODULES) -> None:
        self.module_attrs: list[tuple[str, ModuleType, dict[str, object]]] = []
        self.class_attrs: list[tuple[str, type, dict[str, object]]] = []
        for name in module_names:
            module = sys.modules.get(name)
            if module is None:
                continue
            namespace = vars(module)
            self.module_attrs.append(
                (name, module, {k: v for k, v in namespace.items() if callable(v) and not k.startswith("__")})
            )
            if not name.startswith(_CLASS_MODULE_PREFIXES):
                continue
            for value in list(namespace.values()):
                if isinstance(value, type) and value.__module__ == name:
                    self.class_attrs.append((f"{name}.{value.__qualname__}", value, dict(vars(value))))

    def changes(self) -> list[str]:
        """Names of guarded functions replaced or removed since the snapshot."""
        changed: list[str] = []
        for name, module, attrs in self.module_attrs:
            namespace = vars(module)
            for key, value in attrs.items():
                if namespace.get(key, _MISSING) is not value:
                    changed.append(f"{name}.{key}")
        for name, cls, attrs in self.class_attrs:
            namespace = vars(cls)
            for key, value in attrs.items():
                if namespace.get(key, _MISSING) is not value:
                    changed.append(f"{name}.{key}")
            if len(namespace) != len(attrs):
                for key in namespace:
                    if key not in attrs and any(key in vars(base) for base in cls.__mro__[1:]):
                        changed.append(f"{name}.{key}")
        return changed


_MISSING = object()
