"""``scigen evaluate`` through the entry point a user calls, on a generated sample workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.models.fake_server import FakeOpenAIServer
from tests.core.jobs.evalkit import BROKEN_FAILED, EVAL_UIDS, VisionScript, copy_home, eval_problems


@pytest.fixture
def scigen(scigen_with, model_env, monkeypatch, tmp_path):
    """``scigen --home <copy of the generated workspace> ARGS`` with only the evaluate verb."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return scigen_with("core.cli.evaluate_cmd", copy_home(tmp_path / "home").home)


def write_config(path: Path, server: FakeOpenAIServer, *names: str, temperature: float | None = None) -> Path:
    text = "".join(
        f'[profiles.{name}]\nmodel = "openai/{name}"\napi_base = "{server.api_base}"\nconcurrency = 4\n'
        "timeout_s = 20\nmax_retries = 1\nmax_tokens = 200\ninput_cost_per_mtok = 1.0\noutput_cost_per_mtok = 2.0\n"
        + (f"temperature = {temperature}\n" if temperature is not None else "")
        for name in names
    )
    path.write_text(text, encoding="utf-8")
    return path


def test_help(scigen, capsys):
    with pytest.raises(SystemExit) as excinfo:
        scigen("evaluate", "--help")
    assert excinfo.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--vqa", "--judge", "--metrics", "--max-cost", "--replace", "--mmq", "--seed", "--format"):
        assert flag in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--run", "nope", "--vqa", "ocr"), "no generation run 'nope'; generation runs: 'reference', 'text-card', 'broken'"),
        (("--run", "reference"), "nothing to evaluate: give --vqa, --mmq, --judge, --metrics and/or --evaluator"),
        (("--run", "reference", "--metrics", "psnr,lpips"), "--metrics: unknown metric 'lpips'; choose from clip, fid"),
        (("--run", "reference", "--vqa", "ocr", "--grader", "x/y"), "--grader applies to model answerers"),
        (("--run", "reference", "--judge", "a,a"), "--judge names a judge twice"),
        (("--run", "reference", "--judge", "nobody"), "unknown profile or model 'nobody'"),
        (("--run", "reference", "--vqa", "ocr", "--limit", "0"), "--limit must be a positive number"),
        (("--run", "reference", "--vqa", "ocr", "--max-cost", "-1"), "--max-cost must be a number of USD >= 0"),
        (("--run", "reference", "--vqa", "ocr", "--subject", "Physics", "--type", "Physics - Waveform"),
         "no figure of generation run 'reference' matches the selection"),
    ],
)
def test_errors_are_one_clear_line(scigen, args, message):
    status, out, err = scigen("evaluate", *args)
    assert status == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_offline_evaluation_table_then_resumed_json(scigen):
    args = ("evaluate", "--run", "reference", "--vqa", "ocr", "--metrics", "psnr,ssim,figure-facts", "--limit", "2")
    status, out, err = scigen(*args)
    assert status == 0, err
    blocks = out.split("\n\n")
    assert [block.splitlines()[0].split(" (")[0] for block in blocks] == [
        "evaluation 'reference · ocr'", "evaluation 'reference · psnr'", "evaluation 'reference · ssim'",
        "evaluation 'reference · figure-facts'",
    ]
    assert "figures: 2/2 evaluated (ok 2); this job 2, 0 already done" in blocks[0]
    assert "missing images: 0" in blocks[0]
    header = next(line for line in blocks[0].splitlines() if line.strip().startswith("metric"))
    assert header.split() == ["metric", "value", "95%", "CI", "n", "unit"]
    rinv = next(line for line in blocks[0].splitlines() if line.strip().startswith("rinv "))
    assert "[" in rinv and rinv.split()[-1] == "%"
    assert "ssim" in blocks[2] and "1.00" in blocks[2]

    status, out, err = scigen(*args, "--format", "json")
    assert status == 0, err
    payload = json.loads(out)
    assert payload["generation_run"] == "reference" and payload["not_started"] == []
    evaluations = {e["label"]: e for e in payload["evaluations"]}
    assert set(evaluations) == {"ocr", "psnr", "ssim", "figure-facts"}
    for evaluation in evaluations.values():
        assert (evaluation["ran"], evaluation["skipped"], evaluation["state"]) == (0, 2, "finished")
    ocr = evaluations["ocr"]["aggregates"]
    assert {"rinv", "quiz_acc", "ocr_answer_rate", "ocr_precision", "n_missing"} <= set(ocr)
    assert ocr["rinv"]["ci_low"] <= ocr["rinv"]["value"] <= ocr["rinv"]["ci_high"] and ocr["rinv"]["n"] == 2
    board = scigen.store().leaderboard().set_index("name")
    assert board.loc["reference", "evaluated_by"] == "ocr, psnr, ssim, figure-facts"


def test_model_evaluators_with_profiles_judges_and_their_disagreements(scigen, tmp_path):
    script = VisionScript(eval_problems(), disagree=[EVAL_UIDS[3]], unparsable_first=[("judge-b", EVAL_UIDS[2])])
    with FakeOpenAIServer(reply=script) as server:
        config = write_config(tmp_path / "scigen.toml", server, "vision", "judge-a", "judge-b")
        status, out, err = scigen("evaluate", "--run", "broken", "--vqa", "vision", "--judge", "judge-a,judge-b",
                                  "--seed", "7", "--config", config)
        assert status == 0, err
        vqa_block, judge_block = out.split("\n\n")
        assert vqa_block.startswith("evaluation 'broken · vqa:vision seed=7'")
        assert "missing images: 2" in vqa_block and "no_image 2" in vqa_block
        assert "model calls this job: " in vqa_block and "cost: $" in vqa_block
        assert judge_block.startswith("evaluation 'broken · judge:judge-a,judge-b'")
        assert "judge_alpha " in judge_block and "judges disagree most on:" in judge_block
        assert f"{EVAL_UIDS[3]}: judge_cf: judge-a=" in judge_block
        status, out, err = scigen("evaluate", "--run", "broken", "--judge", "judge-a,judge-b", "--config", config,
                                  "--format", "json", "--disagreements", "1")
        assert status == 0, err
        (judge,) = json.loads(out)["evaluations"]
        assert judge["ran"] == 0 and [d["problem_uid"] for d in judge["disagreements"]] == [EVAL_UIDS[3]]
        store = scigen.store()
        run = store.find_run("evaluation", "broken · vqa:vision seed=7")
        assert run.spec_params["seed"] == 7 and run.spec_params["model_id"] == "openai/vision"
        answers = store.quiz_answers(run.run_id)
        assert set(answers.loc[answers["error_class"] == "missing_image", "problem_uid"]) == set(BROKEN_FAILED)
        # another temperature in the profile: the stored spec no longer matches
        hotter = write_config(tmp_path / "hot.toml", server, "vision", temperature=0.7)
        status, out, err = scigen("evaluate", "--run", "broken", "--vqa", "vision", "--seed", "7", "--config", hotter)
        assert status == 2 and "already exists with another spec" in err and "--replace" in err
        status, out, err = scigen("evaluate", "--run", "broken", "--vqa", "vision", "--seed", "7", "--config", hotter,
                                  "--replace", "--limit", "1", "--format", "json")
        assert status == 0, err
        assert json.loads(out)["evaluations"][0]["done"] == 1


def test_budget_stop_exits_3_and_leaves_the_rest_for_a_resume(scigen, tmp_path):
    with FakeOpenAIServer(reply=VisionScript(eval_problems(), prompt_tokens=5000)) as server:
        config = write_config(tmp_path / "scigen.toml", server, "vision")
        args = ("evaluate", "--run", "reference", "--vqa", "vision", "--mmq", "vision", "--config", config,
                "--concurrency", "1")
        status, out, err = scigen(*args, "--max-cost", "0.04")
        assert status == 3, err
        assert "cancelled (budget)" in out and "stopped on budget" in out and "left for a resume" in out
        assert out.rstrip().endswith("not started (budget): mmq")
        status, out, err = scigen(*args, "--max-cost", "5", "--format", "json")
    assert status == 0, err
    vqa, mmq = json.loads(out)["evaluations"]
    assert vqa["skipped"] >= 1 and vqa["done"] == 6 and vqa["state"] == "finished"
    assert mmq["done"] == 6 and mmq["aggregates"]["mmq_correct"]["value"] == 100.0
