"""The Review page in AppTest: blind rating with the key buttons, saved per item, resumed, agreement."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.store import Store
from core.workspace import Workspace
from tests.app_pages.pagekit import page_runner
from tests.dashboard import review_workspaces as rw

run_page = page_runner("review.py")


@pytest.fixture
def review_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = rw.make_review_workspace(tmp_path / "home").home
    monkeypatch.setenv("SCIGEN_HOME", str(home))
    return home


def press(at, key: str):
    return at.button(key=f"review_key_{key}").click().run()


def texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def test_rating_is_blind_until_done_then_shows_the_models(review_home):
    at = run_page(reviewer="ana")
    assert not at.exception
    assert "Model scores stay hidden" in texts(at)
    assert "judge-a" not in texts(at) and len(at.dataframe) == 0  # no score, no agreement table yet
    assert "every element, label and relation the problem states" in texts(at)  # the judge's rubric
    for key in ("2", "1", "1", "0"):
        at = press(at, key)
        assert "Model scores stay hidden" in texts(at)
    at = press(at, "2")
    assert not at.exception
    assert "What the models said" in texts(at)
    ratings = Store.open(Workspace.from_env(review_home)).review_ratings(reviewer="ana")
    assert sorted(ratings["score"].astype(int)) == [0, 1, 1, 2, 2]
    at = press(at, "Y")
    verdicts = Store.open(Workspace.from_env(review_home)).review_verdicts(reviewer="ana")
    assert list(verdicts["verdict"]) == ["readable"]
    at = press(at, "Backspace")
    assert Store.open(Workspace.from_env(review_home)).review_verdicts(reviewer="ana").empty


def test_a_new_visit_resumes_at_the_first_unrated_figure(review_home):
    at = run_page(reviewer="ana")
    for _ in range(3):
        for key in ("1", "1", "1", "1", "1"):
            at = press(at, key)
        at = at.button(key="review_next").click().run()
    again = run_page(reviewer="ana")
    assert not again.exception
    assert again.get("progress")[0].proto.text == "Figure 4 of 20"
    assert "Model scores stay hidden" in texts(again)
    # Three rated figures: the agreement table is there, with the judges named.
    assert "judge vs 1 reviewer on 3 items" in texts(again)
    confusion = again.dataframe[-2].value  # agreement, confusion, disagreements: the confusion table
    assert list(confusion.columns) == ["people 0", "people 1", "people 2"]
    assert int(confusion.to_numpy().sum()) == 6  # two judges x three figures on C&F


def test_no_name_no_review(review_home):
    at = run_page()
    assert not at.exception
    assert "Type your name" in at.info[0].value


def test_the_leaderboard_notes_how_a_reviewed_run_s_judge_was_checked(review_home):
    from core.store.reviews import ReviewMarks

    store = Store.open(Workspace.from_env(review_home))
    coder = rw.generation_run_id("coder")
    uids = sorted(store.judge_scores_of([coder])["problem_uid"].unique())[:6]
    store.save_review_marks([
        ReviewMarks(run_id=coder, problem_uid=uid, reviewer="ana",
                    scores={dimension: score for dimension, score in rw.judge_scores_of(uid)["judge-a"].items()})
        for uid in uids
    ])
    at = page_runner("leaderboard.py")()
    assert not at.exception
    notes = [c.value for c in at.caption if "Judge checked for" in c.value]
    assert notes and notes[0].startswith("Judge checked for **coder**: judge-a: judge vs 1 reviewer on 6 items")


def test_two_runs_side_by_side_blind_until_picked_then_in_the_people_arena(review_home):
    at = page_runner("review.py")(reviewer="ana")
    at.multiselect(key="review_runs").set_value(["coder", "cards"]).run()
    at.selectbox(key="review_plan").set_value("pairwise").run()
    assert not at.exception
    assert not [m.value for m in at.markdown if "run coder" in m.value or "run cards" in m.value]
    at = at.button(key="pair_key_1").click().run()
    assert [m.value for m in at.markdown if "✓ picked" in m.value and "· run " in m.value]
    at = at.button(key="review_next").click().run()
    at = at.button(key="pair_key_T").click().run()
    votes = Store.open(Workspace.from_env(review_home)).pairwise_votes(reviewer="ana")
    assert sorted(votes["picked"]) == ["first", "tie"] and set(votes["first_shown"]) <= {"a", "b"}
    arena = page_runner("arena.py")()
    arena.segmented_control(key="arena_judges").set_value("people").run()
    assert not arena.exception
    assert sorted(arena.dataframe[0].value["Run"]) == ["cards", "coder"]
