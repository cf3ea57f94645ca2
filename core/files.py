"""Atomic file writes: a reader (another process, another session) sees the old file or the
whole new one, never half a file.

The data goes to a fresh file in the target's folder (same file system, so ``os.replace`` is an
atomic rename) and replaces the target only once complete; on any error the scratch file is
removed and the target is left as it was. Files get the usual permissions (0o666 less the umask),
like a plain ``open(path, "w")``. No project imports: anything may use it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["replacing", "write_bytes_atomically", "write_text_atomically"]


@contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A scratch path beside ``path`` for a writer that wants a file name (``torch.save``, an image
    library); it replaces ``path`` when the block ends without an error. Folders are created."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Unique per writer, so concurrent writers of one target never share a scratch file.
    scratch = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield scratch
        os.replace(scratch, target)
    finally:
        scratch.unlink(missing_ok=True)


def write_bytes_atomically(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with replacing(path) as scratch:
        with open(scratch, "xb") as handle:
            handle.write(data)
    return Path(path)


def write_text_atomically(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; returns the path."""
    return write_bytes_atomically(path, text.encode(encoding))
