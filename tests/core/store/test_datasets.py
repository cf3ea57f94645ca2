"""Engine datasets read in place: the leaderboard row, domains, pages and one item, from shards
written by the engine's own shard writer."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.engine.shards import write_shard
from core.store import EngineDataset, EngineDatasetError


def _row(index: int, *, subject: str, rinv: float | None, status: str = "ok") -> dict:
    return {
        "key": f"custom:p{index:03d}", "problem_id": f"p{index:03d}", "source": "custom", "subject": subject,
        "image_type": None if subject == "Math" else f"{subject} - Mechanical" if subject == "Physics" else None,
        "question": f"Problem {index} about a {'pulley' if index % 2 else 'lens'}", "status": status,
        "image_path": f"images/custom_p{index:03d}.png" if status == "ok" else None,
        "first_attempt_ok": status == "ok", "n_quizzes": 4, "n_correct": None if rinv is None else int(4 * rinv),
        "rinv": rinv, "passed": rinv == 1.0, "judge_cf": 2.0 if rinv == 1.0 else 1.0, "cost_usd": 0.01,
    }


@pytest.fixture
def dataset(tmp_path: Path) -> EngineDataset:
    rows = [_row(i, subject="Physics", rinv=1.0) for i in range(6)]
    rows += [_row(i, subject="Math", rinv=0.5) for i in range(6, 10)]
    rows += [_row(10, subject="Math", rinv=None, status="failed")]
    write_shard(tmp_path / "ds", "a-000000", rows[:5])
    write_shard(tmp_path / "ds", "a-000001", rows[5:])
    return EngineDataset(tmp_path / "ds")


def test_the_leaderboard_row_pools_over_every_shard(dataset: EngineDataset) -> None:
    summary = dataset.summary()
    assert summary["items"] == 11 and summary["figures_ok"] == 10 and summary["figures_failed"] == 1
    assert summary["rinv"] == pytest.approx(6 / 10)  # items with every quiz right, of those verified
    assert summary["quiz_acc"] == pytest.approx((6 * 4 + 4 * 2) / 40)
    assert summary["passed"] == 6 and summary["cost_usd"] == pytest.approx(0.11)
    assert summary["judge_cf"] == pytest.approx((6 * 2 + 5 * 1) / 11)
    assert summary["pass_at_1"] == pytest.approx(10 / 11)


def test_domains_by_subject_and_by_type(dataset: EngineDataset) -> None:
    by_subject = dataset.domains("subject").set_index("subject")
    assert by_subject.loc["Physics", "items"] == 6 and by_subject.loc["Physics", "rinv"] == 1.0
    assert by_subject.loc["Math", "items"] == 5 and by_subject.loc["Math", "rinv"] == 0.0
    by_type = dataset.domains("image_type").set_index("image_type")
    assert by_type.loc["(untyped)", "items"] == 5
    with pytest.raises(ValueError):
        dataset.domains("question")


def test_pages_filters_search_and_one_item(dataset: EngineDataset) -> None:
    first, second = dataset.items(limit=4), dataset.items(offset=4, limit=4)
    assert len(first) == 4 and len(second) == 4 and not set(first["key"]) & set(second["key"])
    assert dataset.count(subject="Math") == 5 and dataset.count(passed=True) == 6
    assert dataset.count(search="PULLEY") == 5 and len(dataset.items(search="pulley", limit=50)) == 5
    item = dataset.item("custom:p003")
    assert item is not None and item["image_path"] == str(dataset.folder / "images/custom_p003.png")
    assert item["code"] is None and dataset.item("custom:nope") is None


def test_a_folder_without_shards_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EngineDatasetError, match="not an engine dataset"):
        EngineDataset(tmp_path)
