"""``scigen generate`` and ``scigen runs`` through the same entry point a user calls."""

from __future__ import annotations

import json

import pytest

import core.cli
from core.models.fake_server import FakeOpenAIServer
from core.problems.sample import load_sample
from tests.core.jobs.jobkit import make_problem, scripted_reply

SECRET = "sk-test-very-secret-0123456789"


@pytest.fixture
def scigen(scigen_with, model_env, monkeypatch, tmp_path):
    """``scigen --home <tmp> ARGS`` with only the generate verb."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return scigen_with("core.cli.generate_cmd", tmp_path / "home")


@pytest.fixture
def sample_store(scigen):
    store = scigen.store()
    store.upsert_problems(load_sample())
    return store


def test_help(scigen, capsys):
    for verb, flag in (("generate", "--max-cost"), ("runs", "--kind")):
        with pytest.raises(SystemExit) as excinfo:
            scigen(verb, "--help")
        assert excinfo.value.code == 0
        assert flag in capsys.readouterr().out


def test_offline_generation_then_runs_listing_and_resume(scigen, sample_store):
    status, out, err = scigen("generate", "--model", "reference", "--subject", "math", "--limit", "3", "--run", "gold")
    assert status == 0, err
    assert "run 'gold'" in out and "finished" in out
    assert "figures: 3/3 done, 3 ok, 0 failed; this job stored 3, 0 were already done" in out
    assert "pass@1 100.0%  pass@k 100.0%" in out

    status, out, _ = scigen("generate", "--model", "reference", "--subject", "Math", "--limit", "3", "--run", "gold")
    assert status == 0 and "nothing to do" in out and "3 were already done" in out

    status, out, _ = scigen("runs")
    assert status == 0
    header, row = out.splitlines()[:2]
    assert header.split() == ["name", "kind", "generator", "model", "state", "done", "ok", "failed", "pass@1",
                              "pass@k", "cost"]
    assert row.split()[:10] == ["gold", "generation", "reference", "–", "finished", "3/3", "3", "0", "100.0%", "100.0%"]

    status, out, _ = scigen("runs", "--kind", "generation", "--format", "json")
    records = json.loads(out)
    assert [r["name"] for r in records] == ["gold"]
    assert records[0]["pass_at_k"] == 100.0 and records[0]["state"] == "finished" and records[0]["total"] == 3
    status, out, _ = scigen("runs", "--kind", "evaluation")
    assert status == 0 and out.startswith("no runs of kind evaluation")


def test_same_run_name_with_another_generator_is_a_one_line_error(scigen, sample_store):
    assert scigen("generate", "--model", "reference", "--limit", "1", "--run", "r")[0] == 0
    status, out, err = scigen("generate", "--model", "text-card", "--limit", "1", "--run", "r")
    assert status == 2
    assert err.strip().count("\n") == 0
    assert "run 'r' already exists with another spec" in err and "choose another --run name" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--model", "reference", "--generator", "pixel"), "needs a model"),
        (("--model", "reference", "--critique"), "imgcoder options"),
        (("--model", "no-such-profile"), "unknown profile or model 'no-such-profile'"),
        (("--model", "reference", "--subject", "Alchemy"), "unknown subject 'Alchemy'"),
        (("--model", "reference", "--ids", "nope"), "--ids: no problem 'nope'"),
        (("--model", "reference", "--limit", "0"), "--limit must be a positive number"),
        (("--model", "reference", "--source", "elsewhere"), "unknown source 'elsewhere'"),
        (("--model", "reference", "--type", "Chemistry - Spectra", "--subject", "Math"), "no problems match"),
        (("--model", "reference", "--max-cost", "-1"), "--max-cost must be"),
        (("--model", "reference", "--backend", "svg"), "--backend: unknown backend 'svg' (known: matplotlib, tikz)"),
        (("--model", "text-card", "--backend", "tikz"), "generator 'text-card': unknown parameter(s) backend"),
    ],
)
def test_bad_input_is_a_clear_error(scigen, sample_store, args, message):
    status, _, err = scigen("generate", *args, "--run", "x")
    assert status == 2
    assert message in err
    assert sample_store.list_runs().empty


def _profiles_file(path, server: FakeOpenAIServer, **extra: object) -> None:
    lines = [
        "[profiles.fake]", 'model = "openai/fake-model"', f'api_base = "{server.api_base}"',
        "concurrency = 2", "timeout_s = 10", "max_retries = 1", "max_tokens = 400",
    ]
    lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_model_run_with_budget_stop_resume_and_no_key_anywhere(scigen, tmp_path, monkeypatch):
    store = scigen.store()
    problems = [make_problem(f"b{index}", "ok") for index in range(6)]
    store.upsert_problems(problems)
    monkeypatch.setenv("FAKE_PROVIDER_KEY", SECRET)
    with FakeOpenAIServer(reply=scripted_reply, api_key=SECRET) as server:
        config = tmp_path / "scigen.toml"
        _profiles_file(config, server, api_key_env="FAKE_PROVIDER_KEY", input_cost_per_mtok=1000.0,
                       output_cost_per_mtok=1000.0)
        common = ("--model", "fake", "--run", "paid", "--config", config, "--max-attempts", "2", "--concurrency", "2")

        status, out, err = scigen("generate", *common, "--max-cost", "3")
        assert status == 3, err
        assert "cancelled (budget)" in out and "stopped on budget" in out and "left for a resume" in out
        status, out, _ = scigen("runs")
        assert "cancelled (budget)" in out

        status, out, err = scigen("generate", *common, "--max-cost", "50", "--format", "json")
        assert status == 0, err
        summary = json.loads(out)
        assert summary["state"] == "finished" and summary["done"] == 6 and summary["skipped"] >= 1
        assert 0 < summary["cost_usd"] <= 50
        assert all(request.had_authorization for request in server.requests)

    db_bytes = b"".join(path.read_bytes() for path in scigen.home.rglob("*") if path.is_file())
    assert SECRET.encode() not in db_bytes  # not in the store, the cache or the figures
    run = store.find_run("generation", "paid")
    assert SECRET not in json.dumps(run.spec_params) and run.model == "openai/fake-model"
    assert run.spec_params["model"] == "fake"


def test_progress_bar_on_a_terminal(scigen, sample_store, monkeypatch):
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    status = core.cli.main(["--home", str(scigen.home), "generate", "--model", "reference", "--limit", "2",
                            "--run", "bar"])
    assert status == 0
    assert "bar: 100%" in terminal.getvalue() and "2/2" in terminal.getvalue()
    assert "ok=2" in terminal.getvalue()

    quiet = Terminal()
    monkeypatch.setattr(sys, "stderr", quiet)
    assert core.cli.main(["--home", str(scigen.home), "generate", "--model", "reference", "--limit", "3",
                          "--run", "bar2", "--no-progress"]) == 0
    assert "%" not in quiet.getvalue()


def test_reference_with_the_tikz_backend_renders_the_gold_tikz(scigen, sample_store, monkeypatch):
    from core.sandbox import tex as tex_module

    if tex_module.find_tex() is None:
        pytest.skip("TeX is not installed here")
    monkeypatch.setattr(tex_module, "_DEFAULT", None)  # this test's renderer, its format in the workspace
    try:
        status, out, err = scigen("generate", "--model", "reference", "--backend", "tikz", "--ids",
                                  "sample-physics-circuit-1,sample-math-plane-geometric-1", "--run", "gold-tikz",
                                  "--no-progress")
        assert status == 0, err
        assert list((scigen.workspace.cache_dir / "tex").glob("*/scigen-tikz.fmt"))
    finally:
        if tex_module._DEFAULT is not None:
            tex_module._DEFAULT.close()
    run = sample_store.list_runs().set_index("name").loc["gold-tikz"]
    assert json.loads(run["spec_json"])["backend"] == "tikz"
    status, out, _ = scigen("runs", "--kind", "generation", "--format", "json")
    (record,) = json.loads(out)
    assert record["name"] == "gold-tikz" and record["total"] == 2 and record["pass_at_k"] == 100.0
