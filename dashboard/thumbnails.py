"""Small PNG thumbnails of figures for galleries, cached under ``<workspace home>/thumbs/``.

A gallery never sends full figures to the browser: each tile shows a thumbnail made once with
Pillow and kept on disk. Every thumbnail has the same frame (the figure scaled to fit and centred
on white), so gallery tiles line up whatever the figures' aspect ratios. The cache file name is a hash of the source path, its size and
modification time and the thumbnail size, so a regenerated figure gets a fresh thumbnail and a
stale one is simply never read again (``prune_thumbnails`` clears old files).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from core.files import replacing
from core.serving import viewer_mode

THUMBS_DIR = "thumbs"
THUMBNAIL_SIZE = 320
"""Frame width in pixels: sharp in a four-column gallery on a wide screen."""
FRAME_ASPECT = 3 / 4
"""Frame height / width: most figures are landscape; tall ones are shown smaller, not cropped."""
FRAME_BACKGROUND = (255, 255, 255)

log = logging.getLogger("scigen.dashboard")


def thumbs_dir(home: str | os.PathLike[str]) -> Path:
    if viewer_mode():
        # A shared read-only workspace gets no files written into it: thumbnails go to a scratch folder.
        digest = hashlib.sha1(str(Path(home).resolve()).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"scigen-viewer-thumbs-{digest}"
    return Path(home) / THUMBS_DIR


def resolve_figure(home: str | os.PathLike[str], image_path: str | os.PathLike[str] | None) -> Path | None:
    """A stored figure path (relative to the workspace home, or absolute) as an existing file, or None."""
    if not image_path:
        return None
    path = Path(image_path)
    full = path if path.is_absolute() else Path(home) / path
    return full if full.is_file() else None


def thumbnail_path(home: str | os.PathLike[str], source: Path, size: int = THUMBNAIL_SIZE) -> Path:
    """Where the thumbnail of ``source`` at ``size`` lives (whether or not it exists yet)."""
    stat = source.stat()
    key = f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{frame_size(size)}"
    return thumbs_dir(home) / f"{hashlib.sha1(key.encode()).hexdigest()[:24]}.png"


def frame_size(size: int = THUMBNAIL_SIZE) -> tuple[int, int]:
    """(width, height) of every thumbnail made at ``size``."""
    return size, max(1, round(size * FRAME_ASPECT))


def make_thumbnail(source: Path, target: Path, size: int = THUMBNAIL_SIZE) -> None:
    """Write a PNG of ``source`` scaled to fit the frame (never enlarged) and centred on white to
    ``target``; transparent parts of the figure show white.

    Written to a scratch file and renamed, so a reader in another session never sees half a file.
    Raises OSError / PIL errors for an unreadable image.
    """
    with warnings.catch_warnings():
        # A huge image is refused (DecompressionBombError), not merely warned about.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(source) as image:
            box = frame_size(size)
            image.draft("RGB", box)  # JPEG: decode at reduced scale, cheaply
            image.thumbnail(box, Image.Resampling.LANCZOS)
            rgba = image.convert("RGBA")
            framed = Image.new("RGB", box, FRAME_BACKGROUND)
            framed.paste(rgba, ((box[0] - rgba.width) // 2, (box[1] - rgba.height) // 2), rgba)
            with replacing(target) as scratch:
                framed.save(scratch, format="PNG")


def thumbnail(
    home: str | os.PathLike[str], image_path: str | os.PathLike[str] | None, size: int = THUMBNAIL_SIZE
) -> Path | None:
    """The cached thumbnail of a stored figure, made on first use; None when the figure file is
    missing or not a readable image (the gallery then says so on the tile)."""
    source = resolve_figure(home, image_path)
    if source is None:
        return None
    try:
        target = thumbnail_path(home, source, size)
        if not target.is_file():
            make_thumbnail(source, target, size)
        return target
    except (
        OSError,
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        ValueError,
    ) as exc:
        log.warning("no thumbnail for %s: %s", source, exc)
        return None


def prune_thumbnails(home: str | os.PathLike[str], keep: set[Path] | None = None) -> int:
    """Delete cached thumbnails not in ``keep`` (all of them by default); returns how many."""
    removed = 0
    folder = thumbs_dir(home)
    if not folder.is_dir():
        return 0
    kept = {path.resolve() for path in keep or set()}
    for path in folder.glob("*.png"):
        if path.resolve() not in kept:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
