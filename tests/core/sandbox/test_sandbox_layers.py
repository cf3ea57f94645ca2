"""Each isolation layer holds on its own: kernel layers are tested with the audit hooks off
(``kernel_pool``), the audit hooks with namespaces and user switching off (``hooks_pool``)."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

import pytest

from core.sandbox import ErrorClass, RenderPool, SandboxConfig, SandboxUnavailable
from core.sandbox.kernel import JOB_DIR, read_only_paths

THEN_DRAW = "\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.savefig('figure.png')\n"
ALLOWED_ENV = {"PATH", "LANG", "LC_ALL", "LC_CTYPE", "MPLBACKEND", "MPLCONFIGDIR", "PYTHONHASHSEED",
               "PYTHONDONTWRITEBYTECODE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "MALLOC_ARENA_MAX", "TZ", "HOME", "TMPDIR", "PWD", "RDBASE"}


def test_check_reports_every_layer_verified(pool):
    report = pool.check()
    names = [layer.name for layer in report.layers]
    for expected in ("fresh_process", "scrubbed_environment", "private_workdir", "mount_namespace",
                     "network_namespace", "unprivileged_user", "rlimit_cpu", "rlimit_memory",
                     "rlimit_file_size", "rlimit_processes", "wall_timeout", "audit_hooks",
                     "tamper_check", "signed_results"):
        assert expected in names
    if pool.info["mode"] == "root":
        assert report.all_active, report.inactive
        assert "verified" in report.layer("network_namespace").detail
        assert "verified" in report.layer("mount_namespace").detail


def test_environment_is_scrubbed(pool, canary_env):
    result = pool.render("import os\nfor k, v in sorted(os.environ.items()):\n    print(k, '=', v)" + THEN_DRAW)
    assert result.ok
    names = {line.split(" = ")[0] for line in result.stdout.strip().splitlines()}
    assert names <= ALLOWED_ENV, names - ALLOWED_ENV
    for name, secret in canary_env.items():
        assert name not in result.stdout and secret not in result.stdout


def test_working_folder_is_fresh_and_private(pool):
    first = pool.render("import os\nopen('marker.txt', 'w').write('x')\nprint(os.getcwd())" + THEN_DRAW)
    second = pool.render("import os\nprint(sorted(os.listdir('.')))" + THEN_DRAW)
    assert first.ok and second.ok
    assert second.stdout.strip() == "['script.py']"  # nothing from the first render


def test_nothing_leaks_between_renders(pool):
    first = pool.render("import math, matplotlib\nmath.leaked = True\nmatplotlib.rcParams['lines.linewidth'] = 9\n"
                        "import builtins\nbuiltins.LEAK = 1" + THEN_DRAW)
    second = pool.render("import math, matplotlib, builtins\n"
                         "print(hasattr(math, 'leaked'), matplotlib.rcParams['lines.linewidth'], hasattr(builtins, 'LEAK'))"
                         + THEN_DRAW)
    assert first.ok and second.ok
    assert second.stdout.strip() == "False 1.5 False"


# Files the private root holds besides the offered library folders (see kernel.enter_private_root).
SANDBOX_OWN_FILES = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/etc/ld.so.cache"}

# Inside the sandbox: every file reachable from / that is neither in an offered library folder nor
# one of the sandbox's own (device nodes, the job folder). Offered folders are not descended;
# symlinks (/bin -> usr/bin) are skipped: their targets are walked, or absent.
FILES_OUTSIDE_OFFERED = """
import os, json
offered, own, job = set({offered!r}), set({own!r}), {job!r}
found = []
for folder, subfolders, files in os.walk('/'):
    subfolders[:] = [name for name in subfolders if os.path.join(folder, name) not in offered]
    for name in files:
        path = os.path.join(folder, name)
        if not os.path.islink(path) and path not in own and not path.startswith(job + '/'):
            found.append(path)
print(json.dumps(found[:50]))
"""


@pytest.fixture
def host_canaries(tmp_path):
    """Host files no script may see: in a fresh temp folder, in the home folder, in the project."""
    tag = uuid.uuid4().hex
    places = [tmp_path, Path.home(), Path(__file__).resolve().parents[3]]
    canaries = []
    for folder in places:
        canary = folder / f".scigen-sandbox-canary-{tag}"
        try:
            canary.write_text("HOST-SECRET", encoding="utf-8")
        except OSError:
            continue  # a read-only home is as good as an empty one
        canaries.append(canary)
    yield canaries
    for canary in canaries:
        canary.unlink(missing_ok=True)


def test_mount_namespace_hides_host_files_outside_the_offered_library_folders(kernel_pool, host_canaries):
    offered = read_only_paths()
    assert host_canaries and not [c for c in host_canaries if any(c.is_relative_to(p) for p in offered)]
    probe = "".join(
        f"print(os.path.exists({str(c)!r}))\ntry:\n    open({str(c)!r}).read()\n    print('read')\n"
        f"except OSError as exc:\n    print(type(exc).__name__)\n"
        for c in host_canaries
    )
    seen = kernel_pool.render("import os\n" + probe + THEN_DRAW)
    assert seen.ok, seen.error
    lines = seen.stdout.split()
    assert lines[0::2] == ["False"] * len(host_canaries)
    assert "read" not in lines[1::2]
    walk = kernel_pool.render(
        FILES_OUTSIDE_OFFERED.format(offered=offered, own=sorted(SANDBOX_OWN_FILES), job=JOB_DIR) + THEN_DRAW,
        timeout_s=60,
    )
    assert walk.ok, walk.error
    assert json.loads(walk.stdout) == []


def test_offered_library_folders_are_read_only(kernel_pool):
    write = kernel_pool.render("open('/usr/lib/pwned', 'w').write('x')" + THEN_DRAW)
    assert write.error_class == ErrorClass.runtime_error
    assert "Read-only file system" in write.error or "Permission denied" in write.error


def test_network_namespace_blocks_connections(kernel_pool, listener, connections):
    port = listener.getsockname()[1]
    result = kernel_pool.render(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)" + THEN_DRAW)
    assert result.error_class == ErrorClass.runtime_error and "unreachable" in result.error.lower()
    assert connections(listener) == 0


def test_scripts_run_as_an_unprivileged_user(kernel_pool):
    if not kernel_pool.info.get("drop_privileges"):
        pytest.skip("not running as root: no separate user id to drop to")
    result = kernel_pool.render("import os\nprint(os.getuid(), os.getgid())\nos.setuid(0)" + THEN_DRAW)
    uid, gid = map(int, result.stdout.split())
    assert uid != 0 and gid != 0
    assert result.error_class == ErrorClass.runtime_error and "PermissionError" in result.error


def test_rlimit_cpu(pool):
    result = pool.render("while True:\n    pass\n", timeout_s=30, cpu_s=1)
    assert result.error_class == ErrorClass.timeout and "CPU-time" in result.error
    assert result.duration_s < 15  # well before the 30 s wall clock, even on a busy machine


def test_rlimit_memory_without_hooks(kernel_pool):
    result = kernel_pool.render("blob = bytearray(6 * 1024 ** 3)" + THEN_DRAW, memory_mb=256)
    assert result.error_class == ErrorClass.memory_limit


def test_rlimit_file_size_without_hooks(kernel_pool):
    result = kernel_pool.render("open('big.bin', 'wb').write(b'0' * (5 * 1024 * 1024))" + THEN_DRAW, output_mb=1)
    assert result.error_class == ErrorClass.output_too_large


def test_rlimit_threads_and_processes(kernel_pool):
    if not kernel_pool.info.get("drop_privileges"):
        pytest.skip("RLIMIT_NPROC needs a dedicated user id (root)")
    code = ("import threading, time\nstarted = 0\ntry:\n    for _ in range(200):\n"
            "        threading.Thread(target=time.sleep, args=(5,), daemon=True).start()\n        started += 1\n"
            "except RuntimeError as exc:\n    print('stopped', started, exc)\n") + THEN_DRAW
    result = kernel_pool.render(code, max_threads=12)
    assert result.ok and result.stdout.startswith("stopped")
    assert int(result.stdout.split()[1]) < 12


def test_wall_timeout_kills_the_whole_process_group(kernel_pool):
    code = ("import os, sys, time\npid = os.fork()\nif pid == 0:\n    time.sleep(60)\n    os._exit(0)\n"
            "print('grandchild', pid, flush=True)\ntime.sleep(60)\n")
    result = kernel_pool.render(code, timeout_s=1.0)
    assert result.error_class == ErrorClass.timeout
    grandchild = int(result.stdout.split()[1])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        with open(f"/proc/{grandchild}/stat") as stat:
            if stat.read().split(")")[-1].split()[0] == "Z":
                break
        time.sleep(0.05)
    else:
        pytest.fail(f"process {grandchild} forked by the script outlived the timeout")


def test_audit_hooks_alone_block_files_network_and_programs(hooks_pool, tmp_path, listener, connections):
    assert hooks_pool.info["mode"] == "off"
    target = tmp_path / "written-by-script.txt"
    port = listener.getsockname()[1]
    for code in (
        f"open({str(target)!r}, 'w').write('x')",
        "print(open('/etc/passwd').read())",
        f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)",
        "import subprocess\nsubprocess.run(['true'])",
        "import ctypes\nctypes.CDLL(None)",
    ):
        result = hooks_pool.render(code + THEN_DRAW)
        assert result.error_class == ErrorClass.forbidden, (code, result.one_line())
    assert not target.exists()
    assert connections(listener) == 0


def test_user_namespace_mode_works_without_root_privileges():
    try:
        user_pool = RenderPool(SandboxConfig(
            workers=1, namespaces="user", audit_hooks=False,
            preload=("numpy", "matplotlib", "matplotlib.pyplot", "PIL.PngImagePlugin"),
        ))
    except SandboxUnavailable as exc:
        pytest.skip(f"user namespaces unavailable here: {exc}")
    with user_pool:
        assert user_pool.info["mode"] == "user"
        result = user_pool.render("import socket, os\nprint(os.getuid())\n"
                                  "try:\n    socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
                                  "except OSError as exc:\n    print('blocked', exc.errno)" + THEN_DRAW)
        assert result.ok, result.one_line()
        assert "blocked" in result.stdout
        assert "mount_namespace" in result.isolation and "network_namespace" in result.isolation


def test_a_script_killing_itself_is_a_runtime_error(kernel_pool):
    result = kernel_pool.render("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    assert result.error_class == ErrorClass.runtime_error and "SIGKILL" in result.error
    segfault = kernel_pool.render("import ctypes\nctypes.string_at(0)\n")
    assert segfault.error_class == ErrorClass.runtime_error and "SIGSEGV" in segfault.error
