"""Cluster-wide limits: three engine workers share one profile's requests per minute and one
budget, measured by the loopback server (not by the client)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.engine.driver import run_pipeline
from core.models.fake_server import FakeOpenAIServer
from tests.core.engine.enginekit import write_pipeline, write_problems, write_profiles

pytestmark = pytest.mark.slow

QUIZZES_ONLY = '[quizzes]\nmodel = "fake"\naudit = false\n'
THREE_WORKERS = "workers = 3\ncpus_per_worker = 0.5\n"


def _most_in_any_window(times: list[float], seconds: float) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


def _pipeline(tmp_path: Path, n: int, run_extra: str) -> Path:
    write_problems(tmp_path / "problems.jsonl", n)
    path = write_pipeline(tmp_path / "pipeline.toml", tmp_path / "problems.jsonl", generate="", extra=QUIZZES_ONLY,
                          batch_size=4, concurrency=8)
    path.write_text(path.read_text() + THREE_WORKERS + run_extra)
    return path


def test_three_workers_together_stay_within_the_profiles_requests_per_minute(
    tmp_path: Path, local_ray: None, make_server: Callable[..., FakeOpenAIServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_server(reply="no quizzes here", latency_s=0.02)
    monkeypatch.setenv("SCIGEN_CONFIG", str(write_profiles(tmp_path / "scigen.toml", server, requests_per_minute=600)))
    manifest = run_pipeline(_pipeline(tmp_path, 24, ""), tmp_path / "dataset")
    assert manifest.counts.items == 24 and manifest.counts.quizzed == 24 and manifest.workers == 3
    workers = {path.name for path in (tmp_path / "dataset" / "shards").glob("part-*.parquet")}
    assert len(workers) == 6
    assert server.request_count >= 48  # quiz writing asks at least twice: the reply holds no quizzes
    # 600 per minute is 10 per second for the whole cluster, where each worker alone would start 8
    # at once. Over 3 s windows: at most 30, and one more at each edge for a start that a busy
    # worker sent a little late (the limiter grants starts; the request leaves the worker after).
    assert _most_in_any_window(server.request_times, 3.0) <= 32
    times = sorted(server.request_times)
    assert times[-1] - times[0] >= (server.request_count - 1) * 0.1 * 0.9


def test_max_cost_holds_for_the_whole_cluster(
    tmp_path: Path, local_ray: None, make_server: Callable[..., FakeOpenAIServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_server(reply="no quizzes here", latency_s=0.02)
    monkeypatch.setenv("SCIGEN_CONFIG", str(write_profiles(tmp_path / "scigen.toml", server)))
    # Each call reserves its worst case first (~100 prompt tokens + 400 out at $1/$2 per Mtok, under
    # $0.001), so three workers together never start calls that could pass $0.01.
    manifest = run_pipeline(_pipeline(tmp_path, 24, "max_cost = 0.01\n"), tmp_path / "dataset")
    assert manifest.counts.items == 24
    assert 0 < manifest.counts.cost_usd <= 0.01
    unlimited_calls = 4 * 24  # what the same pipeline asks without a budget (two tries, each retried once)
    assert server.request_count < unlimited_calls


def test_the_limiter_spaces_tokens_pauses_everyone_after_a_429_and_reclaims_a_dead_workers_lease(
    local_ray: None,
) -> None:
    import time

    import ray

    from core.engine.limits import limiter_actor

    actor = limiter_actor("limits-unit")
    key = ("fake", "openai/fake-model", None, 1, None, 60_000.0)
    try:
        # 60,000 tokens per minute: a call of 100 tokens holds the next start back 0.1 s.
        started = time.monotonic()
        first = ray.get(actor.acquire.remote(key, 4, None, 60_000.0, 100))
        ray.get(actor.acquire.remote(key, 4, None, 60_000.0, 100))
        assert time.monotonic() - started >= 0.09
        ray.get([actor.release.remote(key, first)])
        # A 429 seen by anyone: nobody starts for the pause.
        actor.backoff.remote(key, 0.5)
        started = time.monotonic()
        ray.get(actor.acquire.remote(key, 4, None, 60_000.0, 0))
        assert time.monotonic() - started >= 0.45
        # Concurrency 1 and a lease nobody releases (its worker died): it expires, the next call goes.
        lone = ("lone",)
        ray.get(actor.acquire.remote(lone, 1, None, None, 0, 0.3))
        started = time.monotonic()
        ray.get(actor.acquire.remote(lone, 1, None, None, 0, 0.3))
        assert 0.2 <= time.monotonic() - started < 3.0
        assert ray.get(actor.state.remote())["backoffs"] == 1
    finally:
        ray.kill(actor)
