"""Figure facts: text boxes in PNG pixels checked against the ink in the PNG, known overlaps,
text outside the canvas, roles, axes, sizes; and the pure geometry on synthetic boxes."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image

from core.sandbox import TextBox
from core.sandbox.facts import find_outside, find_overlaps, intersection_area


def red_ink(png: bytes) -> tuple[int, int, int, int]:
    """Bounding box (x0, y0, x1, y1) of the reddish pixels, PNG coordinates, x1/y1 exclusive."""
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    mask = (rgb[..., 0] > 150) & (rgb[..., 1] < 120) & (rgb[..., 2] < 120)
    ys, xs = np.nonzero(mask)
    assert xs.size, "no red ink found"
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def the_text(result, text: str) -> TextBox:
    matches = [t for t in result.facts.texts if t.text == text]
    assert len(matches) == 1, [t.text for t in result.facts.texts]
    return matches[0]


@pytest.mark.parametrize("setup,save", [
    ("fig = plt.figure(figsize=(4, 3), dpi=100)", "fig.savefig('f.png')"),
    ("fig = plt.figure(figsize=(4, 3), dpi=100)", "fig.savefig('f.png', dpi=220)"),
    ("fig = plt.figure(figsize=(4, 3), dpi=100)\nplt.plot([0, 1])", "fig.savefig('f.png', bbox_inches='tight', pad_inches=0.3)"),
    ("fig = plt.figure(figsize=(3, 4), dpi=100)", "fig.savefig('f.png')"),
])
@pytest.mark.parametrize("rotation", [0, 90])
def test_text_box_matches_the_ink_in_the_png(pool, setup, save, rotation):
    code = (f"import matplotlib.pyplot as plt\n{setup}\n"
            f"fig.text(0.3, 0.4, 'HHHH', color='red', fontsize=18, rotation={rotation})\n{save}\n")
    result = pool.render(code)
    assert result.ok, result.one_line()
    box = the_text(result, "HHHH")
    ink_x0, ink_y0, ink_x1, ink_y1 = red_ink(result.png)
    # The ink lies inside the layout box (1 px for antialiasing) ...
    assert box.x0 - 1 <= ink_x0 and ink_x1 <= box.x1 + 1
    assert box.y0 - 1 <= ink_y0 and ink_y1 <= box.y1 + 1
    # ... and the box is the ink plus side bearings along the text and descent/leading across it.
    along = (box.x0, box.x1, ink_x0, ink_x1) if rotation == 0 else (box.y0, box.y1, ink_y0, ink_y1)
    bearing = max(2.0, 0.12 * box.font_size_px)  # DejaVu's side bearing of H is about 0.09 em
    assert abs(along[0] - along[2]) <= bearing and abs(along[1] - along[3]) <= bearing
    across_box = (box.y1 - box.y0) if rotation == 0 else (box.x1 - box.x0)
    across_ink = (ink_y1 - ink_y0) if rotation == 0 else (ink_x1 - ink_x0)
    assert 0.55 * across_box <= across_ink <= across_box + 1


KNOWN_LAYOUT = """
import matplotlib.pyplot as plt
from matplotlib.transforms import IdentityTransform
fig = plt.figure(figsize=(4, 2.4), dpi=100)
px = dict(transform=IdentityTransform(), fontsize=16, va="center")
fig.text(200, 200, "LEFT", ha="right", **px)
fig.text(195, 200, "RIGHT", ha="left", **px)      # 5 px into LEFT
fig.text(200, 120, "APART", ha="right", **px)
fig.text(210, 120, "GAP", ha="left", **px)        # 10 px clear of APART
fig.text(100, 50, "SAME", ha="left", **px)
fig.text(100, 50, "SAME", ha="left", **px)        # exactly on top
fig.text(-20, 160, "OFFCANVAS", ha="left", **px)  # 20 px past the left edge
fig.text(0.5, 1.2, "ABOVE", transform=fig.transFigure)  # wholly above the top
fig.savefig("figure.png")
"""


def test_known_overlaps_and_text_outside_the_canvas(pool):
    result = pool.render(KNOWN_LAYOUT)
    assert result.ok, result.one_line()
    facts = result.facts
    assert (facts.width_px, facts.height_px) == (400, 240)
    texts = [t.text for t in facts.texts]
    index = {name: texts.index(name) for name in ("LEFT", "RIGHT", "APART", "GAP", "OFFCANVAS", "ABOVE")}
    same = [i for i, t in enumerate(texts) if t == "SAME"]
    pairs = {(o.first, o.second): o for o in facts.overlaps}

    left, right = facts.texts[index["LEFT"]], facts.texts[index["RIGHT"]]
    assert left.x1 == pytest.approx(200, abs=0.01) and right.x0 == pytest.approx(195, abs=0.01)
    # y in PNG pixels: 240 - 200 = 40 is the centre line.
    assert (left.y0 + left.y1) / 2 == pytest.approx(40, abs=0.6)
    overlap = pairs[tuple(sorted((index["LEFT"], index["RIGHT"])))]
    height = left.y1 - left.y0
    assert overlap.area_px == pytest.approx(5 * height, abs=0.1)
    assert overlap.fraction_of_smaller == pytest.approx(5 / min(left.x1 - left.x0, right.x1 - right.x0), abs=1e-3)

    assert tuple(sorted((index["APART"], index["GAP"]))) not in pairs
    full = pairs[tuple(same)]
    assert full.fraction_of_smaller == pytest.approx(1.0)
    assert len(facts.overlaps) == 2

    outside = {o.index: o for o in facts.outside_canvas}
    off = facts.texts[index["OFFCANVAS"]]
    assert outside[index["OFFCANVAS"]].sides == ["left"]
    assert outside[index["OFFCANVAS"]].fraction_outside == pytest.approx(20 / (off.x1 - off.x0), abs=1e-3)
    assert outside[index["ABOVE"]].sides == ["top"] and outside[index["ABOVE"]].fraction_outside == 1.0
    assert set(outside) == {index["OFFCANVAS"], index["ABOVE"]}


def test_crowded_tick_labels_overlap(pool):
    code = ("import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(3, 2))\n"
            "ax.plot(range(30))\nax.set_xticks(range(30))\n"
            "ax.set_xticklabels([f'label{i}' for i in range(30)], fontsize=12)\nfig.savefig('f.png')\n")
    result = pool.render(code)
    ticks = {i for i, t in enumerate(result.facts.texts) if t.role == "tick_label"}
    crowded = [o for o in result.facts.overlaps if o.first in ticks and o.second in ticks]
    assert len(crowded) >= 20


def test_clean_figure_has_no_overlaps(pool):
    code = ("import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(6, 4))\nax.plot([0, 1], [0, 1])\n"
            "ax.set_title('Clean')\nax.set_xlabel('x (m)')\nax.set_ylabel('y (m)')\nfig.tight_layout()\n"
            "fig.savefig('f.png')\n")
    result = pool.render(code)
    assert result.ok and result.facts.overlaps == [] and result.facts.outside_canvas == []


def test_roles_font_sizes_and_axes(pool):
    code = (
        "import matplotlib.pyplot as plt\nfig, (a, b) = plt.subplots(1, 2, figsize=(8, 3))\n"
        "a.plot([0, 1], label='speed')\na.set_title('Left', fontsize=14)\na.set_xlabel('t (s)')\n"
        "a.set_ylabel('v (m/s)')\na.legend()\n"
        "b.annotate('peak', xy=(0.5, 0.5), xytext=(0.2, 0.8), arrowprops={'arrowstyle': '->'})\n"
        "b.text(0.1, 0.1, '12 cm', fontsize=9)\nb.table(cellText=[['1', '2']], loc='bottom')\nb.axis('off')\n"
        "im = a.imshow([[0, 1]], extent=(0, 1, 0, 1))\nfig.colorbar(im, ax=a)\n"
        "fig.suptitle('Both')\nfig.savefig('f.png')\n"
    )
    result = pool.render(code)
    assert result.ok, result.one_line()
    facts = result.facts
    by_text = {t.text: t for t in facts.texts}
    assert by_text["Left"].role == "title" and by_text["Left"].font_size_pt == 14
    assert by_text["Left"].font_size_px == pytest.approx(14 * 100 / 72, abs=0.01)
    assert by_text["t (s)"].role == "xlabel" and by_text["v (m/s)"].role == "ylabel"
    assert by_text["speed"].role == "legend"
    assert by_text["peak"].role == "annotation" and by_text["12 cm"].role == "text"
    assert by_text["12 cm"].font_size_pt == 9
    assert by_text["1"].role == "table"
    assert by_text["Both"].role == "suptitle" and by_text["Both"].axes_index is None
    assert by_text["Left"].axes_index == 0 and by_text["peak"].axes_index == 1
    assert any(t.role == "tick_label" for t in facts.texts)
    assert facts.axes_count == 3  # two plots and a colorbar
    assert [a.axis_on for a in facts.axes] == [True, False, True]
    for axes in facts.axes:
        assert 0 <= axes.x0 < axes.x1 <= facts.width_px and 0 <= axes.y0 < axes.y1 <= facts.height_px


def test_hidden_and_empty_texts_are_not_listed(pool):
    code = ("import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([0, 1])\n"
            "ax.text(0.5, 0.5, 'hidden', visible=False)\nax.text(0.5, 0.5, '')\nax.set_xticks([])\n"
            "ax.set_yticks([])\nax.set_title('shown')\nfig.savefig('f.png')\n")
    result = pool.render(code)
    assert [t.text for t in result.facts.texts] == ["shown"]


def test_blank_and_uniform_figures(pool):
    empty_axes = pool.render("import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nfig.savefig('f.png')\n")
    assert empty_axes.error_class == "blank_figure"
    assert empty_axes.facts is not None and empty_axes.facts.drawn_artists == 0
    white_on_white = pool.render("import matplotlib.pyplot as plt\nfig = plt.figure()\n"
                                 "fig.text(0.5, 0.5, 'invisible', color='white')\nfig.savefig('f.png')\n")
    assert white_on_white.error_class == "blank_figure" and white_on_white.facts.uniform_pixels


# ------------------------------------------------------------------ pure geometry


def box(x0: float, y0: float, x1: float, y1: float, text: str = "t") -> TextBox:
    return TextBox(text=text, x0=x0, y0=y0, x1=x1, y1=y1, font_size_pt=10, font_size_px=13.9)


def test_intersection_and_touching_boxes():
    assert intersection_area(box(0, 0, 10, 10), box(5, 5, 15, 15)) == 25
    assert intersection_area(box(0, 0, 10, 10), box(10, 0, 20, 10)) == 0  # touching edges
    assert intersection_area(box(0, 0, 10, 10), box(20, 20, 30, 30)) == 0


def test_find_overlaps_matches_brute_force():
    rng = random.Random(7)
    boxes = []
    for _ in range(120):
        x, y = rng.uniform(0, 500), rng.uniform(0, 300)
        boxes.append(box(x, y, x + rng.uniform(5, 80), y + rng.uniform(5, 20)))
    found = {(o.first, o.second): o.area_px for o in find_overlaps(boxes)}
    expected = {
        (i, j): round(intersection_area(boxes[i], boxes[j]), 2)
        for i in range(len(boxes)) for j in range(i + 1, len(boxes))
        if intersection_area(boxes[i], boxes[j]) > 0
    }
    assert found == expected
    assert expected  # the random layout does contain overlaps


def test_find_outside_reports_sides_and_fraction():
    result = find_outside([box(-10, 5, 30, 15), box(10, 10, 20, 20), box(90, 95, 110, 105)], 100, 100)
    assert [(o.index, o.sides) for o in result] == [(0, ["left"]), (2, ["right", "bottom"])]
    assert result[0].fraction_outside == pytest.approx(0.25)
    assert result[1].fraction_outside == pytest.approx(0.75)
