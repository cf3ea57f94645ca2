"""Atomic writes: the target holds the old or the whole new content, never a scratch file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from core.files import replacing, write_bytes_atomically, write_text_atomically


def test_bytes_and_text_replace_the_target_and_leave_no_scratch_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "folder" / "figure.png"
    assert write_bytes_atomically(target, b"first") == target
    write_bytes_atomically(target, b"second")
    assert target.read_bytes() == b"second"
    write_text_atomically(target, "é", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "é"
    assert os.listdir(target.parent) == ["figure.png"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_scratch_file(tmp_path: Path) -> None:
    target = tmp_path / "cache.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), replacing(target) as scratch:
        scratch.write_text("half", encoding="utf-8")
        raise RuntimeError("writer died")
    assert target.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["cache.json"]


def test_a_writer_that_wants_a_file_name_gets_one_beside_the_target(tmp_path: Path) -> None:
    target = tmp_path / "weights.pt"
    with replacing(target) as scratch:
        assert scratch.parent == target.parent and not scratch.exists()
        scratch.write_bytes(b"weights")
    assert target.read_bytes() == b"weights"


def test_files_get_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        target = write_bytes_atomically(tmp_path / "shared.bin", b"x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
