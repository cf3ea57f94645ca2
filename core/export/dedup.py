"""Near-duplicate images by perceptual hash.

Two 64-bit hashes per image, both computed on the image flattened onto white and made grey:

* **dHash** (difference hash): the image shrunk to 9x8, one bit per horizontally adjacent pair
  (is the left pixel brighter than the right one?).
* **pHash** (DCT hash): the image shrunk to 32x32, a 2-D DCT-II, the 8x8 lowest frequencies kept;
  one bit per coefficient (above the median of the 63 non-DC coefficients?).

Rule: two images are near-duplicates when **both** Hamming distances are at most
``NEAR_DUPLICATE_BITS`` (6 of 64). Requiring both keeps mostly-white scientific figures that merely
share a layout apart (pHash alone is coarse on line drawings), while re-encodings, rescalings and
small edits of one figure still match. Records are visited in order; a record is dropped when it is
a near-duplicate of one already kept (the first of a group is kept).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.fft import dctn

NEAR_DUPLICATE_BITS = 6
"""Largest Hamming distance (of 64 bits, for pHash and dHash alike) still counted as a near-duplicate."""

__all__ = ["NEAR_DUPLICATE_BITS", "ImageHash", "dhash", "find_near_duplicates", "hamming", "image_hash", "phash"]


def _grey(image: Image.Image) -> Image.Image:
    """Transparent parts become white (how a figure is seen), then one grey channel."""
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(canvas, rgba)
    return image.convert("L")


def _bits(flags: np.ndarray) -> int:
    value = 0
    for flag in flags.ravel():
        value = (value << 1) | int(bool(flag))
    return value


def dhash(image: Image.Image) -> int:
    pixels = np.asarray(_grey(image).resize((9, 8), Image.Resampling.LANCZOS), dtype=np.float64)
    return _bits(pixels[:, :-1] > pixels[:, 1:])


def phash(image: Image.Image) -> int:
    pixels = np.asarray(_grey(image).resize((32, 32), Image.Resampling.LANCZOS), dtype=np.float64)
    low = dctn(pixels, type=2, norm="ortho")[:8, :8]
    median = np.median(low.ravel()[1:])  # the DC term (overall brightness) would skew the median
    return _bits(low > median)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


@dataclass(frozen=True)
class ImageHash:
    phash: int
    dhash: int

    def distance(self, other: ImageHash) -> tuple[int, int]:
        """(pHash, dHash) Hamming distances."""
        return hamming(self.phash, other.phash), hamming(self.dhash, other.dhash)

    def near(self, other: ImageHash, max_bits: int = NEAR_DUPLICATE_BITS) -> bool:
        return max(self.distance(other)) <= max_bits


def image_hash(path: str | Path) -> ImageHash:
    with Image.open(path) as image:
        image.load()
        return ImageHash(phash(image), dhash(image))


def find_near_duplicates(
    items: Iterable[tuple[str, str | Path]], *, max_bits: int = NEAR_DUPLICATE_BITS
) -> dict[str, str]:
    """``{dropped key: the kept key it duplicates}`` over ``(key, image path)`` in order (first kept)."""
    return near_duplicates_of_hashes(((key, image_hash(path)) for key, path in items), max_bits=max_bits)


def near_duplicates_of_hashes(
    items: Iterable[tuple[str, ImageHash]], *, max_bits: int = NEAR_DUPLICATE_BITS
) -> dict[str, str]:
    """:func:`find_near_duplicates` over hashes computed earlier (the engine's workers hash each
    figure where it was drawn; the driver compares hashes only).

    The pHash is cut into ``max_bits + 1`` bands: two hashes within ``max_bits`` differing bits
    agree exactly on at least one band (pigeonhole), so only kept figures sharing a band are
    compared: on spread-out hashes about 1/70 of the kept ones (30K figures in 9 s on the 2-core
    development machine; a million still needs a finer index). The result is the same as
    comparing with every kept figure: the earliest near one in order is the twin."""
    bands = _bands(max_bits)
    buckets: dict[tuple[int, int], list[int]] = {}
    kept: list[tuple[str, ImageHash]] = []
    dropped: dict[str, str] = {}
    for key, current in items:
        parts = [(band, (current.phash >> shift) & mask) for band, (shift, mask) in enumerate(bands)]
        candidates = sorted({index for part in parts for index in buckets.get(part, ())})
        twin = next((kept[index][0] for index in candidates if current.near(kept[index][1], max_bits)), None)
        if twin is None:
            for part in parts:
                buckets.setdefault(part, []).append(len(kept))
            kept.append((key, current))
        else:
            dropped[key] = twin
    return dropped


def _bands(max_bits: int) -> list[tuple[int, int]]:
    """(shift, mask) of ``max_bits + 1`` bands covering the 64 bits of a pHash; one empty band
    (every kept figure compared) when the pigeonhole cannot work (max_bits < 0 or >= 64)."""
    if not 0 <= max_bits < 64:
        return [(0, 0)]
    count = max_bits + 1
    edges = [round(64 * index / count) for index in range(count + 1)]
    return [(start, (1 << (end - start)) - 1) for start, end in zip(edges, edges[1:], strict=False)]
