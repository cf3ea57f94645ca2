"""Reading, matching and converting figures made elsewhere (``core.generation.imported``)."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from core.generation.imported import (
    ImageDecodeError,
    ImportInputError,
    ProblemIndex,
    discover_input,
    import_outputs,
    iter_items,
    normalise_text,
    to_png,
)
from core.problems.models import Problem
from core.problems.sample import load_sample

# --------------------------------------------------------------------------------------------
# builders

MARKUP_QUESTION = "A block of mass {eq}m = 2\\ kg{/eq} slides down a ramp inclined at {eq}30^\\circ{/eq}."
TWIN_QUESTION = "A 5 ohm resistor is connected to a battery of 10 V. Draw the circuit."
TRIPLET_QUESTION = "Draw a right triangle with legs 3 cm and 4 cm."


def made_up_problems() -> list[Problem]:
    def problem(pid: str, question: str, image_type: str | None, answer: str, source: str = "scigen"):
        subject = image_type.split(" - ")[0] if image_type else "Physics"
        return Problem(
            id=pid, source=source, question=question, subject=subject, image_type=image_type, answer=answer
        )

    return [
        problem("eq1", MARKUP_QUESTION, "Physics - Mechanical", "4.9 m/s^2"),
        # same question: told apart by the answer
        problem("twin-a", TWIN_QUESTION, "Physics - Circuit", "2 A"),
        problem("twin-b", TWIN_QUESTION, "Physics - Circuit", "0.5 A"),
        # same question, image type and answer: nothing tells them apart
        problem("tri-a", TRIPLET_QUESTION, "Math - Plane Geometric", "5 cm"),
        problem("tri-b", TRIPLET_QUESTION, "Math - Plane Geometric", "5 cm"),
        # the same id in two sources
        problem("7", "A pendulum of length 1 m swings.", "Physics - Mechanical", "2 s"),
        problem("7", "A lens of focal length 10 cm forms an image.", None, "20 cm", source="seephys"),
    ]


@pytest.fixture(scope="module")
def problems() -> list[Problem]:
    return [*load_sample(), *made_up_problems()]


@pytest.fixture(scope="module")
def index(problems) -> ProblemIndex:
    return ProblemIndex.from_problems(problems)


def image_bytes(fmt: str = "PNG", color=(200, 30, 30), mode: str = "RGB", size=(24, 16)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=fmt)
    return out.getvalue()


def write_parquet(
    path: Path, rows: list[dict], *, image_as: str = "struct", row_group_size: int | None = None
):
    """A Parquet file with the paper's columns; ``image_as`` "struct" (HF export) or "binary"."""
    if image_as == "struct":
        image_column = pa.array(
            [
                None if row["image"] is None else {"bytes": row["image"], "path": row.get("path")}
                for row in rows
            ],
            type=pa.struct([("bytes", pa.binary()), ("path", pa.string())]),
        )
    else:
        image_column = pa.array([row["image"] for row in rows], type=pa.binary())
    table = pa.table(
        {
            "image": image_column,
            "original_question": [row["question"] for row in rows],
            "answer": [row.get("answer", "") for row in rows],
            "image_type": [row.get("image_type", "") for row in rows],
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


# --------------------------------------------------------------------------------------------
# normalisation and matching


def test_normalise_text_removes_markup_whitespace_case_and_punctuation_spacing():
    published = "A block of mass m=2\\ kg slides  down a RAMP inclined at\n30^\\circ ."
    assert normalise_text(MARKUP_QUESTION) == normalise_text(published)
    assert normalise_text("Ｘ² ＝ 4 , µ") == normalise_text("x2=4, μ")  # NFKC: full width, superscript, micro
    assert normalise_text("x = 5 , y") == "x=5,y"
    assert normalise_text("one  two\tthree") == "one two three"
    assert normalise_text(None) == normalise_text("") == ""
    assert normalise_text("a resistor") != normalise_text("a capacitor")


def test_match_question_unique_despite_markup_and_case(index, problems):
    sample = problems[0]
    shouted = "  " + sample.question.upper().replace(" ", "   ") + " "
    match = index.match_question(shouted)
    assert (match.status, match.uid, match.rule) == ("matched", sample.uid, "question")
    without_markup = "a block of mass m = 2\\ kg slides down a ramp inclined at 30^\\circ ."
    assert index.match_question(without_markup).uid == "scigen:eq1"


def test_match_question_tie_broken_by_answer_then_ambiguous(index):
    match = index.match_question(TWIN_QUESTION, image_type="Physics - Circuit", answer="0.5  a")
    assert (match.status, match.uid, match.rule) == ("matched", "scigen:twin-b", "question + answer")
    undecided = index.match_question(TWIN_QUESTION, image_type="Physics - Circuit", answer="9 A")
    assert undecided.status == "ambiguous"
    assert set(undecided.candidates) == {"scigen:twin-a", "scigen:twin-b"}
    same = index.match_question(TRIPLET_QUESTION, image_type="Math - Plane Geometric", answer="5 cm")
    assert same.status == "ambiguous" and same.uid is None
    assert index.match_question("A question nobody asked.").status == "unmatched"
    assert index.match_question(None).status == "unmatched"


def test_match_question_tie_broken_by_image_type_and_source_hint():
    shared = "Two charges of 1 uC are 1 m apart."
    index = ProblemIndex.from_problems(
        [
            Problem(id="a", source="scigen", question=shared, subject="Physics",
                    image_type="Physics - Field Diagram", answer="9 mN"),
            Problem(id="b", source="seephys", question=shared, subject="Physics", answer="9 mN"),
        ]
    )  # fmt: skip
    by_type = index.match_question(shared, image_type="physics - field diagram")
    assert (by_type.uid, by_type.rule) == ("scigen:a", "question + image_type")
    by_source = index.match_question(shared, source_hint="seephys")
    assert (by_source.uid, by_source.rule) == ("seephys:b", "question + source")
    assert index.match_question(shared).status == "ambiguous"


def test_match_name_by_id_uid_and_case(index):
    assert index.match_name("eq1").uid == "scigen:eq1"
    assert index.match_name("scigen_7").uid == "scigen:7"
    assert index.match_name("seephys_7").uid == "seephys:7"
    assert index.match_name("EQ1").rule == "file name (case-insensitive)"
    ambiguous = index.match_name("7")
    assert ambiguous.status == "ambiguous" and set(ambiguous.candidates) == {"scigen:7", "seephys:7"}
    assert index.match_name("no-such-id").status == "unmatched"


def test_index_from_store_records_treats_missing_values_as_none():
    index = ProblemIndex.from_records(
        [{"uid": "seephys:3", "id": "3", "source": "seephys", "question": "Q?", "image_type": float("nan"),
          "answer": ""}]
    )  # fmt: skip
    assert index.problems["seephys:3"].image_type is None
    assert index.problems["seephys:3"].answer is None
    assert index.match_question("q ?").uid == "seephys:3"


# --------------------------------------------------------------------------------------------
# images


def test_to_png_keeps_png_and_converts_other_formats():
    png = image_bytes("PNG")
    assert to_png(png) == png
    for fmt, mode in (("JPEG", "RGB"), ("JPEG", "CMYK"), ("WEBP", "RGBA")):
        converted = to_png(image_bytes(fmt, color=(10, 20, 30, 40)[: len(mode)], mode=mode))
        with Image.open(io.BytesIO(converted)) as image:
            assert image.format == "PNG" and image.size == (24, 16)
            assert image.mode in ("RGB", "RGBA")


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty image"),
        (b"this is a text file, not a picture", "not an image Pillow can read"),
        (image_bytes("PNG", size=(200, 200))[:300], "not an image Pillow can read"),  # truncated
    ],
)
def test_to_png_rejects_what_is_not_an_image(data, reason):
    with pytest.raises(ImageDecodeError, match=reason):
        to_png(data)


# --------------------------------------------------------------------------------------------
# reading inputs


def test_discover_input_errors_name_the_file_and_column(tmp_path):
    with pytest.raises(ImportInputError, match="no such file or folder"):
        discover_input(tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ImportInputError, match="notes.txt: expected a Parquet file"):
        discover_input(tmp_path / "notes.txt")
    with pytest.raises(ImportInputError, match="no Parquet files and no images"):
        discover_input(tmp_path)
    no_question = tmp_path / "bad" / "a.parquet"
    no_question.parent.mkdir()
    pq.write_table(pa.table({"image": pa.array([b"x"], pa.binary()), "answer": ["1"]}), no_question)
    with pytest.raises(ImportInputError, match=r"a\.parquet: column 'original_question' is missing"):
        discover_input(no_question)
    wrong_type = tmp_path / "wrong.parquet"
    pq.write_table(pa.table({"image": [1], "original_question": ["q"]}), wrong_type)
    with pytest.raises(ImportInputError, match=r"wrong\.parquet: column 'image' has type int64"):
        discover_input(wrong_type)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(ImportInputError, match=r"broken\.parquet: not a readable Parquet file"):
        discover_input(broken)


def test_discover_input_points_into_a_dataset_snapshot(tmp_path):
    for model in ("flux2", "gpt-image1"):
        write_parquet(tmp_path / "snapshot" / model / "scigen-00000-of-00001.parquet",
                      [{"image": image_bytes(), "question": "q"}])  # fmt: skip
    with pytest.raises(ImportInputError, match="subfolders flux2, gpt-image1 hold Parquet shards"):
        discover_input(tmp_path / "snapshot")


def test_iter_items_reads_struct_and_binary_shards_in_batches(tmp_path):
    folder = tmp_path / "export"
    rows = [{"image": image_bytes(), "question": f"question {i}", "answer": f"{i}"} for i in range(7)]
    write_parquet(folder / "scigen-00000-of-00002.parquet", rows[:5], row_group_size=2)
    write_parquet(folder / "scigen-00001-of-00002.parquet", rows[5:], image_as="binary")
    (folder / "README.md").write_text("dataset card")
    plan = discover_input(folder)
    assert plan.kind == "parquet" and plan.rows == 7
    assert [shard.source_hint for shard in plan.shards] == ["scigen", "scigen"]
    assert [p.name for p in plan.ignored] == ["README.md"]
    items = list(iter_items(plan, batch_size=2))
    assert [item.question for item in items] == [f"question {i}" for i in range(7)]
    assert [item.index for item in items] == list(range(7))
    assert [(item.origin, item.row) for item in items][4:6] == [
        ("scigen-00000-of-00002.parquet", 4), ("scigen-00001-of-00002.parquet", 0)
    ]  # fmt: skip
    assert all(item.image == rows[0]["image"] for item in items)


def test_iter_items_says_why_a_cell_has_no_image(tmp_path):
    path = write_parquet(
        tmp_path / "x.parquet",
        [{"image": None, "question": "a"}, {"image": b"", "question": "b", "path": "img/b.png"}],
    )
    items = list(iter_items(discover_input(path)))
    assert items[0].image is None and items[0].image_problem == "the image cell is empty"
    assert "only the path 'img/b.png'" in items[1].image_problem


# --------------------------------------------------------------------------------------------
# the import, with storage injected


class Saver:
    """Collects what import_outputs hands to storage, batch by batch."""

    def __init__(self) -> None:
        self.batches: list[list] = []

    def __call__(self, results) -> None:
        self.batches.append(results)

    @property
    def results(self):
        return [result for batch in self.batches for result in batch]


def test_import_parquet_matches_and_reports_everything(tmp_path, problems, index):
    sample = problems[:6]
    rows = [{"image": image_bytes(), "question": p.question.lower(), "image_type": p.image_type,
             "answer": p.answer} for p in sample]  # fmt: skip
    rows += [
        {
            "image": image_bytes("JPEG"),
            "question": "a block of mass m=2\\ kg slides down a ramp inclined at 30^\\circ.",
        },
        {"image": image_bytes(), "question": "Nobody ever asked this question at all."},
        {"image": image_bytes(), "question": TRIPLET_QUESTION, "image_type": "Math - Plane Geometric"},
        {"image": b"GIF89a-but-broken", "question": TWIN_QUESTION, "answer": "2 A"},
        {"image": image_bytes(color=(0, 0, 255)), "question": sample[0].question},  # second row, same problem
    ]
    folder = tmp_path / "export"
    write_parquet(folder / "scigen-00000-of-00002.parquet", rows[:6])
    write_parquet(folder / "scigen-00001-of-00002.parquet", rows[6:], image_as="binary")
    saver = Saver()
    summary = import_outputs(discover_input(folder), index, saver, batch_size=4)

    assert summary.items == 11 and summary.stored == 7 and summary.files == 2
    assert [r.problem_uid for r in saver.results] == [p.uid for p in sample] + ["scigen:eq1"]
    assert max(len(batch) for batch in saver.batches) <= 4  # never more than one batch of images held
    figure = saver.results[-1]
    assert figure.status == "ok" and figure.first_attempt_ok
    assert [(a.index, a.purpose, a.status) for a in figure.attempts] == [(0, "initial", "ok")]
    assert figure.image.startswith(b"\x89PNG")  # the JPEG was converted
    assert "imported from" in figure.notes[0] and "scigen-00001-of-00002.parquet row 0" in figure.notes[0]
    assert summary.counts() == {"unmatched": 1, "ambiguous": 1, "bad_image": 1, "duplicate": 1, "ignored": 0}
    by_kind = {issue.kind: issue for issue in summary.issues}
    assert (by_kind["unmatched"].origin, by_kind["unmatched"].row, by_kind["unmatched"].index) == (
        "scigen-00001-of-00002.parquet", 1, 7
    )  # fmt: skip
    assert by_kind["unmatched"].question.startswith("Nobody ever asked")
    assert set(by_kind["ambiguous"].candidates) == {"scigen:tri-a", "scigen:tri-b"}
    assert "row 3: not an image Pillow can read" in by_kind["bad_image"].detail
    assert by_kind["bad_image"].candidates == ["scigen:twin-a"]
    assert f"{sample[0].uid} was already imported from scigen-00000-of-00002.parquet row 0" in (
        by_kind["duplicate"].detail
    )
    text = summary.to_text()
    assert "scigen-00001-of-00002.parquet row 1: unmatched: no stored problem has this question" in text
    assert "stored 7, 1 unmatched, 1 ambiguous, 1 bad image, 1 duplicate, 0 ignored" in text


def test_import_parquet_is_deterministic(tmp_path, problems, index):
    rows = [{"image": image_bytes("WEBP"), "question": p.question} for p in problems[:3]]
    path = write_parquet(tmp_path / "one.parquet", rows)
    first, second = Saver(), Saver()
    import_outputs(discover_input(path), index, first)
    import_outputs(discover_input(path), index, second)
    assert [r.model_dump() for r in first.results] == [r.model_dump() for r in second.results]


def test_import_image_folder(tmp_path, problems, index):
    folder = tmp_path / "pngs"
    folder.mkdir()
    (folder / f"{problems[0].id}.png").write_bytes(image_bytes())
    (folder / f"{problems[1].uid.replace(':', '_')}.jpg").write_bytes(image_bytes("JPEG"))
    (folder / "scigen_7.webp").write_bytes(image_bytes("WEBP"))
    (folder / "7.png").write_bytes(image_bytes())  # scigen:7 or seephys:7?
    (folder / "eq1.png").write_bytes(b"not a png at all")
    (folder / "unknown-problem.png").write_bytes(image_bytes())
    (folder / "notes.txt").write_text("made with model X")
    saver = Saver()
    summary = import_outputs(discover_input(folder), index, saver)
    assert sorted(r.problem_uid for r in saver.results) == sorted(
        [problems[0].uid, problems[1].uid, "scigen:7"]
    )
    assert all(r.image.startswith(b"\x89PNG") for r in saver.results)
    assert summary.counts() == {"unmatched": 1, "ambiguous": 1, "bad_image": 1, "duplicate": 0, "ignored": 1}
    text = summary.to_text()
    assert "7.png: ambiguous: '7' names 2 problems: pass --source" in text
    assert "eq1.png: bad_image: eq1.png: not an image Pillow can read" in text
    assert "unknown-problem.png: unmatched: no stored problem has the id or uid 'unknown-problem'" in text
    assert "notes.txt: ignored" in text


def test_import_image_folder_within_one_source(tmp_path, problems):
    folder = tmp_path / "pngs"
    folder.mkdir()
    (folder / "7.png").write_bytes(image_bytes())
    index = ProblemIndex.from_problems(p for p in problems if p.source == "seephys")
    saver = Saver()
    summary = import_outputs(discover_input(folder), index, saver, scope=["seephys"])
    assert [r.problem_uid for r in saver.results] == ["seephys:7"] and not summary.issues


@pytest.mark.realdata
def test_real_benchmark_rows_match_their_problems(tmp_path, scigenbench_dir):
    """Every development item, written the way an export may differ (markup gone, case and spacing
    changed), finds its problem; only the pair the benchmark publishes twice is ambiguous."""
    from core.problems.importer import parse_file

    problems = [
        *parse_file(scigenbench_dir / "scigen.json", source="scigen").problems,
        *parse_file(scigenbench_dir / "seephys.json", source="seephys").problems,
    ]
    png = image_bytes(size=(2, 2))
    for source in ("scigen", "seephys"):
        rows = [
            {"image": png, "question": " ".join(p.question.replace("{eq}", " ").replace("{/eq}", " ").split()).upper(),
             "answer": p.answer, "image_type": p.image_type or ""}
            for p in problems if p.source == source
        ]  # fmt: skip
        write_parquet(tmp_path / "export" / f"{source}-00000-of-00001.parquet", rows)
    saver = Saver()
    summary = import_outputs(discover_input(tmp_path / "export"), ProblemIndex.from_problems(problems), saver)
    ambiguous = [issue for issue in summary.issues if issue.kind == "ambiguous"]
    assert summary.items == len(problems)
    assert len(ambiguous) == 2 and len(summary.issues) == 2  # the same question, type and answer, twice
    assert {uid for issue in ambiguous for uid in issue.candidates} == {
        "scigen:webinstruct-53106", "scigen:webinstruct2_2-53106"
    }  # fmt: skip
    assert sorted(r.problem_uid for r in saver.results) == sorted(
        p.uid for p in problems if p.uid not in ambiguous[0].candidates
    )
