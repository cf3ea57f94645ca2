"""Thin wrappers over the Linux calls the sandbox needs and Python 3.11 lacks (unshare, mount,
pivot_root, prctl, capset), plus the private root the warm parent pivots into.

Only trusted code calls these (the warm parent, and each child before the script starts): once
the audit hooks are in, ctypes is off limits for everyone in that process.
"""

from __future__ import annotations

import ctypes
import os
import platform
import random
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38

_PIVOT_ROOT_SYSCALL = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
_CAPSET_SYSCALL = {"x86_64": 126, "aarch64": 91, "riscv64": 91, "ppc64le": 184, "s390x": 185}

# Where each render's private working folder is mounted inside the private root.
JOB_DIR = "/job"

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _b(value: str | None) -> bytes | None:
    return None if value is None else os.fsencode(value)


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(
        _libc.mount(_b(source), _b(target), _b(fstype), ctypes.c_ulong(flags), _b(data)),
        f"mount {target}",
    )


def umount2(target: str, flags: int) -> None:
    _check(_libc.umount2(_b(target), ctypes.c_int(flags)), f"umount {target}")


def pivot_root(new_root: str, put_old: str) -> None:
    number = _PIVOT_ROOT_SYSCALL.get(platform.machine())
    if number is None:
        raise OSError(f"pivot_root: unknown syscall number on {platform.machine()}")
    _check(_libc.syscall(ctypes.c_long(number), _b(new_root), _b(put_old)), "pivot_root")


def prctl(option: int, arg2: int = 0) -> None:
    _check(
        _libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg2), ctypes.c_ulong(0), ctypes.c_ulong(0),
                    ctypes.c_ulong(0)),
        f"prctl({option})",
    )


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_all_capabilities() -> None:
    """Clear every capability of the calling thread (used where no other user id is available)."""
    number = _CAPSET_SYSCALL.get(platform.machine())
    if number is None:
        raise OSError(f"capset: unknown syscall number on {platform.machine()}")
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    _check(_libc.syscall(ctypes.c_long(number), ctypes.byref(header), ctypes.byref(data)), "capset")


def vm_size_bytes() -> int:
    """Virtual size of this process (the base the script's memory budget is added to)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise OSError("VmSize not found in /proc/self/status")


def choose_uid_base(count: int) -> int | None:
    """A run of ``count`` unused-looking user ids inside this namespace's uid map, or None."""
    try:
        lines = Path("/proc/self/uid_map").read_text().split("\n")
    except OSError:
        return None
    best: tuple[int, int] | None = None
    for line in lines:
        parts = line.split()
        if len(parts) == 3:
            start, length = int(parts[0]), int(parts[2])
            if best is None or length > best[1]:
                best = (start, length)
    if best is None:
        return None
    start, length = best
    # Stay well away from system and ordinary user ids (and from 2**32-1, the invalid id).
    low, high = start + 1_000_000, start + length - 2 - count
    if high - low < 1_000_000:
        return None
    return random.randrange(low, high - count) // 64 * 64


@dataclass
class PrivateRoot:
    """What the warm parent's private root looks like (reported by ``--check``)."""

    mode: str
    """root (namespaces as real root), user (inside a user namespace) or off."""
    read_only_paths: list[str] = field(default_factory=list)
    error: str | None = None


def read_only_paths() -> list[str]:
    """Host folders the script needs to read (libraries only): shared libraries, the standard
    library and site-packages. No /proc, /etc, /home, /root, /tmp, no project folder, no workspace."""
    candidates: list[str] = ["/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/local/lib", "/lib", "/lib64"]
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        candidates.append(sysconfig.get_paths()[key])
    candidates.append(os.path.join(sys.base_prefix, "lib"))
    candidates.append(os.path.join(sys.prefix, "lib"))
    for entry in sys.path:
        if entry and os.path.isdir(entry) and ("site-packages" in entry or "dist-packages" in entry):
            candidates.append(entry)
    chosen: list[str] = []
    for path in sorted({os.path.abspath(p) for p in candidates}, key=len):
        if not os.path.isdir(path) or os.path.islink(path):
            continue
        if any(path == done or path.startswith(done + os.sep) for done in chosen):
            continue
        chosen.append(path)
    return chosen


def _mkdirs(root: str, path: str) -> str:
    target = root + path
    os.makedirs(target, mode=0o755, exist_ok=True)
    return target


def enter_private_root(mode: str, extra_read_only: tuple[str, ...] = ()) -> PrivateRoot:
    """Move the calling (single-threaded) process into new mount and network namespaces whose root
    holds only read-only library folders, a few device nodes and an empty ``/job`` mount point.

    ``extra_read_only`` adds host folders or single files at the same place, read-only (the TeX
    engine uses it for its binaries, its trees and the prebuilt format).

    mode "root" needs CAP_SYS_ADMIN; mode "user" first enters a user namespace mapping the caller
    to root there. Children inherit all of it; each adds a mount namespace for its own tmpfs.
    """
    paths = read_only_paths()
    extra_files = [p for p in extra_read_only if os.path.isfile(p)]
    for path in extra_read_only:
        if os.path.isdir(path) and not any(path == done or path.startswith(done + os.sep) for done in paths):
            paths.append(path)
    if mode == "user":
        uid, gid = os.getuid(), os.getgid()
        unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET)
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
        Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
    else:
        unshare(CLONE_NEWNS | CLONE_NEWNET)
    mount(None, "/", None, MS_REC | MS_PRIVATE)

    # The new root is a small tmpfs; /tmp serves as its mount point unless a needed path is there.
    new_root = "/tmp"
    if any(p == "/tmp" or p.startswith("/tmp/") for p in paths):
        new_root = "/mnt" if os.path.isdir("/mnt") else "/media"
    mount("tmpfs", new_root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0755")

    for top in ("lib", "lib64", "lib32", "bin", "sbin"):
        host = "/" + top
        if os.path.islink(host):
            os.symlink(os.readlink(host), os.path.join(new_root, top))
    for path in paths:
        target = _mkdirs(new_root, path)
        mount(os.path.realpath(path), target, None, MS_BIND)
        mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    for path in extra_files:
        _mkdirs(new_root, os.path.dirname(path))
        target = new_root + path
        open(target, "w").close()
        mount(os.path.realpath(path), target, None, MS_BIND)
        mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    for device in ("null", "zero", "full", "random", "urandom"):
        host = "/dev/" + device
        if os.path.exists(host):
            _mkdirs(new_root, "/dev")
            target = f"{new_root}/dev/{device}"
            open(target, "w").close()
            mount(host, target, None, MS_BIND)
            mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
    if os.path.isfile("/etc/ld.so.cache"):
        _mkdirs(new_root, "/etc")
        target = f"{new_root}/etc/ld.so.cache"
        open(target, "w").close()
        mount("/etc/ld.so.cache", target, None, MS_BIND)
        mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    _mkdirs(new_root, JOB_DIR)
    _mkdirs(new_root, "/.old_root")

    pivot_root(new_root, new_root + "/.old_root")
    os.chdir("/")
    umount2("/.old_root", MNT_DETACH)
    os.rmdir("/.old_root")
    mount("tmpfs", "/", "tmpfs", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    return PrivateRoot(mode=mode, read_only_paths=paths)
