"""Perceptual hashes: near-duplicates (re-encoded, slightly edited) go, distinct figures stay."""

from __future__ import annotations

import itertools

from PIL import Image, ImageDraw

from core.export.dedup import NEAR_DUPLICATE_BITS, dhash, find_near_duplicates, hamming, image_hash, phash


def _figure(path, shape: str, size=(320, 240)):
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    if shape == "triangle":
        draw.polygon([(40, 200), (280, 200), (120, 40)], outline="black", width=3)
    elif shape == "circle":
        draw.ellipse((80, 40, 240, 200), outline="black", width=3)
    elif shape == "bars":
        for i, h in enumerate((60, 150, 90, 180)):
            draw.rectangle((40 + 60 * i, 220 - h, 80 + 60 * i, 220), fill="navy")
    image.save(path)
    return path


def test_hashes_are_64_bit_and_identical_for_identical_pixels(tmp_path):
    a = _figure(tmp_path / "a.png", "triangle")
    with Image.open(a) as image:
        assert 0 <= phash(image) < 2**64 and 0 <= dhash(image) < 2**64
        rgba = image.convert("RGBA")
    rgba.save(tmp_path / "a_rgba.png")
    assert image_hash(a) == image_hash(tmp_path / "a_rgba.png")  # alpha flattened onto white
    assert hamming(0b1011, 0b0001) == 2


def test_a_rescaled_edited_copy_is_dropped_and_distinct_figures_are_kept(tmp_path):
    paths = {name: _figure(tmp_path / f"{name}.png", name) for name in ("triangle", "circle", "bars")}
    with Image.open(paths["triangle"]) as image:
        copy = image.resize((300, 225)).resize((320, 240))
    ImageDraw.Draw(copy).point((10, 10), fill="black")
    copy.save(tmp_path / "triangle_copy.jpg", quality=85)
    items = [("triangle", paths["triangle"]), ("circle", paths["circle"]),
             ("copy", tmp_path / "triangle_copy.jpg"), ("bars", paths["bars"])]
    assert find_near_duplicates(items) == {"copy": "triangle"}
    assert find_near_duplicates(items, max_bits=-1) == {}  # threshold below 0: nothing is a duplicate


def test_rendered_figures_only_the_twin_is_a_near_duplicate(kit_store, kit_workspace, export_kit):
    run = kit_store.find_run("generation", export_kit.RUN)
    figures = kit_store.generations(run.run_id, status="ok")
    items = [(uid, kit_workspace.home / path) for uid, path in zip(figures["problem_uid"], figures["image_path"], strict=True)]
    assert find_near_duplicates(items) == {export_kit.TWIN: export_kit.GEOMETRY}
    hashes = {uid: image_hash(path) for uid, path in items if uid != export_kit.TWIN}
    closest = min(max(a.distance(b)) for a, b in itertools.combinations(hashes.values(), 2))
    assert closest > 2 * NEAR_DUPLICATE_BITS  # distinct figures are far from the threshold


def test_banded_search_finds_the_same_twins_as_comparing_with_every_kept_figure() -> None:
    import random

    from core.export.dedup import ImageHash, hamming, near_duplicates_of_hashes

    rng = random.Random(5)
    bases = [ImageHash(rng.getrandbits(64), rng.getrandbits(64)) for _ in range(40)]
    items = []
    for index in range(600):
        base = bases[rng.randrange(len(bases))]
        flips_p = sum(1 << rng.randrange(64) for _ in range(rng.randrange(9)))
        flips_d = sum(1 << rng.randrange(64) for _ in range(rng.randrange(9)))
        items.append((f"k{index:03d}", ImageHash(base.phash ^ flips_p, base.dhash ^ flips_d)))

    kept: list[tuple[str, ImageHash]] = []
    brute: dict[str, str] = {}
    for key, current in items:
        twin = next((k for k, other in kept if max(hamming(current.phash, other.phash),
                                                   hamming(current.dhash, other.dhash)) <= 6), None)
        if twin is None:
            kept.append((key, current))
        else:
            brute[key] = twin
    assert near_duplicates_of_hashes(items) == brute and 0 < len(brute) < 600
