"""The bundled sample: the loader's validation, and the content rules of data/sample.

The content tests read the real data/sample and fail until the sample is complete: that is the
point (>= 50 problems, every image type twice, quizzes spread over A-D, every script renders).
"""

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from core.problems.sample import SampleError, load_sample
from core.problems.taxonomy import ALL_IMAGE_TYPES, subject_of
from core.workspace import SAMPLE_DIR

LINE = {
    "id": "sample-math-plane-geometric-1",
    "image_type": "Math - Plane Geometric",
    "question": "In triangle ABC, AB = 6 cm, AC = 8 cm and angle A = 90°. Find BC.",
    "answer": "10 cm",
    "elements": ["Triangle ABC.", "AB labelled '6 cm'.", "AC labelled '8 cm'.", "Right angle at A."],
    "quizzes": [
        {
            "question": "What length is labelled on AB?",
            "options": {"A": "8 cm", "B": "6 cm", "C": "10 cm", "D": "4 cm"},
            "correct_option": "B",
            "evidence_snippet": "AB = 6 cm",
        }
    ],
    "multimodal_question": "In the right triangle shown, find BC.",
    "reference_script": "scripts/sample-math-plane-geometric-1.py",
}
SCRIPT = 'import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([0, 1], [0, 1])\nfig.savefig("figure.png")\n'


def make_sample(tmp_path: Path, lines: list, name: str = "area.jsonl", script: bool = True) -> Path:
    (tmp_path / "scripts").mkdir(exist_ok=True)
    if script:
        (tmp_path / "scripts" / "sample-math-plane-geometric-1.py").write_text(SCRIPT, encoding="utf-8")
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


# -- the loader ---------------------------------------------------------------------------------


def test_loader_reads_problem_and_script(tmp_path):
    [problem] = load_sample(make_sample(tmp_path, [LINE]))
    assert problem.uid == "custom:sample-math-plane-geometric-1"
    assert problem.reference_code == SCRIPT
    assert problem.subject.value == "Math" and problem.quizzes[0].correct_option == "B"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"reference_script": None}, "reference_script", "missing"),
        ({"answer": ""}, "answer", "missing or empty"),
        ({"quizzes": []}, "quizzes", "missing or empty"),
        ({"image_type": "Math - Plane"}, "image_type", "not one of the 25"),
        ({"elements": "one"}, "elements", "expected an array"),
        ({"reference_script": "scripts/absent.py"}, "reference_script", "does not exist"),
        ({"surprise": 1}, "surprise", "unknown_item_field"),
    ],
)
def test_loader_errors_name_file_line_and_field(tmp_path, change, field, message):
    second = {
        k: v for k, v in {**LINE, "id": "sample-math-plane-geometric-2", **change}.items() if v is not None
    }
    make_sample(tmp_path, [LINE, second])
    with pytest.raises(SampleError) as excinfo:
        load_sample(tmp_path)
    error = excinfo.value
    assert (error.file, error.line, error.field) == (str(tmp_path / "area.jsonl"), 2, field)
    assert message in str(error) and "line 2" in str(error) and "area.jsonl" in str(error)


def test_loader_rejects_a_quiz_the_importer_would_repair(tmp_path):
    quiz = {**LINE["quizzes"][0], "options": {"A": "8 cm", "0": "6 cm", "C": "10 cm", "D": "4 cm"}}
    make_sample(tmp_path, ["", {**LINE, "quizzes": [quiz]}])
    with pytest.raises(
        SampleError, match=r"line 2, field 'quizzes\[0\]\.options': normalised \[option_key_by_position\]"
    ):
        load_sample(tmp_path)


def test_loader_rejects_bad_json_and_duplicate_ids(tmp_path):
    make_sample(tmp_path, [LINE, "{not json"])
    with pytest.raises(SampleError, match=r"area\.jsonl, line 2: invalid JSON"):
        load_sample(tmp_path)
    make_sample(tmp_path, [LINE])
    make_sample(tmp_path, ["", LINE], name="other.jsonl")
    with pytest.raises(
        SampleError, match=r"other\.jsonl, line 2, field 'id': .* is also used in .*area\.jsonl"
    ):
        load_sample(tmp_path)


# -- the bundled content ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    problems = load_sample()
    if not problems:
        pytest.fail(f"no bundled sample problems in {SAMPLE_DIR}/*.jsonl")
    return problems


def test_at_least_fifty_problems_two_per_image_type(sample):
    assert len(sample) >= 50
    per_type = Counter(p.image_type for p in sample)
    short = {t: per_type.get(t, 0) for t in ALL_IMAGE_TYPES if per_type.get(t, 0) < 2}
    assert not short, f"image types with fewer than 2 sample problems: {short}"


def test_ids_follow_the_naming_rule(sample):
    for problem in sample:
        slug = "-".join(re.findall(r"[a-z]+", problem.image_type.split(" - ", 1)[1].lower()))
        prefix = f"sample-{subject_of(problem.image_type).value.lower()}-{slug}-"
        assert problem.id.startswith(prefix) and problem.id[len(prefix) :].isdigit(), problem.id
        assert problem.source == "custom"


def test_every_problem_is_complete(sample):
    for problem in sample:
        assert problem.answer.strip(), problem.id
        assert 4 <= len(problem.elements) <= 8, (problem.id, len(problem.elements))
        assert 3 <= len(problem.quizzes) <= 5, (problem.id, len(problem.quizzes))
        for quiz in problem.quizzes:
            assert list(quiz.options) == ["A", "B", "C", "D"], problem.id
            assert len({t.strip() for t in quiz.options.values()}) == 4, (problem.id, quiz.question)
        assert problem.reference_code and "savefig" in problem.reference_code, problem.id


def test_correct_letters_are_spread(sample):
    letters = Counter(q.correct_option for p in sample for q in p.quizzes)
    total = sum(letters.values())
    shares = {letter: letters.get(letter, 0) / total for letter in "ABCD"}
    assert all(share >= 0.15 for share in shares.values()), shares


# One helper process renders every script, each in its own empty folder with the Agg backend, and
# reports per script whether figure.png exists and is not blank: the scripts are checked apart
# from the sandbox, so a sandbox bug cannot hide a broken gold script.
RENDERER = r"""
import json, os, sys, tempfile, traceback
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

scripts = json.load(sys.stdin)
for pid, code in scripts.items():
    folder = tempfile.mkdtemp(prefix="sample-render-")
    os.chdir(folder)
    matplotlib.rcdefaults()
    result = {"id": pid, "ok": False, "error": None}
    try:
        exec(compile(code, f"{pid}.py", "exec"), {"__name__": "__main__"})
        path = os.path.join(folder, "figure.png")
        if not os.path.isfile(path):
            result["error"] = "no figure.png written"
        else:
            pixels = np.asarray(Image.open(path).convert("L"), dtype=np.int16)
            background = np.bincount(pixels.ravel()).argmax()
            drawn = float((np.abs(pixels - background) > 16).mean())
            result["ok"] = drawn > 0.002
            result["drawn_fraction"] = drawn
            if not result["ok"]:
                result["error"] = f"blank figure ({drawn:.4%} of pixels drawn)"
    except BaseException as exc:
        result["error"] = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    finally:
        plt.close("all")
    print(json.dumps(result), flush=True)
"""


@pytest.mark.slow
def test_every_reference_script_renders_a_non_blank_png(sample, tmp_path):
    scripts = {p.id: p.reference_code for p in sample}
    # TMPDIR: the per-script folders land in tmp_path, which pytest cleans up.
    env = {**os.environ, "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(tmp_path / "mpl"), "TMPDIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", RENDERER],
        input=json.dumps(scripts),
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=280,
    )
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert [r["id"] for r in results] == list(scripts)
    failures = {r["id"]: r["error"] for r in results if not r["ok"]}
    assert not failures, failures
