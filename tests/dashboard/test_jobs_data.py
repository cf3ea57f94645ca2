"""dashboard.data.jobs (jobs with their progress, run history) and dashboard.data.generate (model
setup, generator choices, uploads, saving): pure functions, and accessors over a real store."""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from PIL import Image

from core.jobs.launcher import JobHandle, JobInfo
from core.problems.models import Problem
from core.store import RunProgress, Store
from core.store.generations import RUN_OVERVIEW_COLUMNS
from core.workspace import Workspace
from dashboard.charts import jobs as job_charts
from dashboard.data import generate as gen
from dashboard.data import jobs as jobs_data

STARTED = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
HOST = "this-host"
_PROVIDER_ENV = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "SCIGEN_CONFIG")


def handle(job_id: str = "j1", pid: int = 4242, verb: str = "generate") -> JobHandle:
    args = (verb, "--run", "gold", "--model", "reference", "--no-progress")
    return JobHandle(
        job_id=job_id,
        verb=verb,
        run_name="gold",
        args=args,
        argv=("python", "-m", "core", *args),
        pid=pid,
        home="/tmp/h",
        log_path="/tmp/h/jobs/j1.log",
        started_at=STARTED.isoformat(),
        host=HOST,
    )


def progress(
    run_id: str = "gen-1",
    *,
    pid: int = 4242,
    state: str = "running",
    done: int = 1,
    total: int = 4,
    cost: float = 0.0,
    delay_s: float = 3.0,
    message: str = "",
    stop_reason: str | None = None,
) -> RunProgress:
    started = (STARTED + timedelta(seconds=delay_s)).replace(tzinfo=None)  # the store keeps naive UTC
    return RunProgress(
        run_id=run_id,
        total=total,
        done=done,
        ok=done,
        failed=0,
        cost_usd=cost,
        state=state,
        stop_reason=stop_reason,
        message=message,
        pid=pid,
        host=HOST,
        started_at=started,
        updated_at=started,
        finished_at=None,
    )


def row_of(info: JobInfo, rows, log: str = "") -> jobs_data.JobRow:
    (row,) = jobs_data.job_rows(
        [info], rows, {"gen-1": "gold", "eva-1": "gold · ocr", "eva-2": "gold · psnr"}, {info.job_id: log}
    )
    return row


# ---- jobs with their progress ----------------------------------------------------------------------


def test_a_live_job_without_progress_is_starting_then_running_with_its_bar():
    info = JobInfo(handle(), alive=True, exit_code=None)
    starting = row_of(info, [])
    assert (starting.state, starting.fraction, starting.can_cancel, starting.can_resume) == (
        "starting",
        0.0,
        True,
        False,
    )
    running = row_of(info, [progress(done=1, total=4, cost=0.02, message="3 to do")])
    assert (running.state, running.done, running.total, running.fraction) == ("running", 1, 4, 0.25)
    assert running.cost_usd == pytest.approx(0.02) and running.message == "3 to do"
    assert [bar.name for bar in running.runs] == ["gold"]


def test_progress_rows_of_other_processes_or_older_jobs_are_not_the_jobs():
    info = JobInfo(handle(pid=4242), alive=True, exit_code=None)
    other_pid = progress(pid=999)
    older = progress(delay_s=-3600)  # the same pid, an hour before this job started: a reused pid
    assert row_of(info, [other_pid, older]).runs == ()


@pytest.mark.parametrize(
    ("exit_code", "last_state", "log", "state", "message_part"),
    [
        (0, "finished", "", "finished", "all done"),
        (130, "cancelled", "", "cancelled", "interrupted"),
        (3, "cancelled", "", "stopped on budget", "max-cost"),
        (
            2,
            None,
            "$ scigen generate\nscigen generate: error: unknown profile 'x'\n",
            "failed",
            "unknown profile",
        ),
        (-9, "running", "", "stopped", "signal 9"),
        (None, "finished", "", "finished", "all done"),
        (None, None, "", "ended", "before reporting"),
    ],
)
def test_an_ended_job_reads_how_it_ended(exit_code, last_state, log, state, message_part):
    rows = (
        []
        if last_state is None
        else [
            progress(
                state=last_state,
                done=4 if last_state == "finished" else 2,
                message="all done" if last_state == "finished" else "interrupted; rerun to resume",
            )
        ]
    )
    row = row_of(JobInfo(handle(), alive=False, exit_code=exit_code), rows, log)
    assert row.state == state and message_part in row.message
    assert row.can_cancel is False and row.can_resume is (state != "finished")


def test_a_job_resumed_by_a_newer_one_is_not_offered_for_resume_again():
    old = JobInfo(handle("old"), alive=False, exit_code=130)
    newer_handle = handle("new", pid=5151)
    newer = JobInfo(
        JobHandle(**{**newer_handle.__dict__, "started_at": (STARTED + timedelta(minutes=5)).isoformat()}),
        alive=True,
        exit_code=None,
    )
    rows = jobs_data.job_rows([newer, old], [], {}, {})
    assert [(row.job_id, row.can_resume, row.can_cancel) for row in rows] == [
        ("new", False, True),
        ("old", False, False),
    ]
    (alone,) = jobs_data.job_rows([old], [], {}, {})
    assert alone.can_resume


def test_an_evaluation_job_sums_its_runs_in_start_order():
    info = JobInfo(handle(verb="evaluate"), alive=True, exit_code=None)
    second = progress("eva-2", done=0, total=4, delay_s=20)
    first = progress("eva-1", state="finished", done=4, total=4, cost=0.5, delay_s=5)
    row = row_of(info, [second, first])
    assert [bar.name for bar in row.runs] == ["gold · ocr", "gold · psnr"]
    assert (row.done, row.total, row.fraction, row.cost_usd) == (4, 8, 0.5, 0.5)


def test_state_badges_and_progress_text():
    assert job_charts.state_badge("finished") == "✅ finished"
    assert job_charts.progress_text(3, 10, 0.0123) == "3 / 10 done · $0.0123"
    assert job_charts.progress_text(0, 0, 0.0).startswith("waiting")


# ---- the run history --------------------------------------------------------------------------------


def overview(*rows: dict) -> pd.DataFrame:
    base = {column: None for column in RUN_OVERVIEW_COLUMNS}
    return pd.DataFrame([{**base, **row} for row in rows], columns=list(RUN_OVERVIEW_COLUMNS))


def test_history_reads_dead_jobs_as_stopped_counts_evaluation_items_and_skips_reported():
    dead_pid = 2**22 + 12345  # above Linux's default pid_max: no such process
    frame = overview(
        {
            "run_id": "gen-1",
            "name": "gold",
            "kind": "generation",
            "spec_name": "reference",
            "state": "running",
            "pid": dead_pid,
            "host": __import__("socket").gethostname(),
            "total": 4,
            "done": 2,
            "ok": 2,
            "pass_at_1": 100.0,
            "pass_at_k": 100.0,
            "updated_at": pd.Timestamp("2026-03-01 12:00"),
        },
        {
            "run_id": "eva-1",
            "name": "gold · ocr",
            "kind": "evaluation",
            "spec_name": "ocr",
            "state": "finished",
            "total": 2,
            "cost_usd": 0.25,
            "updated_at": pd.Timestamp("2026-03-01 13:00"),
        },
        {"run_id": "rep-1", "name": "Paper model", "kind": "reported"},
    )
    evaluations = pd.DataFrame({"run_id": ["eva-1"], "items": [2], "ok": [1]})
    table = jobs_data.history_table(frame, evaluations)
    assert list(table["Run"]) == ["gold · ocr", "gold"]  # newest first, reported left out
    assert list(table["State"]) == ["finished", "stopped"]
    assert list(table["Done"]) == [2, 2] and list(table["Failed"]) == [1, 0]
    assert list(table["Progress"]) == [1.0, 0.5]
    assert tuple(table.columns) == jobs_data.HISTORY_COLUMNS
    assert (
        job_charts.cost_bar(table) is not None
        and job_charts.cost_bar(table.assign(**{"Cost USD": None})) is None
    )


def test_history_of_a_store_without_runs_is_empty():
    assert jobs_data.history_table(overview(), pd.DataFrame()).empty


def test_history_and_selection_over_a_real_store(fresh_seeded_home):
    store = Store.open(Workspace.from_env(fresh_seeded_home))
    assert jobs_data.selection_size(jobs_data.job_selection(limit=2)) == 2
    chemistry = jobs_data.job_selection(subject="Chemistry")
    assert jobs_data.selection_size(chemistry) == store.count_problems(subject="Chemistry") > 0
    assert jobs_data.selection_size(jobs_data.job_selection(ids="no-such-problem")) == 0
    assert jobs_data.run_history().empty  # the seeded store holds only reported runs
    with pytest.raises(gen.WorkbenchError, match="no problems match"):
        jobs_data.start_generation(
            "reference", selection=jobs_data.job_selection(subject="Math", image_type="Chemistry - Spectra")
        )
    assert jobs_data.jobs_now() == []


# ---- generate: models, choices, uploads, saving -------------------------------------------------------


@pytest.fixture
def no_models(monkeypatch, tmp_path, fresh_seeded_home):
    for name in _PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_without_profiles_or_keys_only_offline_generators_are_offered(no_models):
    setup = gen.model_setup()
    assert not setup.configured and setup.profiles == {} and setup.env_keys == ()
    pasted = gen.pasted_problem("Draw a circle of radius 2 cm.", "Math", None)
    gold = pasted.model_copy(update={"reference_code": "import matplotlib.pyplot as plt\nplt.plot([0, 1])\n"})
    assert [c.key for c in gen.generator_choices(setup, pasted)] == ["text-card"]  # reference needs a gold script
    assert [c.key for c in gen.generator_choices(setup, gold)] == ["reference", "text-card"]
    assert [c.key for c in gen.generator_choices(setup)] == ["reference", "text-card"]  # no problem: all of them
    assert gen.generator_choices(setup)[-1].label == "text-card (adversarial baseline: no diagram)"
    assert "scigen.example.toml" in gen.HOW_TO_ADD_A_MODEL and "OPENAI_API_KEY" in gen.HOW_TO_ADD_A_MODEL


def test_profiles_and_keys_make_model_generators(no_models, monkeypatch):
    config = no_models / "scigen.toml"
    config.write_text(
        '[profiles.local]\nmodel = "openai/qwen"\napi_base = "http://127.0.0.1:9/v1"\n'
        '[profiles.hosted]\nmodel = "openai/gpt-4o-mini"\napi_key_env = "SCIGEN_TEST_KEY"\n'
        '[profiles.painter]\nmodel = "openai/dall-e-3"\napi_base = "http://127.0.0.1:9/v1"\n',
        encoding="utf-8",
    )
    monkeypatch.delenv("SCIGEN_TEST_KEY", raising=False)
    setup = gen.model_setup()
    assert setup.configured and set(setup.profiles) == {"local", "painter"}
    assert "SCIGEN_TEST_KEY" in setup.unusable["hosted"]
    choices = gen.generator_choices(setup, raw_model="ollama/llava")
    assert [(c.generator, c.model) for c in choices] == [
        ("imgcoder", "local"),
        ("pixel", "painter"),
        ("imgcoder", "ollama/llava"),
        ("reference", None),
        ("text-card", None),
    ]
    assert [c.label for c in choices[:3]] == [
        "ImgCoder · local (openai/qwen)",
        "pixel · painter (openai/dall-e-3)",
        "ImgCoder · ollama/llava",
    ]
    assert choices[0].spec().generator == "imgcoder" and choices[0].spec().param("model") == "local"
    assert gen.answerer_choices(setup, "ollama/llava") == ["local", "ollama/llava"]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert gen.model_setup().env_keys == ("OPENAI_API_KEY",)
    assert set(jobs_data.job_model_choices()) == {"local", "painter", "reference", "text-card"}


def test_uploaded_problem_files_are_parsed_or_named_in_a_clear_error():
    good = json.dumps({"id": "u1", "question": "Draw a circle of radius 2 cm.", "subject": "Math"}) + "\n"
    (problem,) = gen.read_uploaded_problems("mine.jsonl", good.encode())
    assert problem.uid == "custom:u1" and problem.subject.value == "Math"
    with pytest.raises(gen.WorkbenchError, match=r"figure\.png: not a problem file"):
        gen.read_uploaded_problems("figure.png", b"\x89PNG")
    with pytest.raises(gen.WorkbenchError, match=r"mine\.json: is not UTF-8 text"):
        gen.read_uploaded_problems("mine.json", b"\x89PNG\r\n\x1a\n a picture renamed")
    with pytest.raises(gen.WorkbenchError, match=r"mine\.json: invalid JSON"):
        gen.read_uploaded_problems("mine.json", b"question: not json at all")
    with pytest.raises(gen.WorkbenchError, match=r"mine\.jsonl, item 0 \(id 'u2'\).*question"):
        gen.read_uploaded_problems("mine.jsonl", json.dumps({"id": "u2", "subject": "Math"}).encode())
    with pytest.raises(
        gen.WorkbenchError, match=r"item 0 \(id 'u3'\): field 'reference_script' names a file"
    ):
        item = {"id": "u3", "question": "Draw it.", "subject": "Math", "reference_script": "/etc/hostname"}
        gen.read_uploaded_problems("mine.json", json.dumps([item]).encode())
    with pytest.raises(gen.WorkbenchError, match="holds no problems"):
        gen.read_uploaded_problems("empty.json", b"[]")


def test_uploaded_images_are_checked_with_pillow():
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), "white").save(buffer, format="JPEG")
    png = gen.read_uploaded_image("photo.jpg", buffer.getvalue())
    assert png.startswith(b"\x89PNG") and Image.open(io.BytesIO(png)).size == (20, 10)
    with pytest.raises(gen.WorkbenchError, match=r"fake\.png: not an image"):
        gen.read_uploaded_image("fake.png", b'{"question": "not an image"}')
    with pytest.raises(gen.WorkbenchError, match=r"cut\.jpg"):
        gen.read_uploaded_image("cut.jpg", buffer.getvalue()[:60])


def test_a_pasted_problem_is_saved_only_when_asked(fresh_seeded_home):
    problem = gen.pasted_problem(
        "A lens of focal length 10 cm forms an image.", "Physics", "Physics - Optical Ray"
    )
    store = Store.open(Workspace.from_env(fresh_seeded_home))
    assert store.get_problem(problem.uid) is None
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    uid = gen.save_problem(problem, reference_png=buffer.getvalue())
    stored: Problem = store.get_problem(uid)
    assert stored.question == problem.question and stored.source == "custom"
    assert os.path.isfile(stored.reference_image) and stored.reference_image.startswith(
        str(fresh_seeded_home)
    )
    with pytest.raises(gen.WorkbenchError, match="empty"):
        gen.pasted_problem("  ", "Physics", None)
