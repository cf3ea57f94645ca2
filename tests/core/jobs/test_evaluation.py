"""Evaluation jobs over generated runs of the bundled sample: real OCR and reference metrics, a
scripted loopback vision model for quizzes and judges, resume, budget, aggregates, leaderboard."""

from __future__ import annotations

import asyncio
import math
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from core.evaluation.base import EvaluatorSpec, QuizAnswer
from core.evaluation.ocr import summarise_answers
from core.evaluation.reference_metrics import PSNR_CAP_DB
from core.evaluation.stats import UNTYPED_IMAGE_TYPE
from core.jobs import (
    JobError,
    ProblemSelection,
    RunSpecMismatch,
    evaluate,
    evaluation_run_name,
    largest_disagreements,
    prepare_evaluator_spec,
    run_evaluation,
)
from core.models.fake_server import FakeOpenAIServer
from core.problems.sample import load_sample
from core.store import Store
from core.store.quiz_audits import QuizAuditRow, options_json
from core.workspace import PROJECT_ROOT
from tests.core.jobs.evalkit import (
    BROKEN_FAILED,
    BROKEN_RUN,
    EVAL_UIDS,
    VisionScript,
    copy_home,
    eval_problems,
    fast_client,
    vision_config,
)

OFFLINE = ("ocr", "psnr", "ssim", "figure-facts")


def overall(store: Store, run_id: str) -> pd.DataFrame:
    return store.aggregates(run_id=run_id, scope="overall").set_index("metric")


def run_of(store: Store, generation: str, spec: EvaluatorSpec) -> str:
    run = store.find_run("evaluation", evaluation_run_name(generation, spec))
    assert run is not None
    return run.run_id


# ---- offline evaluators on the bundled sample: real OCR, real metrics ---------------------------


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    """Both offline runs scored by ocr, psnr, ssim and figure-facts (once for this module)."""
    workspace = copy_home(tmp_path_factory.mktemp("offline") / "home")
    store = Store.open(workspace)
    summaries = {
        (generation, name): evaluate(store, workspace, generation_run=generation, spec=EvaluatorSpec.create(name))
        for generation in ("reference", "text-card")
        for name in OFFLINE
    }
    return workspace, store, summaries


def test_offline_evaluation_stores_rows_items_and_progress(offline) -> None:
    _, store, summaries = offline
    problems = eval_problems()
    n_quizzes = sum(len(p.quizzes) for p in problems)
    for (generation, name), summary in summaries.items():
        assert summary.state == "finished" and summary.stop_reason is None, summary
        assert (summary.total, summary.done, summary.ran, summary.skipped) == (6, 6, 6, 0)
        assert summary.statuses == {"ok": 6} and summary.missing_images == 0
        assert summary.run_name == f"{generation} · {name}" and summary.calls == 0
        run = store.get_run(summary.run_id)
        assert run.kind == "evaluation" and run.parent_run_id == summary.generation_run_id
        assert run.generator_kind == "baseline" and run.spec_name == name
        progress = store.run_progress(summary.run_id)
        assert (progress.state, progress.total, progress.done, progress.ok) == ("finished", 6, 6, 6)
    ocr = store.quiz_answers(summaries[("reference", "ocr")].run_id)
    assert len(ocr) == n_quizzes and set(ocr["answerer"]) == {"ocr"}
    assert ocr["raw_reply"].str.contains("OCR read|drawn texts|one:").all()
    values = store.metric_values(summaries[("text-card", "ssim")].run_id)
    assert len(values) == 6 and (values["status"] == "ok").all()
    facts = store.metric_values(summaries[("reference", "figure-facts")].run_id)
    assert set(facts["metric"]) == {"ff_overlaps", "ff_overlap_worst", "ff_outside", "ff_coverage", "ff_answer_leak"}


def test_offline_aggregates_have_intervals_and_the_gold_run_wins(offline) -> None:
    _, store, summaries = offline
    reference = {name: overall(store, summaries[("reference", name)].run_id) for name in OFFLINE}
    card = {name: overall(store, summaries[("text-card", name)].run_id) for name in OFFLINE}
    # the reference run re-renders the gold scripts: pixel-identical to its references
    assert reference["ssim"].loc["ssim", "value"] == pytest.approx(1.0)
    assert reference["psnr"].loc["psnr", "value"] == PSNR_CAP_DB
    assert math.isinf(store.metric_values(summaries[("reference", "psnr")].run_id)["value"].iloc[0])
    assert card["ssim"].loc["ssim", "value"] < reference["ssim"].loc["ssim", "value"]
    assert card["psnr"].loc["psnr", "value"] < reference["psnr"].loc["psnr", "value"]
    assert card["ssim"].loc["ssim", "ci_high"] < 1.0  # separable from the gold run
    for frame in (*reference.values(), *card.values()):
        for metric, row in frame.iterrows():
            if metric != "n_missing":
                assert row["ci_low"] <= row["value"] + 1e-9 <= row["ci_high"] + 2e-9, metric
    # OCR: rinv and quiz accuracy with abstentions wrong, pooled answer rate and precision
    for generation in ("reference", "text-card"):
        run_id = summaries[(generation, "ocr")].run_id
        numbers = overall(store, run_id)
        stored = store.quiz_answers(run_id)
        summary = summarise_answers(
            QuizAnswer(**{k: (None if pd.isna(v) else v) for k, v in row.items() if k in QuizAnswer.model_fields
                          and k != "presented_keys"})
            for row in stored.to_dict("records")
        )
        assert numbers.loc["rinv", "value"] == pytest.approx(summary.rinv)
        assert numbers.loc["quiz_acc", "value"] == pytest.approx(summary.accuracy)
        assert numbers.loc["ocr_answer_rate", "value"] == pytest.approx(summary.answer_rate)
        assert numbers.loc["ocr_answer_rate", "n"] == summary.quizzes
        if summary.precision is not None:
            assert numbers.loc["ocr_precision", "value"] == pytest.approx(summary.precision)
    assert overall(store, summaries[("reference", "ocr")].run_id).loc["rinv", "value"] > (
        overall(store, summaries[("text-card", "ocr")].run_id).loc["rinv", "value"]
    )
    scopes = store.aggregates(run_id=summaries[("reference", "ocr")].run_id, metric="rinv")
    assert set(scopes["scope"]) == {"overall", "subject", "image_type"}
    assert set(scopes.loc[scopes["scope"] == "subject", "scope_value"]) == {
        "Math", "Physics", "Chemistry", "Biology", "Universal"
    }
    assert UNTYPED_IMAGE_TYPE not in set(scopes["scope_value"])


def test_leaderboard_rows_are_the_generation_runs_with_their_evaluations(offline) -> None:
    _, store, _ = offline
    board = store.leaderboard().set_index("name")
    assert {"reference", "text-card", BROKEN_RUN} <= set(board.index)
    assert set(board.loc[["reference", "text-card"], "kind"]) == {"generation"}
    assert not (board["kind"] == "evaluation").any()  # evaluation runs fold into their generation run
    reference, card = board.loc["reference"], board.loc["text-card"]
    assert reference["evaluated_by"] == "ocr, psnr, ssim, figure-facts"
    assert reference["ssim"] > card["ssim"] and reference["psnr"] > card["psnr"]
    assert reference["pass_at_1"] == 100.0 and reference["rinv"] > card["rinv"]
    assert reference["rinv_ci_low"] <= reference["rinv"] <= reference["rinv_ci_high"]
    assert list(board.index[:2]) == ["reference", "text-card"]  # sorted by rinv
    scoped = store.scoped_metrics("ssim", "subject")
    assert set(scoped["name"]) == {"reference", "text-card"} and len(scoped) == 10
    assert len(store.leaderboard(kind="evaluation")) == 8


def test_each_evaluation_run_stores_its_protocol_and_a_row_merges_them(offline) -> None:
    _, store, summaries = offline
    ocr_run = summaries[("reference", "ocr")].run_id
    ssim_run = summaries[("reference", "ssim")].run_id
    protocols = store.run_protocols([ocr_run, ssim_run])
    ocr, ssim = protocols[ocr_run], protocols[ssim_run]
    evaluated = sorted(store.evaluation_statuses(ocr_run))
    assert ocr.problem_set.count == len(evaluated) and ocr.problem_set.source == "custom"
    assert (ocr.quiz_set, ocr.answerer.model, ocr.missing_image_rule) == ("quizzes", "ocr", "counted_failed")
    assert ssim.answerer is None and ssim.problem_set == ocr.problem_set  # ssim adds no quiz facts
    assert set(store.aggregates(run_id=ocr_run)["protocol_id"]) == {ocr.protocol_id}
    # the reference row shows numbers of both: its protocol has both parts, and is not the paper's
    row = store.leaderboard().set_index("name").loc["reference"]
    assert row["protocol_id"] == ocr.protocol_id  # same problems, and only the OCR run adds parts
    assert "answered by ocr" in row["protocol"] and "missing images count as failed" in row["protocol"]
    # both R_inv variants are stored; missing images left out can only raise it
    numbers = overall(store, ocr_run)["value"]
    assert numbers["rinv"] <= numbers["perfect_image_rate"]


def test_rerun_does_nothing_and_failed_figures_count_as_missing(offline, tmp_path) -> None:
    workspace, store, summaries = offline
    again = evaluate(store, workspace, generation_run="reference", spec=EvaluatorSpec.create("ssim"))
    assert (again.ran, again.skipped, again.state) == (0, 6, "finished") and "nothing to do" in again.message
    assert again.aggregates["ssim"]["value"] == pytest.approx(1.0)
    assert len(store.metric_values(again.run_id)) == 6
    broken = evaluate(store, workspace, generation_run=BROKEN_RUN, spec=EvaluatorSpec.create("psnr"))
    assert broken.statuses == {"ok": 4, "no_image": 2} and broken.missing_images == 2
    assert broken.aggregates["psnr"]["n"] == 4  # figures without an image have no value
    items = store.evaluation_items(broken.run_id).set_index("problem_uid")
    assert items.loc[list(BROKEN_FAILED), "error_class"].tolist() == ["missing_image"] * 2


def test_selection_narrows_the_figures(offline) -> None:
    workspace, store, _ = offline
    summary = evaluate(
        store, workspace, generation_run="text-card", spec=EvaluatorSpec.create("figure-facts"),
        selection=ProblemSelection(subject="Physics"), replace=True,
    )
    assert summary.total == 2 and summary.ran == 2
    assert set(store.evaluation_statuses(summary.run_id)) == {EVAL_UIDS[1], EVAL_UIDS[5]}
    extra = next(p for p in load_sample() if p.uid not in EVAL_UIDS)  # stored, but never drawn
    store.upsert_problems([extra])
    limited = evaluate(store, workspace, generation_run="text-card", spec=EvaluatorSpec.create("figure-facts"),
                       selection=ProblemSelection(ids=(extra.id, "sample-math-plane-geometric-1"), limit=1))
    assert limited.total == 1 and limited.ran == 1 and limited.not_generated == 1
    with pytest.raises(JobError, match="no problem 'custom:nope'"):
        evaluate(store, workspace, generation_run="text-card", spec=EvaluatorSpec.create("figure-facts"),
                 selection=ProblemSelection(ids=("custom:nope",)))


# ---- a scripted vision model: quizzes, the multimodal question, two judges ---------------------


@pytest.fixture
def workspace(tmp_path):
    return copy_home(tmp_path / "home")


@pytest.fixture
def store(workspace):
    return Store.open(workspace)


def scripted(**options) -> VisionScript:
    return VisionScript(eval_problems(), **options)


def test_vqa_and_mmq_with_malformed_replies_and_missing_images(workspace, store) -> None:
    script = scripted(wrong=[EVAL_UIDS[2]], free_text=[EVAL_UIDS[3]], garbage=[EVAL_UIDS[4]])
    with FakeOpenAIServer(reply=script) as server:
        config = vision_config(server, "vision")
        client = fast_client(config, workspace)
        spec = EvaluatorSpec.create("vqa", model="vision")
        summary = evaluate(store, workspace, generation_run=BROKEN_RUN, spec=spec, profiles=config, client=client)
        requests = server.request_count
        mmq = evaluate(store, workspace, generation_run="reference", spec=EvaluatorSpec.create("mmq", model="vision"),
                       profiles=config, client=client)
    assert summary.state == "finished" and summary.run_name == "broken · vqa:vision"
    assert summary.statuses == {"no_image": 2, "ok": 3, "failed": 1}  # garbage: no option chosen
    answers = store.quiz_answers(summary.run_id).set_index(["problem_uid", "quiz_index"])
    problems = {p.uid: p for p in eval_problems()}
    for uid in BROKEN_FAILED:
        assert (answers.loc[uid, "error_class"] == "missing_image").all() and not answers.loc[uid, "correct"].any()
    assert answers.loc[EVAL_UIDS[3], "correct"].all()  # free text mapped by the grader
    assert not answers.loc[EVAL_UIDS[2], "correct"].any()
    assert (answers.loc[EVAL_UIDS[4], "error_class"] == "no_option").all()
    row = answers.loc[(EVAL_UIDS[5], 0)]
    quiz = problems[EVAL_UIDS[5]].quizzes[0]
    assert row["correct"] and row["parsed_key"] == quiz.correct_option and row["shuffle_seed"] is not None
    assert sorted(row["presented_keys"]) == sorted(quiz.options)
    # every request is in the ledger, with the item it served
    calls = store.model_calls(summary.run_id)
    assert len(calls) == requests == summary.calls and set(calls["problem_uid"]) <= set(EVAL_UIDS[2:])
    assert store.run_spent_usd(summary.run_id) == pytest.approx(summary.cost_usd) and summary.cost_usd > 0
    numbers = summary.aggregates
    n_broken = sum(len(problems[uid].quizzes) for uid in EVAL_UIDS)
    correct = sum(len(problems[uid].quizzes) for uid in (EVAL_UIDS[3], EVAL_UIDS[5]))
    assert numbers["quiz_acc"]["value"] == pytest.approx(100 * correct / n_broken)
    assert numbers["rinv"]["value"] == pytest.approx(100 * 2 / 6) and numbers["n_missing"]["value"] == 3
    assert numbers["rinv_excluding_missing"]["value"] == pytest.approx(100 * 2 / 3)
    # mmq: 1/0 per figure, percent in aggregates
    assert mmq.aggregates["mmq_correct"]["value"] == 100.0 and mmq.aggregates["mmq_correct"]["n"] == 6
    assert set(store.metric_values(mmq.run_id)["value"]) == {1.0}


def test_two_judges_agreement_disagreements_and_resume(workspace, store) -> None:
    script = scripted(unparsable_first=[("judge-b", EVAL_UIDS[5])], disagree=[EVAL_UIDS[3]])
    spec = EvaluatorSpec.create("judge", judges=["judge-a", "judge-b"])
    with FakeOpenAIServer(reply=script) as server:
        config = vision_config(server, "judge-a", "judge-b")
        client = fast_client(config, workspace)
        summary = evaluate(store, workspace, generation_run=BROKEN_RUN, spec=spec, profiles=config, client=client)
        requests = server.request_count
        again = evaluate(store, workspace, generation_run=BROKEN_RUN, spec=spec, profiles=config, client=client)
        assert server.request_count == requests and again.ran == 0  # resumed: nothing left to ask
    assert summary.run_name == "broken · judge:judge-a,judge-b" and summary.statuses == {"ok": 4, "no_image": 2}
    assert requests == 4 * 2 + 1  # one retry after the unparsable reply
    assert ("judge-b", EVAL_UIDS[5], True) in script.judged
    scores = store.judge_scores(summary.run_id)
    assert len(scores) == 6 * 2 * 5
    missing = scores[scores["problem_uid"].isin(BROKEN_FAILED)]
    assert (missing["score"] == 0).all() and (missing["error_class"] == "missing_image").all()
    assert missing["rationale"].str.startswith("no image").all()
    retried = scores[(scores["problem_uid"] == EVAL_UIDS[5]) & (scores["judge"] == "judge-b")]
    assert retried["score"].notna().all() and retried["error_class"].isna().all()
    numbers = overall(store, summary.run_id)
    expected_cf = [0, 0, *(script.judge_scores("judge-a", uid)["correctness_fidelity"] for uid in EVAL_UIDS[2:])]
    expected_cf[3] = (expected_cf[3] + (2 - expected_cf[3])) / 2  # judges a and b averaged
    assert numbers.loc["judge_cf", "value"] == pytest.approx(sum(expected_cf) / 6)
    alphas = [m for m in numbers.index if m.startswith("judge_alpha")]
    assert sorted(alphas) == ["judge_alpha", "judge_alpha_cf", "judge_alpha_er", "judge_alpha_lp",
                              "judge_alpha_ro", "judge_alpha_sp"]
    assert numbers.loc["judge_alpha", "n"] == 4 * 5  # figures without an image are left out
    assert numbers.loc["judge_alpha", "value"] < 1.0
    assert numbers.loc["judge_alpha", "ci_low"] <= numbers.loc["judge_alpha", "value"] <= numbers.loc[
        "judge_alpha", "ci_high"]
    worst = largest_disagreements(store, summary.run_id)
    assert worst["problem_uid"].tolist() == [EVAL_UIDS[3]] and "judge-a=" in worst["detail"].iloc[0]
    assert again.aggregates["judge_alpha"] == summary.aggregates["judge_alpha"]


def test_blind_solvable_quizzes_are_left_out_of_the_unblind_metrics(workspace, store) -> None:
    problems = eval_problems()
    flagged = problems[5]  # answered correctly by the script; flag all but one of its quizzes
    rows = [
        QuizAuditRow(
            problem_uid=p.uid, quiz_index=i, model="blind", question=q.question, options_json=options_json(q.options),
            correct_option=q.correct_option, shuffles=3, n_correct=3 if p is flagged and i > 0 else 0, n_errors=0,
            flagged=p is flagged and i > 0, seeds=[1, 2, 3], answers_json="[]", prompt="blind_quiz@v1",
        )
        for p in problems for i, q in enumerate(p.quizzes)
    ]
    store.save_quiz_audits(rows)
    with FakeOpenAIServer(reply=scripted(wrong=[EVAL_UIDS[0]])) as server:
        config = vision_config(server, "vision")
        summary = evaluate(store, workspace, generation_run="reference", spec=EvaluatorSpec.create("vqa", model="vision"),
                           profiles=config, client=fast_client(config, workspace))
    numbers = summary.aggregates
    total = sum(len(p.quizzes) for p in problems)
    wrong = len(problems[0].quizzes)
    left_out = len(flagged.quizzes) - 1
    assert numbers["quiz_acc"]["value"] == pytest.approx(100 * (total - wrong) / total)
    assert numbers["quiz_acc_unblind"]["value"] == pytest.approx(100 * (total - wrong - left_out) / (total - left_out))
    assert numbers["quiz_acc_unblind"]["n"] == total - left_out
    assert numbers["rinv_unblind"]["value"] == pytest.approx(100 * 5 / 6)


def test_specs_name_their_runs_and_another_spec_is_refused(workspace, store) -> None:
    with FakeOpenAIServer(reply=scripted()) as server:
        config = vision_config(server, "vision")
        client = fast_client(config, workspace)
        spec = EvaluatorSpec.create("vqa", model="vision")
        prepared = prepare_evaluator_spec(spec, profiles=config)
        assert prepared.param("model_id") == "openai/vision" and prepared.param("seed") == 0
        assert len(prepared.param("model_fingerprint")) == 16 and "api_key" not in prepared.to_json()
        first = evaluate(store, workspace, generation_run="reference", spec=spec, profiles=config, client=client,
                         selection=ProblemSelection(limit=2))
        seeded = evaluate(store, workspace, generation_run="reference", profiles=config, client=client,
                          spec=EvaluatorSpec.create("vqa", model="vision", seed=3), selection=ProblemSelection(limit=2))
        assert seeded.run_name == "reference · vqa:vision seed=3" and seeded.run_id != first.run_id
        hotter = vision_config(server, "vision", temperature=0.9)
        with pytest.raises(RunSpecMismatch, match="model profile's settings .* changed.*--replace"):
            evaluate(store, workspace, generation_run="reference", spec=spec, profiles=hotter,
                     client=fast_client(hotter, workspace), selection=ProblemSelection(limit=2))
        replaced = evaluate(store, workspace, generation_run="reference", spec=spec, profiles=hotter,
                            client=fast_client(hotter, workspace), selection=ProblemSelection(limit=1), replace=True)
    assert replaced.run_id != first.run_id and store.get_run(first.run_id) is None
    assert replaced.done == 1 and len(store.evaluation_items(replaced.run_id)) == 1
    with pytest.raises(JobError, match=r"no generation run 'nope'; generation runs: 'reference', 'text-card', 'broken' \(make one"):
        evaluate(store, workspace, generation_run="nope", spec=EvaluatorSpec.create("ocr"))
    with pytest.raises(JobError, match="unknown evaluator 'telepathy'"):
        evaluate(store, workspace, generation_run="reference", spec=EvaluatorSpec.create("telepathy"))
    with pytest.raises(JobError, match="unknown profile or model 'nobody'"):
        prepare_evaluator_spec(EvaluatorSpec.create("judge", judges=["nobody"]), profiles=config)
    with pytest.raises(JobError, match="no figure of generation run 'reference' matches"):
        evaluate(store, workspace, generation_run="reference", spec=EvaluatorSpec.create("ocr"),
                 selection=ProblemSelection(subject="Physics", image_type="Physics - Waveform"))


def test_budget_stops_cleanly_and_a_resume_finishes_without_duplicates(workspace, store) -> None:
    spec = EvaluatorSpec.create("vqa", model="vision")
    # each call reports 5000 prompt tokens: $0.005 at $1/M, more than the client's estimate
    with FakeOpenAIServer(reply=scripted(prompt_tokens=5000)) as server:
        config = vision_config(server, "vision", concurrency=1)
        client = fast_client(config, workspace)
        stopped = evaluate(store, workspace, generation_run="reference", spec=spec, profiles=config, client=client,
                           max_cost_usd=0.04, concurrency=1)
        assert stopped.state == "cancelled" and stopped.stop_reason == "budget"
        assert 0 < stopped.done < 6 and stopped.incomplete >= 1
        assert store.run_progress(stopped.run_id).stop_reason == "budget"
        # the guard bounds what it can foresee; calls already in flight may end a little past it
        assert stopped.cost_usd == pytest.approx(store.run_spent_usd(stopped.run_id))
        assert stopped.cost_usd <= 0.04 + 4 * 0.0051
        assert store.model_calls(stopped.run_id)["failure_class"].eq("budget_exceeded").sum() >= 1
        done_before = set(store.evaluation_statuses(stopped.run_id))
        finished = evaluate(store, workspace, generation_run="reference", spec=spec, profiles=config, client=client,
                            max_cost_usd=1.0)
    assert finished.state == "finished" and finished.skipped == len(done_before) and finished.done == 6
    answers = store.quiz_answers(finished.run_id)
    assert len(answers) == sum(len(p.quizzes) for p in eval_problems())
    assert not answers.duplicated(["problem_uid", "quiz_index"]).any()
    assert finished.aggregates["rinv"]["value"] == 100.0


def test_cancelled_job_resumes_where_it_stopped(workspace, store) -> None:
    spec = EvaluatorSpec.create("vqa", model="vision")

    async def cancel_midway(config, client):
        task = asyncio.ensure_future(
            run_evaluation(store, workspace, generation_run="reference", spec=spec, profiles=config, client=client,
                           concurrency=1, flush_interval_s=0.05)
        )
        while len(store.evaluation_statuses(run_of(store, "reference", spec)) if store.find_run(
                "evaluation", "reference · vqa:vision") else ()) < 2:
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with FakeOpenAIServer(reply=scripted(), latency_s=0.15) as server:
        config = vision_config(server, "vision")
        client = fast_client(config, workspace)
        asyncio.run(cancel_midway(config, client))
        run_id = run_of(store, "reference", spec)
        progress = store.run_progress(run_id)
        assert (progress.state, progress.stop_reason) == ("cancelled", "interrupted") and 2 <= progress.done < 6
        stored = len(store.quiz_answers(run_id))
        resumed = evaluate(store, workspace, generation_run="reference", spec=spec, profiles=config, client=client)
    assert resumed.skipped == progress.done and resumed.ran == 6 - progress.done and resumed.state == "finished"
    answers = store.quiz_answers(run_id)
    assert len(answers) == sum(len(p.quizzes) for p in eval_problems()) > stored
    assert not answers.duplicated(["problem_uid", "quiz_index"]).any() and answers["correct"].all()


def test_fid_needs_enough_figures_and_says_so(workspace, store) -> None:
    summary = evaluate(store, workspace, generation_run="text-card", spec=EvaluatorSpec.create("kid"))
    assert summary.run_name == "text-card · fid" and summary.statuses == {"unavailable": 6}
    assert summary.aggregates == {} and any("at least 10" in note for note in summary.notes)


@pytest.mark.slow
def test_fid_of_the_gold_run_is_near_zero(workspace, store, tmp_path) -> None:
    from core.evaluation.inception import ensure_inception_weights

    weights = ensure_inception_weights(tmp_path / "inception.pth")
    spec = EvaluatorSpec.create("fid", weights_path=str(weights), min_images=5)
    gold = evaluate(store, workspace, generation_run="reference", spec=spec)
    card = evaluate(store, workspace, generation_run="text-card", spec=spec)
    assert gold.statuses == {"ok": 6} and gold.aggregates["fid"]["n"] == 6
    assert abs(gold.aggregates["fid"]["value"]) < 1e-3 < card.aggregates["fid"]["value"]
    assert card.aggregates["kid"]["value"] > gold.aggregates["kid"]["value"]
    again = evaluate(store, workspace, generation_run="reference", spec=spec)
    assert again.skipped == 6 and again.aggregates == gold.aggregates


# ---- kill -9 a real `scigen evaluate` and rerun it ---------------------------------------------

DRIVER = (
    "import sys, core.cli as cli; cli.VERB_MODULES = ('core.cli.evaluate_cmd',); "
    "sys.exit(cli.main(sys.argv[1:]))"
)


@pytest.mark.slow
def test_sigkill_then_rerun_stores_everything_once(workspace, store, tmp_path) -> None:
    with FakeOpenAIServer(reply=scripted(wrong=[EVAL_UIDS[0]]), latency_s=0.3) as server:
        config = tmp_path / "scigen.toml"
        config.write_text(
            f'[profiles.vision]\nmodel = "openai/vision"\napi_base = "{server.api_base}"\nconcurrency = 1\n'
            "timeout_s = 20\nmax_retries = 1\nmax_tokens = 50\ninput_cost_per_mtok = 1.0\noutput_cost_per_mtok = 2.0\n",
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SCIGEN_"))}
        env.update(SCIGEN_CONFIG=str(config), PYTHONPATH=str(PROJECT_ROOT), LITELLM_LOCAL_MODEL_COST_MAP="True")
        command = [sys.executable, "-c", DRIVER, "--home", str(workspace.home), "evaluate", "--run", "reference",
                   "--vqa", "vision", "--concurrency", "1", "--no-progress", "--format", "json"]
        job = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        run = None
        while time.monotonic() < deadline:
            run = store.find_run("evaluation", "reference · vqa:vision")
            if run is not None and len(store.evaluation_statuses(run.run_id)) >= 2:
                break
            time.sleep(0.1)
        job.send_signal(signal.SIGKILL)
        job.wait(timeout=10)
        assert run is not None
        killed = store.run_progress(run.run_id)
        assert killed.state == "running" and 2 <= killed.done < 6  # nothing recorded the kill
        rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    answers = store.quiz_answers(run.run_id)
    assert len(answers) == sum(len(p.quizzes) for p in eval_problems())
    assert not answers.duplicated(["problem_uid", "quiz_index"]).any()
    assert not store.model_calls(run.run_id)["call_id"].duplicated().any()
    wrong = set(answers.loc[~answers["correct"], "problem_uid"])
    assert wrong == {EVAL_UIDS[0]} and store.run_progress(run.run_id).state == "finished"
