"""The client against a real loopback HTTP server: image parts, image generation, retries,
timeouts, fail-fast, cache, concurrency and rate limits, ledger, budget."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable

import pytest
from PIL import Image

from core.models import (
    BudgetGuard,
    FailureClass,
    LedgerEntry,
    ModelCallError,
    ModelClient,
    image_message,
    summarize,
    system_message,
    text_message,
)
from core.models._litellm import litellm_module
from core.models.client import RetryPolicy
from core.models.fake_server import FakeOpenAIServer, Fault, ReceivedRequest, ScriptedReply, solid_png
from core.models.testing import FAST_RETRY, closed_port, profile_for


def run(coroutine):
    return asyncio.run(coroutine)


def test_chat_with_an_image_part_reaches_the_server_intact(
    make_server: Callable[..., FakeOpenAIServer], client: ModelClient
) -> None:
    def answer(request: ReceivedRequest) -> str:
        return f"saw {len(request.images)} image(s) and: {request.texts[-1]}"

    server = make_server(reply=answer)
    png = solid_png(20, 10)
    messages = [system_message("You answer quizzes."), image_message("Which option, A or B?", png)]
    result = run(client.chat(profile_for(server), messages))
    assert result.text == "saw 1 image(s) and: Which option, A or B?"
    assert result.finish_reason == "stop" and not result.cached
    received = server.requests[-1]
    assert received.images == [png]
    assert received.model == "fake-model"
    assert result.ledger.ok and result.ledger.attempts == 1 and result.ledger.kind == "chat"


def test_image_generation_returns_png_bytes(server: FakeOpenAIServer, client: ModelClient) -> None:
    result = run(
        client.image(profile_for(server, model="openai/fake-image"), "a pulley with two masses", size="48x32")
    )
    assert Image.open(io.BytesIO(result.image)).size == (48, 32)
    assert server.requests[-1].prompt == "a pulley with two masses"
    assert server.requests[-1].path == "/v1/images/generations"
    assert result.ledger.kind == "image" and result.ledger.images_out == 1
    assert result.ledger.cost_usd is None  # an unpriced model costs "unknown", not 0
    again = run(
        client.image(profile_for(server, model="openai/fake-image"), "a pulley with two masses", size="48x32")
    )
    assert again.cached and again.images == result.images and server.request_count == 1


def test_sync_wrappers_work_even_inside_a_running_loop(server: FakeOpenAIServer, client: ModelClient) -> None:
    profile = profile_for(server)
    assert client.chat_sync(profile, [text_message("one")]).text == "pong"

    async def inside_a_loop() -> str:
        return client.chat_sync(profile, [text_message("two")]).text

    assert run(inside_a_loop()) == "pong"
    assert client.image_sync(profile, "x", size="8x8").images


def test_retries_on_429_and_500_then_succeeds(
    make_server: Callable[..., FakeOpenAIServer], client: ModelClient
) -> None:
    server = make_server(script=[Fault.RATE_LIMIT, Fault.SERVER_ERROR, Fault.UNAVAILABLE], reply="finally")
    result = run(client.chat(profile_for(server, max_retries=3), [text_message("q")]))
    assert result.text == "finally"
    assert server.request_count == 4
    assert result.ledger.attempts == 4
    assert result.ledger.retry_classes == [
        FailureClass.RATE_LIMITED,
        FailureClass.SERVER_ERROR,
        FailureClass.SERVER_ERROR,
    ]


def test_garbage_and_empty_choices_are_invalid_responses_and_retried(
    make_server: Callable[..., FakeOpenAIServer], client: ModelClient
) -> None:
    server = make_server(script=[Fault.GARBAGE, Fault.EMPTY_CHOICES], reply="fine")
    result = run(client.chat(profile_for(server), [text_message("q")]))
    assert result.text == "fine"
    assert result.ledger.retry_classes == [FailureClass.INVALID_RESPONSE, FailureClass.INVALID_RESPONSE]


def test_bounded_retries_give_up_with_the_right_class(
    make_server: Callable[..., FakeOpenAIServer], client: ModelClient, ledger: list[LedgerEntry]
) -> None:
    server = make_server(script=[Fault.SERVER_ERROR] * 10)
    with pytest.raises(ModelCallError) as caught:
        run(client.chat(profile_for(server, max_retries=2), [text_message("q")]))
    error = caught.value
    assert error.failure_class is FailureClass.SERVER_ERROR
    assert error.attempts == 3 and server.request_count == 3
    assert "gave up after 3 attempts" in error.message
    assert error.ledger is not None and error.ledger.failure_class is FailureClass.SERVER_ERROR
    assert ledger[-1] == error.ledger and not ledger[-1].ok and ledger[-1].cost_usd == 0.0


def test_timeout_is_classified_and_bounded(
    make_server: Callable[..., FakeOpenAIServer], client: ModelClient
) -> None:
    server = make_server(script=[Fault.HANG, Fault.HANG])
    started = time.monotonic()
    with pytest.raises(ModelCallError) as caught:
        run(client.chat(profile_for(server, timeout_s=0.4, max_retries=1), [text_message("q")]))
    elapsed = time.monotonic() - started
    assert caught.value.failure_class is FailureClass.TIMEOUT
    assert caught.value.attempts == 2 and server.request_count == 2
    assert 0.8 <= elapsed < 3.0, elapsed  # two attempts of 0.4 s, not the 10 s hang


def test_timeout_then_success(make_server: Callable[..., FakeOpenAIServer], client: ModelClient) -> None:
    server = make_server(script=[Fault.HANG], reply="late but fine")
    result = run(client.chat(profile_for(server, timeout_s=0.4), [text_message("q")]))
    assert result.text == "late but fine" and result.ledger.retry_classes == [FailureClass.TIMEOUT]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault.AUTH, FailureClass.AUTH),
        (Fault.BAD_REQUEST, FailureClass.BAD_REQUEST),
        (Fault.UNKNOWN_MODEL, FailureClass.UNKNOWN_MODEL),
        (Fault.CONTENT_FILTER, FailureClass.CONTENT_FILTER),
    ],
)
def test_non_retryable_failures_fail_fast(
    make_server: Callable[..., FakeOpenAIServer], client: ModelClient, fault: Fault, expected: FailureClass
) -> None:
    server = make_server(script=[fault, fault, fault])
    with pytest.raises(ModelCallError) as caught:
        run(client.chat(profile_for(server, max_retries=3), [text_message("q")]))
    assert caught.value.failure_class is expected
    assert caught.value.attempts == 1 and server.request_count == 1


def test_unknown_model_on_a_strict_server(
    make_server: Callable[..., FakeOpenAIServer], client: ModelClient
) -> None:
    server = make_server(models=["served-model"])
    with pytest.raises(ModelCallError) as caught:
        run(client.chat(profile_for(server, model="openai/not-served"), [text_message("q")]))
    assert caught.value.failure_class is FailureClass.UNKNOWN_MODEL
    assert "not-served" in caught.value.message


def test_server_down_is_a_connection_failure(client: ModelClient) -> None:
    from core.models import ModelProfile

    profile = ModelProfile(
        name="down",
        model="openai/x",
        api_base=f"http://127.0.0.1:{closed_port()}/v1",
        timeout_s=2,
        max_retries=1,
    )
    with pytest.raises(ModelCallError) as caught:
        run(client.chat(profile, [text_message("q")]))
    assert caught.value.failure_class is FailureClass.CONNECTION and caught.value.attempts == 2
    assert "ConnectionRefusedError" in caught.value.message


def test_content_filter_finish_reason_is_a_failure(
    make_server: Callable[..., FakeOpenAIServer], client: ModelClient
) -> None:
    server = make_server(script=[ScriptedReply("", finish_reason="content_filter")])
    with pytest.raises(ModelCallError) as caught:
        run(client.chat(profile_for(server), [text_message("q")]))
    assert caught.value.failure_class is FailureClass.CONTENT_FILTER and server.request_count == 1


def test_truncated_answer_is_returned_with_finish_reason_length(
    server: FakeOpenAIServer, client: ModelClient
) -> None:
    server.reply = "one two three four five six"
    result = run(client.chat(profile_for(server), [text_message("q")], max_tokens=3))
    assert result.text == "one two three" and result.truncated


def test_cache_hit_makes_no_request_and_no_cache_forces_one(
    server: FakeOpenAIServer, client: ModelClient, ledger: list[LedgerEntry]
) -> None:
    profile = profile_for(server, model="openai/gpt-4o-mini")
    messages = [image_message("same question", solid_png(6, 6))]
    first = run(client.chat(profile, messages))
    second = run(client.chat(profile, messages))
    assert server.request_count == 1
    assert second.cached and second.text == first.text
    assert second.ledger.cost_usd == 0.0 and second.ledger.attempts == 0
    assert second.ledger.tokens_in == first.ledger.tokens_in  # what the answer took, for the record
    assert first.ledger.cost_usd is not None and first.ledger.cost_usd > 0
    forced = run(client.chat(profile, messages, use_cache=False))
    assert server.request_count == 2 and not forced.cached
    run(client.chat(profile, [image_message("same question", solid_png(7, 6))]))  # other image bytes
    run(client.chat(profile, messages, temperature=0.9))  # other parameters
    run(client.chat(profile, messages, sample=1))  # another sample of the same prompt
    run(client.chat(profile.with_overrides(model="openai/gpt-4o"), messages))  # another model
    assert server.request_count == 6
    # The same request through a new client (a new process, say) still hits the cache.
    with ModelClient(cache=client.cache, retry=FAST_RETRY) as fresh:
        assert run(fresh.chat(profile.with_overrides(name="renamed", concurrency=9), messages)).cached
    assert server.request_count == 6
    totals = summarize(ledger)
    assert totals.cached == 1 and totals.calls == 7


def test_no_cache_client_never_reads_or_writes(server: FakeOpenAIServer) -> None:
    with ModelClient(cache=False, retry=FAST_RETRY) as uncached:
        for _ in range(2):
            assert not run(uncached.chat(profile_for(server), [text_message("q")])).cached
    assert server.request_count == 2


def test_failures_are_not_cached(make_server: Callable[..., FakeOpenAIServer], client: ModelClient) -> None:
    server = make_server(script=[Fault.AUTH], reply="ok now")
    with pytest.raises(ModelCallError):
        run(client.chat(profile_for(server), [text_message("q")]))
    assert run(client.chat(profile_for(server), [text_message("q")])).text == "ok now"


def test_concurrency_limit_is_respected(
    make_server: Callable[..., FakeOpenAIServer], client: ModelClient
) -> None:
    server = make_server(latency_s=0.15)
    profile = profile_for(server, concurrency=3)

    async def many() -> list[str]:
        results = await asyncio.gather(*(client.chat(profile, [text_message(f"q{i}")]) for i in range(9)))
        return [result.text for result in results]

    started = time.monotonic()
    assert run(many()) == ["pong"] * 9
    elapsed = time.monotonic() - started
    assert server.max_in_flight == 3
    assert elapsed >= 0.45  # three waves of 0.15 s


def test_requests_per_minute_spaces_the_starts(
    make_server: Callable[..., FakeOpenAIServer], client: ModelClient
) -> None:
    server = make_server()
    profile = profile_for(server, concurrency=8, requests_per_minute=600)  # one start per 0.1 s
    client.warm_up(profile)  # else loading LiteLLM's provider path holds the first call and the starts bunch

    async def burst() -> None:
        await asyncio.gather(*(client.chat(profile, [text_message(f"q{i}")]) for i in range(6)))

    run(burst())
    times = sorted(server.request_times)
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert len(times) == 6
    assert min(gaps) >= 0.08, gaps  # ~0.1 s apart, with a little scheduling slack
    assert times[-1] - times[0] >= 0.45


def test_tokens_per_minute_spaces_the_starts_by_each_calls_tokens(
    make_server: Callable[..., FakeOpenAIServer], client: ModelClient
) -> None:
    server = make_server()
    # A call asks ~9 prompt + 100 max tokens, of 65,400 per minute: one start per ~0.1 s.
    profile = profile_for(server, concurrency=8, tokens_per_minute=65_400, max_tokens=100)
    client.warm_up(profile)  # else LiteLLM's import holds the first call and the spaced starts leave together

    async def burst() -> None:
        await asyncio.gather(*(client.chat(profile, [text_message(f"q{i}")]) for i in range(5)))

    run(burst())
    times = sorted(server.request_times)
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert len(times) == 5
    assert min(gaps) >= 0.08, gaps


def test_a_429_backs_every_later_call_of_the_profile_off(
    make_server: Callable[..., FakeOpenAIServer], client: ModelClient
) -> None:
    server = make_server(script=[Fault.RATE_LIMIT])
    profile = profile_for(server, concurrency=2)  # no rate limit: the pause alone holds it back
    slow_backoff = ModelClient(cache=False, retry=RetryPolicy(base_delay_s=0.3, max_delay_s=0.3, jitter=0.0))

    async def two() -> None:
        first = asyncio.create_task(slow_backoff.chat(profile, [text_message("first")]))
        await asyncio.sleep(0.1)  # the first call got its 429 and is backing off
        await client.chat(profile, [text_message("second")])  # another client, same profile
        await first

    run(two())
    times = sorted(server.request_times)
    assert len(times) == 3
    assert times[1] - times[0] >= 0.25, times  # the second caller waited out the first one's backoff


def test_twenty_percent_random_faults_complete_and_every_failure_is_classified(
    make_server: Callable[..., FakeOpenAIServer], client: ModelClient, ledger: list[LedgerEntry]
) -> None:
    server = make_server(fault_rate=0.2, seed=11)
    profile = profile_for(server, timeout_s=1.5, max_retries=0, concurrency=16)

    async def job() -> list[object]:
        calls = [client.chat(profile, [text_message(f"item {i}")]) for i in range(40)]
        return await asyncio.gather(*calls, return_exceptions=True)

    outcomes = run(job())
    failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(outcomes) == 40 and 0 < len(failures) < 40
    assert all(isinstance(failure, ModelCallError) for failure in failures)
    expected = {
        FailureClass.RATE_LIMITED,
        FailureClass.SERVER_ERROR,
        FailureClass.TIMEOUT,
        FailureClass.INVALID_RESPONSE,
    }
    assert {failure.failure_class for failure in failures} <= expected
    assert sum(server.faults_served.values()) == len(failures)
    assert len(ledger) == 40 and summarize(ledger).failed == len(failures)


def test_ledger_tokens_cost_and_latency(
    make_server: Callable[..., FakeOpenAIServer], client: ModelClient
) -> None:
    server = make_server(
        script=[ScriptedReply("answer", prompt_tokens=1000, completion_tokens=500)], latency_s=0.1
    )
    result = run(client.chat(profile_for(server, model="openai/gpt-4o-mini"), [text_message("q")]))
    info = litellm_module().get_model_info("openai/gpt-4o-mini")
    expected = 1000 * info["input_cost_per_token"] + 500 * info["output_cost_per_token"]
    entry = result.ledger
    assert (entry.tokens_in, entry.tokens_out) == (1000, 500)
    assert entry.cost_usd == pytest.approx(expected, rel=1e-9)
    assert (
        entry.latency_s >= 0.1
        and entry.fingerprint == profile_for(server, model="openai/gpt-4o-mini").fingerprint()
    )
    assert entry.started_at.tzinfo is not None and not entry.cached
    # A model outside LiteLLM's price map: tokens known, cost unknown (None, not 0).
    unpriced = run(client.chat(profile_for(server), [text_message("q")]))
    assert unpriced.ledger.tokens_in is not None and unpriced.ledger.cost_usd is None
    # The profile's own prices win.
    priced = profile_for(server, input_cost_per_mtok=2.0, output_cost_per_mtok=8.0)
    server.push_script(ScriptedReply("x", prompt_tokens=250_000, completion_tokens=125_000))
    assert run(client.chat(priced, [text_message("q2")])).ledger.cost_usd == pytest.approx(0.5 + 1.0)
    # The entry survives a JSON round trip (jobs store it).
    assert LedgerEntry.model_validate_json(entry.model_dump_json()) == entry


def test_budget_guard_refuses_to_start_a_call_that_could_exceed(
    server: FakeOpenAIServer, cache_dir, ledger: list[LedgerEntry]
) -> None:
    profile = profile_for(server, model="openai/gpt-4o-mini", max_tokens=2000)
    info = litellm_module().get_model_info("openai/gpt-4o-mini")
    one_call_worst = 2000 * info["output_cost_per_token"]  # the output part alone
    guard = BudgetGuard(max_cost_usd=one_call_worst * 0.5)
    with ModelClient(cache=False, budget=guard, retry=FAST_RETRY, on_ledger=ledger.append) as guarded:
        with pytest.raises(ModelCallError) as caught:
            run(guarded.chat(profile, [text_message("q")]))
    assert caught.value.failure_class is FailureClass.BUDGET_EXCEEDED
    assert "budget exceeded" in caught.value.message and "up to $" in caught.value.message
    assert server.request_count == 0 and guard.refused_calls == 1
    assert ledger[-1].failure_class is FailureClass.BUDGET_EXCEEDED and ledger[-1].attempts == 0


def test_budget_guard_counts_in_flight_reservations(make_server: Callable[..., FakeOpenAIServer]) -> None:
    server = make_server(latency_s=0.1)
    profile = profile_for(server, model="openai/gpt-4o-mini", max_tokens=1000, concurrency=8)
    probe = BudgetGuard(max_cost_usd=1.0)
    with ModelClient(cache=False, budget=probe, retry=FAST_RETRY) as client:
        estimate, _ = client._estimate_chat(profile, [text_message("q0")], 1000)
    assert estimate is not None
    guard = BudgetGuard(max_cost_usd=estimate * 2.5)  # room for two worst cases, not three

    async def burst() -> list[object]:
        with ModelClient(cache=False, budget=guard, retry=FAST_RETRY) as client:
            calls = [client.chat(profile, [text_message(f"q{i}")]) for i in range(5)]
            return await asyncio.gather(*calls, return_exceptions=True)

    outcomes = run(burst())
    refused = [o for o in outcomes if isinstance(o, ModelCallError)]
    assert len(refused) == 3 and all(o.failure_class is FailureClass.BUDGET_EXCEEDED for o in refused)
    assert server.request_count == 2
    paid = [o.ledger.cost_usd for o in outcomes if not isinstance(o, BaseException)]
    assert guard.spent_usd == pytest.approx(sum(paid)) and guard.reserved_usd == pytest.approx(0.0)
    assert guard.spent_usd <= guard.max_cost_usd


def test_budget_guard_allows_unpriced_calls_while_money_is_left(server: FakeOpenAIServer) -> None:
    guard = BudgetGuard(max_cost_usd=0.01)
    with ModelClient(cache=False, budget=guard, retry=FAST_RETRY) as client:
        assert run(client.chat(profile_for(server), [text_message("q")])).ledger.cost_usd is None
    assert guard.unknown_cost_calls == 1 and guard.spent_usd == 0.0
    exhausted = BudgetGuard(max_cost_usd=1.0, spent_usd=1.0)  # a resumed run that already spent it all
    with ModelClient(cache=False, budget=exhausted, retry=FAST_RETRY) as client:
        with pytest.raises(ModelCallError, match="budget exceeded"):
            run(client.chat(profile_for(server), [text_message("q")]))


def test_missing_key_fails_before_any_request(server: FakeOpenAIServer, client: ModelClient) -> None:
    profile = profile_for(server, api_key_env="SCIGEN_TEST_UNSET_KEY")
    with pytest.raises(ModelCallError) as caught:
        run(client.chat(profile, [text_message("q")]))
    assert caught.value.failure_class is FailureClass.MISSING_KEY
    assert "$SCIGEN_TEST_UNSET_KEY" in caught.value.message and server.request_count == 0


def test_the_key_from_the_named_variable_is_sent(
    make_server: Callable[..., FakeOpenAIServer], client: ModelClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_server(api_key="right-key-123")
    monkeypatch.setenv("FAKE_SERVER_KEY", "right-key-123")
    assert (
        run(client.chat(profile_for(server, api_key_env="FAKE_SERVER_KEY"), [text_message("q")])).text
        == "pong"
    )
    monkeypatch.setenv("FAKE_SERVER_KEY", "wrong-key-456")
    with pytest.raises(ModelCallError) as caught:
        run(client.chat(profile_for(server, api_key_env="FAKE_SERVER_KEY"), [text_message("q2")]))
    assert caught.value.failure_class is FailureClass.AUTH


def test_cancelled_call_releases_its_budget_reservation(make_server: Callable[..., FakeOpenAIServer]) -> None:
    server = make_server(latency_s=2.0)
    guard = BudgetGuard(max_cost_usd=1.0)
    profile = profile_for(server, model="openai/gpt-4o-mini", max_tokens=100)

    async def cancel_midway() -> float:
        with ModelClient(cache=False, budget=guard, retry=FAST_RETRY) as client:
            task = asyncio.create_task(client.chat(profile, [text_message("slow")]))
            await asyncio.sleep(0.2)
            reserved_while_running = guard.reserved_usd
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return reserved_while_running

    assert run(cancel_midway()) > 0
    assert guard.reserved_usd == 0.0 and guard.spent_usd == 0.0


def test_bad_messages_and_secret_arguments_are_refused_before_any_request(
    server: FakeOpenAIServer, client: ModelClient
) -> None:
    with pytest.raises(ModelCallError) as caught:
        run(client.chat(profile_for(server), [{"role": "robot", "content": "x"}]))
    assert (
        caught.value.failure_class is FailureClass.BAD_REQUEST and "messages[0].role" in caught.value.message
    )
    with pytest.raises(ValueError, match="api_key_env"):
        run(client.chat(profile_for(server), [text_message("q")], extra={"api_key": "sk-nope"}))
    assert server.request_count == 0


def test_warm_up_loads_the_provider_path_without_a_request_reaching_anyone(
    make_server: Callable[..., FakeOpenAIServer], client: ModelClient, ledger: list[LedgerEntry]
) -> None:
    server = make_server()
    profile = profile_for(server)
    client.warm_up(profile)
    assert server.request_count == 0 and ledger == []
    started = time.monotonic()
    assert run(client.chat(profile, [text_message("after warm-up")])).text
    assert time.monotonic() - started < 1.0  # no provider module left to load on the first call
