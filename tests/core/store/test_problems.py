"""Problems in the store: idempotent upserts, exact round trips, filters, atomic failure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.problems.models import Problem, Quiz
from core.problems.selection import ProblemSelection, SelectionError
from core.problems.taxonomy import Subject
from core.store import Store
from core.store import problems as problem_sql

LIST_COLUMNS = [
    "uid", "id", "source", "subject", "image_type", "question", "answer", "n_quizzes", "n_elements",
    "has_reference_image", "has_reference_code", "has_multimodal_question",
]


@pytest.fixture
def mixed_batch(make_problem) -> list[Problem]:
    return [
        make_problem("webinstruct-10", image_type="Physics - Circuit"),
        make_problem("webinstruct-9", image_type="Physics - Optical Ray", question="A LENS of focal length f"),
        make_problem("geo-1", subject="Math", image_type="Math - Plane Geometric", n_quizzes=4),
        make_problem("12", source="seephys", image_type=None, reference_image="seephys_images/12.png"),
        make_problem("5", source="seephys", image_type=None, multimodal_question="Read R from the figure."),
        make_problem("mol-1", source="custom", subject="Chemistry", image_type="Chemistry - Molecular Structure",
                     reference_code="import matplotlib\n"),
    ]


def test_second_import_changes_nothing(store: Store, mixed_batch: list[Problem]) -> None:
    batch = mixed_batch

    first = store.upsert_problems(batch)
    version_after_first = store.data_version()
    second = store.upsert_problems(batch)

    assert (first.inserted, first.updated, first.unchanged) == (len(batch), 0, 0)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, len(batch))
    assert store.count_problems() == len(batch)
    assert store.list_problems()["uid"].is_unique
    assert store.data_version() == version_after_first
    for problem in batch:
        assert [q.question for q in store.get_problem(problem.uid).quizzes] == [q.question for q in problem.quizzes]


def test_changed_problem_is_replaced_with_its_quizzes(store: Store, make_problem) -> None:
    original = make_problem("p1", n_quizzes=4)
    store.upsert_problems([original, make_problem("p2")])
    changed = make_problem("p1", n_quizzes=2, question="A different question")

    counts = store.upsert_problems([changed, make_problem("p2"), make_problem("p3")])

    assert (counts.inserted, counts.updated, counts.unchanged) == (1, 1, 1)
    assert store.get_problem("scigen:p1") == changed
    assert store.list_problems(search="p1")["n_quizzes"].tolist() == [2]
    assert store.count_problems() == 3


def test_get_problem_round_trips_exactly(store: Store) -> None:
    tricky = Problem(
        id="webinstruct-994992",
        source="scigen",
        question="Find {eq}\\theta{/eq} when F = 3 N ‘quoted’ — and μ = 0.2; it's 5 °C",
        subject=Subject.PHYSICS,
        image_type="Physics - Mechanical",
        answer="",
        elements=["Block 'M' on a table", "Angle θ marked", ""],
        quizzes=[
            Quiz(question="Which key?", options={"0": "zero", "E": "e", "N·m": "unit"}, correct_option="E",
                 evidence_snippet=""),
            Quiz(question="Order kept?", options={"D": "d", "B": "b", "A": "a", "C": "c"}, correct_option="D",
                 evidence_snippet="the span"),
            Quiz(question="Two options", options={"A": "yes", "B": "no"}, correct_option="B"),
        ],
        multimodal_question="Read F from the figure.",
        reference_image="/data/seephys_images/5.png",
        reference_code="import matplotlib.pyplot as plt\nplt.plot([0, 1])\n",
    )
    bare = Problem(id="7", source="seephys", question="Untyped", subject=Subject.PHYSICS)
    store.upsert_problems([tricky, bare])

    stored = store.get_problem(tricky.uid)
    assert stored == tricky
    assert [list(q.options) for q in stored.quizzes] == [list(q.options) for q in tricky.quizzes]
    assert store.get_problem("seephys:7") == bare
    assert store.get_problem("seephys:8") is None
    assert store.get_problems(["seephys:7", tricky.uid]) == [bare, tricky]


def test_list_problems_columns_order_and_flags(store: Store, mixed_batch: list[Problem]) -> None:
    store.upsert_problems(mixed_batch)

    table = store.list_problems()

    assert list(table.columns) == LIST_COLUMNS
    # sources sorted, ids in natural order within a source ("9" before "10", "5" before "12")
    assert table["uid"].tolist() == [
        "custom:mol-1", "scigen:geo-1", "scigen:webinstruct-9", "scigen:webinstruct-10", "seephys:5", "seephys:12",
    ]
    row = table.set_index("uid")
    assert row.loc["scigen:geo-1", "n_quizzes"] == 4
    assert row.loc["scigen:geo-1", "n_elements"] == 2
    assert bool(row.loc["seephys:12", "has_reference_image"]) is True
    assert bool(row.loc["seephys:5", "has_multimodal_question"]) is True
    assert bool(row.loc["custom:mol-1", "has_reference_code"]) is True
    assert not row.loc["scigen:geo-1", ["has_reference_image", "has_reference_code", "has_multimodal_question"]].any()


def test_filters_and_counts(store: Store, mixed_batch: list[Problem]) -> None:
    store.upsert_problems(mixed_batch)

    physics = store.list_problems(subject="Physics")
    assert set(physics["uid"]) == {"scigen:webinstruct-9", "scigen:webinstruct-10", "seephys:5", "seephys:12"}
    assert physics["image_type"].isna().sum() == 2  # untyped SeePhys items stay under Physics
    assert store.count_problems(subject=Subject.PHYSICS) == 4
    assert store.list_problems(image_type="Physics - Circuit")["uid"].tolist() == ["scigen:webinstruct-10"]
    assert store.list_problems(source="seephys")["uid"].tolist() == ["seephys:5", "seephys:12"]
    assert store.count_problems(source=["seephys", "custom"]) == 3
    assert store.list_problems(search="lens")["uid"].tolist() == ["scigen:webinstruct-9"]  # question, any case
    assert store.list_problems(search="GEO-")["uid"].tolist() == ["scigen:geo-1"]  # id
    assert store.count_problems(subject="Math", source="seephys") == 0
    assert store.list_problems(subject="Biology").empty
    assert list(store.list_problems(subject="Biology").columns) == LIST_COLUMNS


def test_paging(store: Store, make_problem) -> None:
    store.upsert_problems([make_problem(str(i), source="seephys", image_type=None) for i in range(1, 26)])

    pages = [store.list_problems(limit=10, offset=offset)["id"].tolist() for offset in (0, 10, 20)]

    assert pages[0] == [str(i) for i in range(1, 11)]
    assert pages[2] == [str(i) for i in range(21, 26)]
    assert sum(len(page) for page in pages) == store.count_problems() == 25


def test_facets_in_taxonomy_order(store: Store, mixed_batch: list[Problem]) -> None:
    assert store.problem_facets() == {"subject": [], "image_type": [], "source": []}
    store.upsert_problems(mixed_batch)

    assert store.problem_facets() == {
        "subject": ["Math", "Physics", "Chemistry"],
        "image_type": ["Math - Plane Geometric", "Physics - Optical Ray", "Physics - Circuit",
                       "Chemistry - Molecular Structure"],
        "source": ["scigen", "seephys", "custom"],
    }


def test_exception_while_reading_the_batch_stores_nothing(store: Store, make_problem) -> None:
    store.upsert_problems([make_problem("keep")])
    before = store.data_version()

    def broken_batch() -> Iterator[Problem]:
        yield make_problem("new-1")
        yield make_problem("new-2")
        raise RuntimeError("the importer failed on item 3")

    with pytest.raises(RuntimeError, match="item 3"):
        store.upsert_problems(broken_batch())

    assert store.list_problems()["uid"].tolist() == ["scigen:keep"]
    assert store.data_version() == before


def test_failure_inside_the_transaction_rolls_everything_back(store: Store, monkeypatch, make_problem) -> None:
    original = make_problem("p1", n_quizzes=3)
    store.upsert_problems([original])
    before = store.data_version()

    def failing_insert(cursor, rows):  # problems are already written when quizzes fail
        raise OSError("disk full while writing quizzes")

    monkeypatch.setattr(problem_sql, "insert_quizzes", failing_insert)
    with pytest.raises(OSError, match="disk full"):
        store.upsert_problems([make_problem("p1", n_quizzes=1, question="changed"), make_problem("p2")])

    assert store.count_problems() == 1
    assert store.get_problem("scigen:p1") == original
    assert store.data_version() == before


def test_duplicate_uid_in_one_batch_is_refused_before_writing(store: Store, make_problem) -> None:
    with pytest.raises(ValueError, match="'scigen:p1' appears twice"):
        store.upsert_problems([make_problem("p1"), make_problem("p2"), make_problem("p1")])
    assert store.count_problems() == 0


def test_data_version_changes_after_every_write(store: Store, make_problem) -> None:
    seen = {store.data_version()}
    for index in range(5):  # quick successive writes must still be told apart
        store.upsert_problems([make_problem(f"p{index}")])
        seen.add(store.data_version())
    assert len(seen) == 6


def test_select_problems_filters_ids_and_limits(store: Store, make_problem) -> None:
    problems = [make_problem(f"p{index}") for index in range(3)]
    store.upsert_problems([*problems, make_problem("m1", subject="Math", image_type="Math - Plane Geometric")])
    assert [p.id for p in store.select_problems(ProblemSelection(subject="Math"))] == ["m1"]
    assert len(store.select_problems(ProblemSelection(subject="Physics", limit=2))) == 2
    assert [p.id for p in store.select_problems(ProblemSelection(search="Problem p2"))] == ["p2"]
    chosen = store.select_problems(ProblemSelection(ids=(problems[2].id, problems[0].uid)))
    assert [p.uid for p in chosen] == [problems[2].uid, problems[0].uid]
    assert [p.id for p in store.select_problems(ProblemSelection(ids=("p2", "p0"), limit=1))] == ["p2"]
    with pytest.raises(SelectionError, match=r"--ids: no problem 'nope'"):
        store.select_problems(ProblemSelection(ids=("nope",)))
    store.upsert_problems([make_problem("m1", source="custom", subject="Math", image_type="Math - Plane Geometric")])
    with pytest.raises(SelectionError, match=r"'m1' names 2 problems"):
        store.select_problems(ProblemSelection(ids=("m1",)))
    assert [p.uid for p in store.select_problems(ProblemSelection(ids=("m1",), source="custom"))] == ["custom:m1"]
