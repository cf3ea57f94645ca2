"""Generation records in the store: migration 002, figures and attempts, the model-call ledger,
progress rows, pass@1 / pass@k counts and the runs overview."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.store import AttemptRow, GenerationRow, ModelCallRow, Run, Store
from core.store.connection import attached


def _run(store: Store, name: str = "g1", **fields) -> str:
    run = Run(run_id=f"gen-{name}", name=name, kind="generation", generator_kind="code", model="openai/m",
              spec_name="imgcoder", spec_params={"model": "m"}, selection={"subject": "Physics", "limit": 3},
              **fields)
    return store.create_run_if_absent(run).run_id


def _figure(uid: str, status: str = "ok", attempts: int = 1, first_ok: bool | None = None, **fields) -> GenerationRow:
    return GenerationRow(
        problem_uid=uid, status=status, attempts=attempts, first_attempt_ok=first_ok,
        image_path=f"images/g1/{uid}.png" if status == "ok" else None,
        error_class=None if status == "ok" else "runtime_error", **fields,
    )


def _attempt(uid: str, number: int, status: str) -> AttemptRow:
    return AttemptRow(problem_uid=uid, attempt=number, status=status, code=f"# attempt {number}",
                      error_class=None if status == "ok" else "syntax_error",
                      purpose="initial" if number == 1 else "repair", parse_notes=["one fenced block"])


def _call(call_id: str, uid: str | None = "scigen:1", *, cost: float | None = 0.01, ok: bool = True,
          cached: bool = False, failure: str | None = None) -> ModelCallRow:
    return ModelCallRow(
        call_id=call_id, problem_uid=uid, attempt=1, kind="chat", profile="fake", model="openai/m",
        fingerprint="abc", started_at=datetime.now(UTC) - timedelta(seconds=1), latency_s=0.5,
        http_attempts=0 if cached else 1, tokens_in=100, tokens_out=20, cost_usd=cost, cached=cached, ok=ok,
        failure_class=failure, retry_classes=["rate_limited"] if failure else [],
    )


def test_migration_002_adds_ledger_progress_and_figure_columns(store):
    with attached(store.path, read_only=True) as cursor:
        columns = {
            (table, column)
            for table, column in cursor.execute(
                "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = current_database()"
            ).fetchall()
        }
    for expected in [("runs", "selection_json"), ("generations", "facts_json"), ("generations", "first_attempt_ok"),
                     ("generation_attempts", "parse_notes"), ("model_calls", "failure_class"),
                     ("run_progress", "state"), ("run_progress", "updated_at")]:
        assert expected in columns
    assert store.applied_migrations()["name"].iloc[1] == "generation_jobs"


def test_runs_keep_their_selection_and_are_created_once(store):
    run_id = _run(store)
    again = store.create_run_if_absent(Run(run_id="gen-other", name="g1", kind="generation", spec_name="reference"))
    assert again.run_id == run_id and again.spec_name == "imgcoder"  # the existing run, untouched
    assert store.get_run(run_id).selection == {"limit": 3, "subject": "Physics"}
    assert store.find_run("generation", "g1").run_id == run_id
    assert store.find_run("evaluation", "g1") is None
    assert "selection_json" in store.list_runs().columns


def test_saving_figures_twice_keeps_one_copy_and_replaces_attempts(store):
    run_id = _run(store)
    store.save_generations(
        run_id, [_figure("scigen:1", attempts=2)],
        [_attempt("scigen:1", 1, "failed"), _attempt("scigen:1", 2, "ok")],
        [_call("c1"), _call("c2")],
    )
    store.save_generations(
        run_id, [_figure("scigen:1", attempts=2)],
        [_attempt("scigen:1", 1, "failed"), _attempt("scigen:1", 2, "ok")],
        [_call("c1"), _call("c2")],
    )
    assert len(store.generations(run_id)) == 1
    assert list(store.generation_attempts(run_id)["attempt"]) == [1, 2]
    assert list(store.generation_attempts(run_id)["parse_notes"].iloc[0]) == ["one fenced block"]
    assert len(store.model_calls(run_id)) == 2

    # Redone with one attempt: its old attempts go, the calls made before stay in the ledger.
    store.save_generations(run_id, [_figure("scigen:1", attempts=1)], [_attempt("scigen:1", 1, "ok")], [_call("c3")])
    assert list(store.generation_attempts(run_id)["attempt"]) == [1]
    assert sorted(store.model_calls(run_id)["call_id"]) == ["c1", "c2", "c3"]
    assert store.run_spent_usd(run_id) == pytest.approx(0.03)


def test_bad_batches_are_refused_whole(store):
    run_id = _run(store)
    with pytest.raises(ValueError, match="attempts given for problems without a figure record"):
        store.save_generations(run_id, [_figure("scigen:1")], [_attempt("scigen:2", 1, "ok")], [_call("c1")])
    with pytest.raises(ValueError, match="no run 'gen-nope'"):
        store.save_generations("gen-nope", [_figure("scigen:1")])
    with pytest.raises(ValueError, match="appears twice"):
        store.save_generations(run_id, [_figure("scigen:1"), _figure("scigen:1")])
    assert store.generations(run_id).empty and store.model_calls(run_id).empty


def test_progress_rows_follow_the_stored_figures(store):
    run_id = _run(store)
    assert store.run_progress(run_id) is None
    started = store.start_run_progress(run_id, total=3, pid=123, host="box", message="3 to do")
    assert (started.state, started.total, started.done, started.pid) == ("running", 3, 0, 123)

    store.save_generations(run_id, [_figure("scigen:1"), _figure("scigen:2", "failed")], calls=[_call("c1", cost=0.5)])
    progress = store.run_progress(run_id)
    assert (progress.done, progress.ok, progress.failed, progress.cost_usd) == (2, 1, 1, 0.5)
    assert progress.updated_at >= started.updated_at and progress.fraction == pytest.approx(2 / 3)

    ended = store.end_run_progress(run_id, state="cancelled", stop_reason="budget", message="stopped on budget")
    assert (ended.state, ended.stop_reason, ended.finished_at is not None) == ("cancelled", "budget", True)
    with pytest.raises(ValueError, match="unknown progress state"):
        store.end_run_progress(run_id, state="paused")  # type: ignore[arg-type]

    restarted = store.start_run_progress(run_id, total=3)
    assert (restarted.state, restarted.stop_reason, restarted.finished_at, restarted.done) == ("running", None, None, 2)


def test_pass_counts_overall_and_by_subject_and_type(store, make_problem):
    store.upsert_problems([
        make_problem("1", subject="Physics", image_type="Physics - Circuit"),
        make_problem("2", subject="Physics", image_type="Physics - Mechanical"),
        make_problem("3", subject="Math", image_type="Math - Plane Geometric"),
    ])
    run_id = _run(store)
    store.save_generations(
        run_id,
        [_figure("scigen:1", first_ok=True),
         _figure("scigen:2", attempts=2),  # first_attempt_ok unset: read from attempt 1
         _figure("scigen:3", "failed", attempts=2, first_ok=False)],
        [_attempt("scigen:2", 1, "failed"), _attempt("scigen:2", 2, "ok")],
    )
    counts = store.pass_counts(run_id)
    rows = {(r.scope, r.scope_value): (r.n, r.first_ok, r.ok) for r in counts.itertuples(index=False)}
    assert rows[("overall", "")] == (3, 1, 2)
    assert rows[("subject", "Physics")] == (2, 1, 2)
    assert rows[("subject", "Math")] == (1, 0, 0)
    assert rows[("image_type", "Physics - Mechanical")] == (1, 0, 1)
    assert list(counts["scope"]) == ["overall", "subject", "subject", "image_type", "image_type", "image_type"]


def test_ledger_totals_failures_and_runs_overview(store):
    run_id = _run(store)
    store.start_run_progress(run_id, total=4)
    store.save_generations(
        run_id,
        [_figure("scigen:1"), _figure("scigen:2", "failed")],
        calls=[_call("c1", cost=0.25), _call("c2", cost=None), _call("c3", cost=0.0, cached=True),
               _call("c4", cost=0.0, ok=False, failure="timeout")],
    )
    totals = store.ledger_totals(run_id)
    assert (totals["calls"], totals["ok"], totals["failed"], totals["cached"]) == (4, 3, 1, 1)
    assert totals["cost_usd"] == pytest.approx(0.25) and totals["unknown_cost_calls"] == 1
    assert totals["failures"] == {"timeout": 1} and totals["tokens_in"] == 300  # the cached call is not paid
    assert store.generation_failures(run_id) == {"runtime_error": 1}

    store.upsert_run(Run(run_id="rep-1", name="paper", kind="reported"))  # no figures: empty numbers
    overview = store.runs_overview().set_index("name")
    assert overview.loc["g1", "state"] == "running"
    assert (overview.loc["g1", "total"], overview.loc["g1", "done"], overview.loc["g1", "ok"]) == (4, 2, 1)
    assert overview.loc["g1", "pass_at_k"] == pytest.approx(50.0)
    assert overview.loc["g1", "cost_usd"] == pytest.approx(0.25) and overview.loc["g1", "cached_calls"] == 1
    assert overview.loc["paper"].isna()[["done", "pass_at_1", "cost_usd", "state"]].all()
    assert list(store.runs_overview("reported")["name"]) == ["paper"]


def test_delete_run_removes_ledger_and_progress(store):
    run_id = _run(store)
    store.start_run_progress(run_id, total=1)
    store.save_generations(run_id, [_figure("scigen:1")], calls=[_call("c1")])
    assert store.delete_run(run_id)
    assert store.model_calls(run_id).empty and store.run_progress(run_id) is None and store.generations(run_id).empty


def test_run_overlaps_count_the_problems_each_pair_drew(store):
    a, b, c = _run(store, "a"), _run(store, "b"), _run(store, "c")
    store.save_generations(a, [_figure("scigen:1"), _figure("scigen:2"), _figure("scigen:3")], [], [])
    store.save_generations(b, [_figure("scigen:2"), _figure("scigen:3", status="failed")], [], [])
    store.save_generations(c, [_figure("scigen:9")], [], [])
    # a failed figure is still a figure of that problem; c shares nothing and forms no pair
    assert store.generation_run_overlaps() == [(a, b, 2)]
