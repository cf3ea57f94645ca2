"""Geometry of figure facts: which drawn texts overlap, which leave the canvas.

Pure functions over boxes in PNG pixel coordinates, so they are computed on the host from the
boxes the script's process measured (and can be tested without rendering).
"""

from __future__ import annotations

from typing import Any

from core.sandbox.models import AxesBox, FigureFacts, TextBox, TextOutside, TextOverlap

# Boxes are rounded to 0.01 px; anything thinner than this is touching, not overlapping.
MIN_OVERLAP_PX = 0.05


def intersection_area(a: TextBox, b: TextBox) -> float:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    if width <= MIN_OVERLAP_PX or height <= MIN_OVERLAP_PX:
        return 0.0
    return width * height


def find_overlaps(texts: list[TextBox]) -> list[TextOverlap]:
    """Every pair of text boxes that intersect (sweep over x, so near-linear for real figures)."""
    order = sorted(range(len(texts)), key=lambda i: texts[i].x0)
    overlaps: list[TextOverlap] = []
    active: list[int] = []
    for i in order:
        box = texts[i]
        active = [j for j in active if texts[j].x1 > box.x0 + MIN_OVERLAP_PX]
        for j in active:
            area = intersection_area(box, texts[j])
            if area > 0:
                smaller = min(box.area, texts[j].area)
                first, second = min(i, j), max(i, j)
                overlaps.append(TextOverlap(
                    first=first, second=second, area_px=round(area, 2),
                    fraction_of_smaller=round(min(1.0, area / smaller) if smaller > 0 else 1.0, 4),
                ))
        active.append(i)
    overlaps.sort(key=lambda o: (o.first, o.second))
    return overlaps


def find_outside(texts: list[TextBox], width: float, height: float) -> list[TextOutside]:
    """Texts whose box extends beyond the canvas (by more than rounding)."""
    tolerance = MIN_OVERLAP_PX
    outside: list[TextOutside] = []
    for index, box in enumerate(texts):
        sides = []
        if box.x0 < -tolerance:
            sides.append("left")
        if box.y0 < -tolerance:
            sides.append("top")
        if box.x1 > width + tolerance:
            sides.append("right")
        if box.y1 > height + tolerance:
            sides.append("bottom")
        if not sides:
            continue
        inside_w = max(0.0, min(box.x1, width) - max(box.x0, 0.0))
        inside_h = max(0.0, min(box.y1, height) - max(box.y0, 0.0))
        area = box.area
        fraction = 1.0 - (inside_w * inside_h / area) if area > 0 else 1.0
        outside.append(TextOutside(index=index, fraction_outside=round(fraction, 4), sides=sides))
    return outside


def build_facts(raw: dict[str, Any]) -> FigureFacts:
    """FigureFacts from the measurements sent by the script's process."""
    texts = [TextBox(**entry) for entry in raw.get("texts", [])]
    width, height = int(raw["width_px"]), int(raw["height_px"])
    return FigureFacts(
        width_px=width,
        height_px=height,
        dpi=float(raw["dpi"]),
        axes_count=int(raw["axes_count"]),
        axes=[AxesBox(**entry) for entry in raw.get("axes", [])],
        texts=texts,
        overlaps=find_overlaps(texts),
        outside_canvas=find_outside(texts, width, height),
        drawn_artists=int(raw.get("drawn_artists", 0)),
        uniform_pixels=bool(raw.get("uniform_pixels", False)),
    )
