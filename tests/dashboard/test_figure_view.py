"""The gallery tile's one-line captions (dashboard/components/figure_view.py)."""

from __future__ import annotations

from dashboard.components.figure_view import TILE_TEXT_CHARS, clip_line


def test_short_text_is_kept_whole() -> None:
    assert clip_line("Biology - Genetics") == "Biology - Genetics"
    assert clip_line("x" * TILE_TEXT_CHARS) == "x" * TILE_TEXT_CHARS


def test_long_text_is_clipped_to_one_line_with_an_ellipsis() -> None:
    clipped = clip_line("Chemistry - Laboratory Equipment and Apparatus")
    assert len(clipped) == TILE_TEXT_CHARS and clipped.endswith("…") and clipped.startswith("Chemistry - Lab")


def test_uids_keep_their_distinctive_end() -> None:
    uid = "custom:sample-biology-molecular-process-2"
    clipped = clip_line(uid, keep_end=True)
    assert len(clipped) == TILE_TEXT_CHARS and clipped.startswith("…") and clipped.endswith("molecular-process-2")
