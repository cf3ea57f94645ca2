"""Hostile scripts: each must end with the expected error class, leave the host and the machine
untouched, and the next normal render must still work."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core.sandbox import ErrorClass

# Appended to hostile scripts: were the attack to pass silently, the render would succeed.
THEN_DRAW = """
import matplotlib.pyplot as plt
plt.plot([1, 2, 3])
plt.savefig("figure.png")
"""


@dataclass
class Hostile:
    name: str
    code: str
    expected: ErrorClass | None  # None: the render succeeds, harmlessly
    limits: dict = field(default_factory=dict)


def cases(port: int, db: Path, outside: Path) -> list[Hostile]:
    home = os.path.expanduser("~")
    return [
        Hostile("env_api_key", "import os\nprint(dict(os.environ))" + THEN_DRAW, None),
        Hostile("read_workspace_db", f"print(open({str(db)!r}, 'rb').read())" + THEN_DRAW,
                ErrorClass.forbidden),
        Hostile("read_home", f"print(open({home + '/.bashrc'!r}).read())" + THEN_DRAW, ErrorClass.forbidden),
        Hostile("read_host_etc", "print(open('/etc/passwd').read())" + THEN_DRAW, ErrorClass.forbidden),
        Hostile("read_parent_environ", "import os\nprint(open(f'/proc/{os.getppid()}/environ').read())"
                + THEN_DRAW, ErrorClass.forbidden),
        Hostile("write_parent_dir", "open('../../escape.txt', 'w').write('x')" + THEN_DRAW, ErrorClass.forbidden),
        Hostile("write_absolute", f"open({str(outside)!r}, 'w').write('x')" + THEN_DRAW, ErrorClass.forbidden),
        Hostile("delete_db", f"import os\nos.remove({str(db)!r})" + THEN_DRAW, ErrorClass.forbidden),
        Hostile("socket_to_host", f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)"
                + THEN_DRAW, ErrorClass.forbidden),
        Hostile("urllib", "import urllib.request\nurllib.request.urlopen('http://example.com', timeout=2)"
                + THEN_DRAW, ErrorClass.forbidden),
        Hostile("subprocess", "import subprocess\nsubprocess.run(['ls', '/'])" + THEN_DRAW, ErrorClass.forbidden),
        Hostile("os_system", "import os\nos.system('touch /tmp/scigen-pwned')" + THEN_DRAW, ErrorClass.forbidden),
        Hostile("os_exec", "import os\nos.execv('/bin/sh', ['sh', '-c', 'true'])" + THEN_DRAW, ErrorClass.forbidden),
        Hostile("pty_spawn", "import pty\npty.spawn('/bin/sh')" + THEN_DRAW, ErrorClass.forbidden),
        Hostile("fork_bomb", "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
                ErrorClass.forbidden, {"timeout_s": 1.0}),
        Hostile("memory_bomb", "blob = bytearray(16 * 1024 ** 3)" + THEN_DRAW, ErrorClass.memory_limit,
                {"memory_mb": 256}),
        Hostile("memory_creep", "chunks = []\nwhile True:\n    chunks.append(bytearray(32 * 1024 ** 2))\n",
                ErrorClass.memory_limit, {"memory_mb": 256}),
        Hostile("cpu_loop", "while True:\n    pass\n", ErrorClass.timeout, {"timeout_s": 1.0}),
        Hostile("sleep_forever", "import time\ntime.sleep(1e9)\n", ErrorClass.timeout, {"timeout_s": 1.0}),
        Hostile("deep_recursion", "def down(n):\n    return down(n + 1)\n\ndown(0)\n", ErrorClass.runtime_error),
        Hostile("huge_figure", "import matplotlib.pyplot as plt\nfig = plt.figure(figsize=(1000, 1000), dpi=100)\n"
                "plt.plot([1, 2])\nfig.savefig('big.png')\n", ErrorClass.output_too_large),
        Hostile("disk_fill", "with open('fill.bin', 'wb') as f:\n    while True:\n        f.write(b'0' * 2 ** 20)\n",
                ErrorClass.output_too_large, {"output_mb": 8}),
        Hostile("stdout_flood", "for i in range(60000):\n    print('flood', i, 'x' * 200)" + THEN_DRAW, None),
        Hostile("ctypes_libc_system", "import ctypes\nctypes.CDLL(None).system(b'touch /tmp/scigen-pwned')"
                + THEN_DRAW, ErrorClass.forbidden),
        Hostile("ctypes_read_memory", "import ctypes\nprint(ctypes.string_at(id(object()), 64))" + THEN_DRAW,
                ErrorClass.forbidden),
        Hostile("threads_outlive", "import threading, time\n\ndef spin():\n    while True:\n        time.sleep(0.001)\n\n"
                "for _ in range(4):\n    threading.Thread(target=spin).start()\n" + THEN_DRAW, None),
        Hostile("signal_atexit_tamper",
                "import atexit, signal\nfor s in (signal.SIGTERM, signal.SIGXCPU, signal.SIGALRM):\n"
                "    signal.signal(s, signal.SIG_IGN)\natexit.register(lambda: print('ATEXIT RAN'))\n"
                "while True:\n    pass\n", ErrorClass.timeout, {"timeout_s": 1.0}),
        Hostile("patch_pyplot_savefig",
                "import matplotlib.pyplot as plt\nplt.savefig = lambda *a, **k: open('figure.png', 'wb').write(b'x')\n"
                "plt.plot([1, 2])\nplt.savefig('figure.png')\n", ErrorClass.forbidden),
        Hostile("patch_figure_class",
                "import matplotlib.figure as mf\nmf.Figure.savefig = lambda self, *a, **k: None\n"
                "import matplotlib.pyplot as plt\nplt.figure().savefig('figure.png')\n", ErrorClass.forbidden),
        Hostile("patch_harness", "import sys\nsys.modules['core.sandbox.capture'].choose_and_render = lambda *a: None"
                + THEN_DRAW, ErrorClass.forbidden),
        Hostile("forge_result_frame",
                "import os, json\npayload = json.dumps({'status': 'ok'}).encode()\n"
                "os.write(3, b'SGC1R' + len(payload).to_bytes(4, 'big') + payload + bytes(32))\nos._exit(0)\n",
                ErrorClass.forbidden),
        Hostile("kill_parent", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)" + THEN_DRAW,
                ErrorClass.forbidden),
        Hostile("raise_limits", "import resource\nresource.setrlimit(resource.RLIMIT_CPU, (10**6, 10**6))"
                + THEN_DRAW, ErrorClass.forbidden),
        Hostile("import_duckdb", f"import duckdb\nduckdb.connect({str(db)!r})" + THEN_DRAW, ErrorClass.runtime_error),
    ]


CASE_NAMES = [case.name for case in cases(0, Path("/x"), Path("/y"))]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_hostile_script(name, pool, listener, connections, still_works, canary_env, tmp_path):
    db = tmp_path / ".scigen" / "scigen.duckdb"
    db.parent.mkdir()
    db.write_bytes(b"CANARY-DB-CONTENT")
    outside = tmp_path / "escape.txt"
    case = next(c for c in cases(listener.getsockname()[1], db, outside) if c.name == name)

    result = pool.render(case.code, **{"timeout_s": 10.0, **case.limits})

    assert result.error_class == case.expected, (result.one_line(), result.traceback_tail, result.stderr[-500:])
    assert result.ok == (case.expected is None)
    # Nothing leaked or changed on the host.
    combined = result.stdout + result.stderr
    for secret in canary_env.values():
        assert secret not in combined
    assert "CANARY-DB-CONTENT" not in combined
    assert db.read_bytes() == b"CANARY-DB-CONTENT"
    assert not outside.exists()
    assert not Path("/tmp/scigen-pwned").exists()
    assert connections(listener) == 0
    assert "ATEXIT RAN" not in combined
    # The host survives and the next render works.
    still_works(pool)


def test_there_are_at_least_twenty_hostile_scripts():
    assert len(CASE_NAMES) >= 20
    assert len(set(CASE_NAMES)) == len(CASE_NAMES)


def test_timeouts_kill_promptly(pool):
    result = pool.render("import time\ntime.sleep(1e9)\n", timeout_s=0.5)
    assert result.error_class == ErrorClass.timeout
    assert result.duration_s < 3.0


def test_stdout_flood_is_trimmed(pool):
    result = pool.render("for i in range(60000):\n    print('flood', i, 'x' * 200)" + THEN_DRAW)
    assert result.ok
    assert len(result.stdout) < 64 * 1024
    assert "bytes dropped" in result.stdout
    assert "flood 0 " in result.stdout and "flood 59999 " in result.stdout


def test_violation_counts_even_when_the_script_swallows_it(pool):
    code = "try:\n    open('/etc/passwd').read()\nexcept Exception:\n    pass\n" + THEN_DRAW
    result = pool.render(code)
    assert result.error_class == ErrorClass.forbidden
    assert "/etc/passwd" in (result.error or "")


def test_deep_recursion_points_at_the_recursive_line(pool):
    result = pool.render("def down(n):\n    return down(n + 1)\n\ndown(0)\n")
    assert result.error_class == ErrorClass.runtime_error
    assert result.error_line == 2
    assert "RecursionError" in (result.error or "")
