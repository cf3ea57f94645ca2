"""The audit-hook policy, the tamper check and the signed result channel, tested in-process
(the hook function is called directly, never installed here)."""

from __future__ import annotations

import os
import sys
import types

import pytest

from core.sandbox.guards import RESULT_FD, SandboxViolation, TamperSnapshot, make_audit_hook
from core.sandbox.protocol import (
    KIND_RESULT,
    KIND_VIOLATION,
    has_complete_result,
    pack_result,
    parse_child_frames,
    sign_frame,
    unpack_result,
)

WRITE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC


@pytest.fixture
def hook(tmp_path):
    reports: list[str] = []
    workdir = tmp_path / "job"
    workdir.mkdir()
    library = tmp_path / "lib"
    library.mkdir()
    made = make_audit_hook(workdir=str(workdir), read_roots=[str(library)], allowed_top_modules={"json", "numpy"},
                           available_hint="available: numpy", report=reports.append)
    made.reports = reports
    made.workdir = workdir
    made.library = library
    return made


def test_files_inside_the_working_folder_and_libraries_are_allowed(hook):
    hook("open", (str(hook.workdir / "a.png"), "w", WRITE))
    hook("open", (str(hook.workdir / "sub" / ".." / "b.txt"), "r", os.O_RDONLY))
    hook("open", (str(hook.library / "module.py"), "r", os.O_RDONLY))
    hook("os.listdir", (str(hook.library),))
    assert hook.reports == []


@pytest.mark.parametrize("event,args,fragment", [
    ("open", ("/etc/passwd", "r", os.O_RDONLY), "reading /etc/passwd"),
    ("open", ("LIB/module.py", "w", WRITE), "writing"),
    ("open", ("JOB/../escape.txt", "a", os.O_WRONLY | os.O_APPEND), "writing"),
    ("open", (RESULT_FD, "wb", WRITE), "result channel"),
    ("os.remove", ("/etc/hosts", None), "changing /etc/hosts"),
    ("os.rename", ("JOB/a", "/tmp/b", None, None), "changing /tmp/b"),
    ("os.symlink", ("/etc/passwd", "JOB/link", None), "changing /etc/passwd"),
    ("os.listdir", ("/home",), "looking into /home"),
    ("socket.__new__", (None, 2, 1, 0), "network"),
    ("socket.connect", (None, ("127.0.0.1", 80)), "network"),
    ("urllib.Request", ("http://x", None, {}, "GET"), "network"),
    ("subprocess.Popen", ("ls", ["ls"], None, None), "launching programs"),
    ("os.system", ("ls",), "launching programs"),
    ("os.exec", ("/bin/sh", ["sh"], None), "launching programs"),
    ("os.fork", (), "creating processes"),
    ("os.forkpty", (), "creating processes"),
    ("os.kill", (1, 9), "signalling other processes"),
    ("ctypes.dlopen", ("libc.so.6",), "ctypes"),
    ("ctypes.call_function", (0, ()), "ctypes"),
    ("sys.addaudithook", (), "audit hooks"),
    ("gc.get_referrers", (), "garbage collector"),
    ("resource.setrlimit", (0, (1, 1)), "resource limits"),
    ("sqlite3.connect", ("/work/scigen.duckdb",), "database"),
])
def test_forbidden_events_raise_and_are_reported(hook, event, args, fragment):
    args = tuple(a.replace("JOB", str(hook.workdir)).replace("LIB", str(hook.library)) if isinstance(a, str) else a
                 for a in args)
    with pytest.raises(SandboxViolation):
        hook(event, args)
    assert len(hook.reports) == 1 and fragment in hook.reports[0]


def test_harmless_events_pass(hook):
    hook("builtins.id", (1,))
    hook("os.kill", (os.getpid(), 0))
    hook("sqlite3.connect", (":memory:",))
    hook("object.__setattr__", (types.FunctionType(compile("0", "x", "eval"), {}), "__code__", None))
    hook("import", ("json.decoder", None, [], [], []))
    assert hook.reports == []


def test_rewriting_renderer_code_is_refused(hook):
    import matplotlib.figure

    with pytest.raises(SandboxViolation):
        hook("object.__setattr__", (matplotlib.figure.Figure.savefig, "__code__", None))


def test_imports_outside_the_offered_libraries_fail_like_missing_modules(hook):
    with pytest.raises(ModuleNotFoundError, match="not available in the sandbox"):
        hook("import", ("pandas.core", None, [], [], []))
    assert hook.reports == []  # a missing library is the script's error, not an attack


def test_tamper_snapshot_sees_replaced_functions_and_shadowing():
    module = types.ModuleType("core.sandbox._tamper_probe")
    exec("class Base:\n    def draw(self): return 1\nclass Child(Base):\n    pass\ndef helper(): return 2\n",
         module.__dict__)
    module.Base.__module__ = module.Child.__module__ = module.__name__
    sys.modules[module.__name__] = module
    try:
        snapshot = TamperSnapshot([module.__name__])
        assert snapshot.changes() == []
        module.extra = lambda: 3  # new names are fine
        assert snapshot.changes() == []
        module.helper = lambda: 4
        module.Child.draw = lambda self: 5  # shadows Base.draw
        assert sorted(snapshot.changes()) == [f"{module.__name__}.Child.draw", f"{module.__name__}.helper"]
    finally:
        del sys.modules[module.__name__]


def test_signed_frames_round_trip_and_forgeries_are_caught():
    key = os.urandom(32)
    result = sign_frame(key, KIND_RESULT, pack_result({"status": "ok"}, b"\x89PNG...", None))
    violation = sign_frame(key, KIND_VIOLATION, b"network access")
    frames, problem = parse_child_frames(violation + result, key)
    assert problem is None and [f.kind for f in frames] == [KIND_VIOLATION, KIND_RESULT]
    header, png, svg = unpack_result(frames[1].payload)
    assert header == {"status": "ok"} and png == b"\x89PNG..." and svg is None

    assert parse_child_frames(sign_frame(os.urandom(32), KIND_RESULT, b"x"), key)[1] == \
        "a result frame with a wrong signature"
    assert parse_child_frames(b"junk" + result, key)[1] == "unsigned bytes on the result channel"
    assert parse_child_frames(result[:-5], key)[1] == "truncated frame on the result channel"


def test_complete_result_detection():
    key = os.urandom(32)
    result = sign_frame(key, KIND_RESULT, b"payload")
    violation = sign_frame(key, KIND_VIOLATION, b"v")
    assert has_complete_result(b"") is False
    assert has_complete_result(result[:3]) is False
    assert has_complete_result(violation + result[:-1]) is False
    assert has_complete_result(violation + result) is True
    assert has_complete_result(b"garbage!!") is None
