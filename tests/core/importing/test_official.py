"""Importing the official SciGenBench code's results: numbers equal the official summary's."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.importing.official import OfficialImportError, chosen_key, import_official, run_names
from core.protocols import PAPER_PROTOCOL, official_protocol
from core.store import Aggregate, Run, Store
from core.workspace import Workspace
from tests.core.importing.officialkit import MODELS, QUIZ_COUNTS, official_summary, problems, write_official

PAPER_RULE = ("perfect_image_rate", "question_accuracy")
JUDGE = ("judge_cf", "judge_lp", "judge_ro", "judge_sp", "judge_er")


@pytest.fixture
def store(workspace: Workspace) -> Store:
    store = Store.open(workspace)
    store.upsert_problems(problems())
    return store


def overall(store: Store, run_name: str) -> dict[str, float]:
    run = store.find_run("evaluation", run_name)
    frame = store.aggregates(run_id=run.run_id, scope="overall")
    return dict(zip(frame["metric"], frame["value"], strict=True))


def test_imported_numbers_equal_the_official_summary(store: Store, workspace: Workspace, tmp_path: Path) -> None:
    results, images = write_official(tmp_path)

    done = import_official(store, workspace, results, images_dir=images)

    assert [d.model for d in done] == list(MODELS) and {d.state for d in done} == {"new"}
    for model in MODELS:
        expected = official_summary(results, model)
        numbers = overall(store, run_names("scigen", model)[1])
        for metric in (*PAPER_RULE, *JUDGE):
            assert numbers[metric] == pytest.approx(expected[metric]), (model, metric)
    # the hand count behind alpha's numbers: images 1, 2, 5, 6 have questions (3 and 4 no image);
    # 1 (3 quizzes + open) and 6 (open only) are perfect; 2 misses a quiz; 5's open question errored
    alpha = overall(store, run_names("scigen", "alpha-imgcoder")[1])
    assert alpha["perfect_image_rate"] == pytest.approx(100 * 3 / 4)  # 1, 5 and 6
    assert alpha["question_accuracy"] == pytest.approx(100 * 8 / 9)


def test_the_strict_rinv_counts_missing_images_as_failed(store: Store, workspace: Workspace, tmp_path: Path) -> None:
    results, images = write_official(tmp_path)
    import_official(store, workspace, results, images_dir=images)

    alpha = overall(store, run_names("scigen", "alpha-imgcoder")[1])
    # images 1..6 all have quizzes; only 1 and 5 have every quiz right (6: no quiz rows at all)
    assert alpha["rinv"] == pytest.approx(100 * 2 / 6)
    assert alpha["quiz_acc"] == pytest.approx(100 * 5 / sum(QUIZ_COUNTS.values()))
    assert alpha["rinv"] <= alpha["perfect_image_rate"]


def test_imported_runs_carry_the_papers_protocol_and_figures(store: Store, workspace: Workspace, tmp_path: Path) -> None:
    results, images = write_official(tmp_path)
    import_official(store, workspace, results, images_dir=images)

    generation_name, evaluation_name = run_names("scigen", "alpha-imgcoder")
    generation = store.find_run("generation", generation_name)
    evaluation = store.find_run("evaluation", evaluation_name)
    assert store.run_protocols([evaluation.run_id])[evaluation.run_id].protocol_id == PAPER_PROTOCOL.protocol_id
    assert set(store.aggregates(run_id=evaluation.run_id)["protocol_id"]) == {PAPER_PROTOCOL.protocol_id}
    figures = store.generations(generation.run_id).set_index("problem_uid")
    assert figures.loc["scigen:3", "status"] == "failed" and figures.loc["scigen:4", "status"] == "failed"
    assert figures.loc["scigen:1", "image_path"] and figures.loc["scigen:2", "image_path"]  # .jpg under images/
    assert generation.generator_kind == "code"
    board = store.leaderboard().set_index("name")
    assert board.loc[generation_name, "protocol_id"] == PAPER_PROTOCOL.protocol_id


def test_malformed_rows_are_reported_and_the_rest_imported(store: Store, workspace: Workspace, tmp_path: Path) -> None:
    results, images = write_official(tmp_path)
    quiz = results / "scigen" / "quiz" / "beta_detailed_evaluation.csv"
    quiz.write_text(
        quiz.read_text(encoding="utf-8-sig")
        + "1,beta,0,Quiz 0?,B,B,maybe,\n"  # row 14: not a verdict (and a second answer)
        + "99,beta,0,Quiz 0?,B,B,1,\n"  # row 15: no such problem
        + "5,beta,7,Quiz 7?,B,B,1,\n",  # row 16: no quiz 7
        encoding="utf-8-sig",
    )
    judge = results / "scigen" / "llm_as_judge" / "alpha-imgcoder_quality_scores.csv"
    judge.write_text(judge.read_text(encoding="utf-8-sig") + "3,alpha-imgcoder,,,5,1,1,1,1,{},\n", encoding="utf-8-sig")
    earlier = Run(run_id="gen-earlier", name="earlier", kind="generation")
    store.upsert_run(earlier)
    store.upsert_aggregates("gen-earlier", [Aggregate(metric="rinv", value=12.5)])

    done = {d.model: d for d in import_official(store, workspace, results, images_dir=images)}

    texts = [str(issue) for issue in done["beta"].issues]
    assert f"{quiz}: row 14, column 'is_correct': 'maybe' is not 0 or 1" in texts
    assert any(t.startswith(f"{quiz}: row 15, column 'id': no stored problem scigen:99") for t in texts)
    assert any(t.startswith(f"{quiz}: row 16, column 'quiz_idx': 7 is outside the 1 stored quizzes") for t in texts)
    assert [str(i) for i in done["alpha-imgcoder"].issues if "llm_as_judge" in i.file] == [
        f"{judge}: row 5, column 'Correctness_Fidelity': '5' is not a score 0, 1 or 2"
    ]
    assert any("4.png" in i.file and "not a readable image" in i.message for i in done["alpha-imgcoder"].issues)
    # the valid rows are imported: the numbers are the official summary's of the files without the bad rows
    clean, _ = write_official(tmp_path / "clean")
    for model in MODELS:
        expected = official_summary(clean, model)
        numbers = overall(store, run_names("scigen", model)[1])
        assert [numbers[m] for m in (*PAPER_RULE, *JUDGE)] == pytest.approx([expected[m] for m in (*PAPER_RULE, *JUDGE)])
    # what was stored before is untouched
    assert store.get_run("gen-earlier") is not None
    assert store.aggregates(run_id="gen-earlier")["value"].tolist() == [12.5]


def test_importing_the_same_files_again_changes_nothing(store: Store, workspace: Workspace, tmp_path: Path) -> None:
    results, images = write_official(tmp_path)
    import_official(store, workspace, results, images_dir=images)
    before = store.aggregates().sort_values(["run_id", "metric", "scope", "scope_value"]).reset_index(drop=True)
    runs_before = store.list_runs()

    again = import_official(store, workspace, results, images_dir=images)

    assert {d.state for d in again} == {"unchanged"}
    after = store.aggregates().sort_values(["run_id", "metric", "scope", "scope_value"]).reset_index(drop=True)
    assert after.equals(before)
    assert store.list_runs().equals(runs_before)


def test_a_folder_without_results_is_refused(store: Store, workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(OfficialImportError, match="no folder scigen/"):
        import_official(store, workspace, tmp_path)
    (tmp_path / "scigen" / "quiz").mkdir(parents=True)
    with pytest.raises(OfficialImportError, match="no result files"):
        import_official(store, workspace, tmp_path)


def test_seephys_has_no_open_question_and_t2i_means_skip_incomplete_rows(workspace: Workspace, tmp_path: Path) -> None:
    store = Store.open(workspace)
    store.upsert_problems(problems("seephys"))
    folder = tmp_path / "seephys"
    (folder / "quiz").mkdir(parents=True)
    (folder / "t2i").mkdir()
    (folder / "quiz" / "m_detailed_evaluation.csv").write_text(
        "id,model,quiz_idx,question_text,pred,gt,is_correct,error_msg\n1,m,0,q,B,B,1,\n1,m,1,q,B,B,1,\n"
        "1,m,2,q,B,B,1,\n2,m,0,q,A,B,0,\n2,m,1,q,B,B,1,\n3,m,-1,,,,0,Image not found\n", encoding="utf-8"
    )
    (folder / "t2i" / "m_t2i_metrics.csv").write_text(
        "id,psnr,ssim,clip_score\n1,10.0,0.5,25.0\n2,14.0,0.7,27.0\n4,,0.9,30.0\n", encoding="utf-8"
    )

    import_official(store, workspace, tmp_path, dataset="seephys")

    numbers = overall(store, run_names("seephys", "m")[1])
    assert numbers["perfect_image_rate"] == pytest.approx(50.0)  # 1 of images 1, 2; 3 left out
    assert numbers["question_accuracy"] == pytest.approx(80.0)
    assert (numbers["psnr"], numbers["ssim"], numbers["clip"]) == pytest.approx((12.0, 0.6, 26.0))
    run = store.find_run("evaluation", run_names("seephys", "m")[1])
    assert store.run_protocols([run.run_id])[run.run_id] == official_protocol("seephys")


def test_a_file_that_cannot_be_read_never_drops_what_was_stored_from_it(
    store: Store, workspace: Workspace, tmp_path: Path
) -> None:
    results, images = write_official(tmp_path)
    import_official(store, workspace, results, images_dir=images)
    before = overall(store, run_names("scigen", "beta")[1])
    judge = results / "scigen" / "llm_as_judge" / "beta_quality_scores.csv"
    judge.write_text("id,model,Correctness_Fidelity\n1,beta,2\n", encoding="utf-8")  # columns missing
    quiz = results / "scigen" / "quiz" / "beta_detailed_evaluation.csv"
    quiz.write_text(quiz.read_text(encoding="utf-8-sig").replace("6,beta,1,Quiz 1?,B,B,1,", "6,beta,1,Quiz 1?,A,B,0,"),
                    encoding="utf-8-sig")

    done = {d.model: d for d in import_official(store, workspace, results, images_dir=images)}

    assert done["beta"].state == "kept" and done["alpha-imgcoder"].state == "unchanged"
    assert [str(i) for i in done["beta"].issues if i.file == str(judge)] == [
        f"{judge}: column 'Layout_Precision': required column missing (has: id, model, Correctness_Fidelity)"
    ]
    assert overall(store, run_names("scigen", "beta")[1]) == before


def test_the_chosen_option_is_kept_where_the_files_tell() -> None:
    assert chosen_key("The answer is B", "B", True) == "B"  # graded right: the correct key
    assert chosen_key("(C)", "B", False) == "C"
    assert chosen_key("I think the speed doubles", "B", False) is None  # free text: unknown
