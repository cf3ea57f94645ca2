"""AppTest of app_pages/datasets.py over an engine dataset written by the engine's shard writer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.engine.shards import write_shard
from core.models.fake_server import solid_png
from tests.app_pages.pagekit import page_runner

run_page = page_runner("datasets.py")


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "run1"
    rows = []
    for index in range(120):
        key = f"custom:p{index:03d}"
        image = f"images/custom_p{index:03d}.png"
        (folder / "images").mkdir(parents=True, exist_ok=True)
        (folder / image).write_bytes(solid_png(32, 32))
        rinv = 1.0 if index % 3 else 0.5
        rows.append({
            "key": key, "problem_id": f"p{index:03d}", "source": "custom",
            "subject": "Physics" if index % 2 else "Math", "image_type": None,
            "question": f"Problem {index} with a {'pulley' if index % 4 == 0 else 'lens'}", "status": "ok",
            "image_path": image, "code": "import matplotlib.pyplot as plt\n", "n_quizzes": 2,
            "n_correct": int(2 * rinv), "rinv": rinv, "passed": rinv == 1.0, "cost_usd": 0.01,
            "quiz_answers": json.dumps([{"quiz_index": 0, "parsed_key": "A", "correct": True}]),
            "reasons": [] if rinv == 1.0 else ["R_inv below 1 (1/2)"],
        })
    write_shard(folder, "a-000000", rows[:60])
    write_shard(folder, "a-000001", rows[60:])
    return folder


def test_without_a_folder_the_page_says_how_to_make_one() -> None:
    at = run_page()
    assert not at.exception and "scigen engine run" in at.info[0].value


def test_a_folder_without_shards_is_not_a_dataset(tmp_path: Path) -> None:
    at = run_page(dataset=str(tmp_path))
    assert not at.exception and "not an engine dataset" in at.warning[0].value


def test_summary_domains_pages_and_one_item(dataset: Path) -> None:
    at = run_page(dataset=str(dataset))
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Items"] == "120" and metrics["Passed filter"] == "80" and metrics["R_inv"] == "66.7%"
    domains = next(d.value for d in at.dataframe if "Subject" in d.value.columns and "Items" in d.value.columns)
    assert dict(zip(domains["Subject"], domains["Items"], strict=True)) == {"Math": 60, "Physics": 60}
    items = next(d.value for d in at.dataframe if "Key" in d.value.columns)
    assert len(items) == 50 and items["Key"].iloc[0] == "custom:p000"
    assert any("import matplotlib" in code.value for code in at.code)

    at = run_page(dataset=str(dataset), subject="Physics", passed="Rejected", page="1")
    items = next(d.value for d in at.dataframe if "Key" in d.value.columns)
    assert not at.exception and set(items["Subject"]) == {"Physics"} and not items["Passed"].any()
    assert len(items) == 20  # odd indices divisible by 3
    assert any("R_inv below 1" in caption.value for caption in at.caption)


def test_search_narrows_the_list(dataset: Path) -> None:
    at = run_page(dataset=str(dataset), q="pulley")
    items = next(d.value for d in at.dataframe if "Key" in d.value.columns)
    assert not at.exception and len(items) == 30
