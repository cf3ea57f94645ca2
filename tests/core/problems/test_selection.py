"""ProblemSelection: a hashable value with a stable stored form."""

from __future__ import annotations

import pytest

from core.problems.selection import ProblemSelection


def test_stored_form_round_trips_and_stays_as_it_was_without_search() -> None:
    selection = ProblemSelection(subject="Physics", ids=["a", "b"], limit=3)
    assert selection.ids == ("a", "b") and hash(selection) == hash(ProblemSelection(subject="Physics", ids=("a", "b"), limit=3))
    assert selection.to_dict() == {"subject": "Physics", "image_type": None, "source": None, "ids": ["a", "b"], "limit": 3}
    assert ProblemSelection.from_dict(selection.to_dict()) == selection
    searching = ProblemSelection(search="  circuit ")
    assert searching.search == "circuit" and searching.to_dict()["search"] == "circuit"
    assert ProblemSelection.from_dict(searching.to_dict()) == searching
    assert ProblemSelection(search="  ").search is None


def test_bare_ids_name_every_source_unless_one_is_given() -> None:
    assert ProblemSelection(ids=("scigen:7",)).id_candidates() == {"scigen:7": ["scigen:7"]}
    everywhere = ProblemSelection(ids=("7",)).id_candidates()["7"]
    assert "scigen:7" in everywhere and "seephys:7" in everywhere
    assert ProblemSelection(ids=("7",), source="seephys").id_candidates() == {"7": ["seephys:7"]}


def test_describe_and_limit() -> None:
    assert ProblemSelection().describe() == "all problems"
    assert ProblemSelection(subject="Math", search="x", limit=2).describe() == "subject=Math search='x' limit=2"
    with pytest.raises(ValueError, match="limit"):
        ProblemSelection(limit=0)
