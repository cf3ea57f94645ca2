"""ImgCoder end to end against a real loopback OpenAI-compatible server and the real sandbox:
rendering, the repair loop, model failures, the question-only rule, and visual self-critique."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Callable

import pytest
from PIL import Image

from core.generation import GeneratorSpec, complete_spec, create_generator
from core.generation.imgcoder import ImgCoder, parse_critique, repair_message
from core.generation.prompts import IMGCODER_PROMPTS, PROMPT_VERSION
from core.models import FailureClass, ModelClient, ModelProfile, ProfileConfig, resolve_model
from core.models.fake_server import FakeOpenAIServer, Fault, ReceivedRequest, ScriptedReply
from core.sandbox import RenderPool
from core.sandbox.models import ErrorClass
from tests.core.generation.generation_testkit import (
    ANSWER,
    BROKEN_SCRIPT,
    ELEMENT,
    GOOD_SCRIPT,
    MULTIMODAL,
    PLAN,
    QUESTION,
    QUIZ_TEXT,
    context,
    make_problem,
    reply,
    run,
)

pytestmark = pytest.mark.usefixtures("model_env")

LOOP_FOREVER = "import matplotlib.pyplot as plt\nwhile True:\n    pass\n"
REVISED_SCRIPT = GOOD_SCRIPT.replace('"m = 2 kg"', '"block m = 2 kg"')


def imgcoder(**params: object) -> ImgCoder:
    params.setdefault("model", "fake")
    params.setdefault("timeout_s", 5.0)
    generator = create_generator(GeneratorSpec.create("imgcoder", **params))
    assert isinstance(generator, ImgCoder)
    return generator


def chat_requests(server: FakeOpenAIServer) -> list[ReceivedRequest]:
    return [request for request in server.requests if request.path == "/v1/chat/completions"]


@pytest.fixture
def setup(
    make_server: Callable[..., FakeOpenAIServer],
    make_client: Callable[..., ModelClient],
    fake_profile: Callable[..., ModelProfile],
) -> Callable[..., tuple[FakeOpenAIServer, ModelClient]]:
    def make(*script: object, profile_fields: dict | None = None, **server_options: object):
        server = make_server(
            script=script, reply=server_options.pop("reply", "no more replies"), **server_options
        )
        client = make_client(fake_profile(server, **(profile_fields or {})))
        return server, client

    return make


def test_good_reply_renders(setup, render_pool: RenderPool) -> None:
    server, client = setup(reply(GOOD_SCRIPT))
    result = run(imgcoder().generate(make_problem(), context(render_pool, client)))
    assert result.ok and result.first_attempt_ok, result.error_message
    assert result.image is not None and Image.open(io.BytesIO(result.image)).format == "PNG"
    assert result.code == GOOD_SCRIPT.strip() and result.plan is not None and result.plan.startswith("Plan")
    assert result.facts is not None and {"m = 2 kg", "30°"} <= {text.text for text in result.facts.texts}
    assert [attempt.status for attempt in result.attempts] == ["ok"]
    attempt = result.attempts[0]
    assert attempt.purpose == "initial" and attempt.raw_reply == reply(GOOD_SCRIPT)
    assert attempt.render_s is not None and attempt.render_s > 0
    assert len(result.ledger) == 1 and result.ledger[0].ok and result.ledger[0].tokens_out
    assert f"prompt {PROMPT_VERSION}" in result.notes
    (request,) = chat_requests(server)
    roles = [message["role"] for message in request.body["messages"]]
    assert roles == ["system", "user"]
    system = request.body["messages"][0]["content"]
    for part in ("Image Content", "Layout", "Labels", "Drawing Considerations", "schemdraw", "rdkit"):
        assert part in system


def test_broken_script_is_repaired_on_attempt_two(setup, render_pool: RenderPool) -> None:
    server, client = setup(reply(BROKEN_SCRIPT), reply(GOOD_SCRIPT))
    result = run(imgcoder().generate(make_problem(), context(render_pool, client)))
    assert result.ok and not result.first_attempt_ok
    first, second = result.attempts
    assert first.status == "failed" and first.error_class == ErrorClass.runtime_error
    assert first.code == BROKEN_SCRIPT.strip() and "NameError" in (first.error_message or "")
    assert first.traceback_tail is not None and 'File "script.py", line 5' in first.traceback_tail
    assert second.purpose == "repair" and second.status == "ok" and second.index == 1
    assert result.code == GOOD_SCRIPT.strip()
    repair_request = chat_requests(server)[1]
    messages = repair_request.body["messages"]
    assert [message["role"] for message in messages] == ["system", "user", "assistant", "user"]
    assert messages[2]["content"] == reply(BROKEN_SCRIPT)
    feedback = messages[3]["content"]
    assert "Error class: runtime_error" in feedback
    assert "NameError: name 'undefined_mass' is not defined" in feedback
    assert 'File "script.py", line 5' in feedback
    assert ">> 5 | weight = undefined_mass * 9.8" in feedback


def test_always_broken_stops_after_max_attempts(setup, render_pool: RenderPool) -> None:
    server, client = setup(reply=reply(BROKEN_SCRIPT))
    result = run(imgcoder(max_attempts=3).generate(make_problem(), context(render_pool, client)))
    assert not result.ok and result.image is None
    assert result.error_class == "runtime_error" and "NameError" in (result.error_message or "")
    assert len(result.attempts) == 3 and len(chat_requests(server)) == 3
    assert [attempt.purpose for attempt in result.attempts] == ["initial", "repair", "repair"]
    for index, attempt in enumerate(result.attempts):
        assert attempt.index == index and attempt.status == "failed"
        assert attempt.raw_reply == reply(BROKEN_SCRIPT) and attempt.code == BROKEN_SCRIPT.strip()
        assert attempt.traceback_tail and len(attempt.ledger) == 1
    assert result.code == BROKEN_SCRIPT.strip()
    assert "no attempt rendered in 3 attempt(s)" in result.notes


def test_max_attempts_one_means_no_repair(setup, render_pool: RenderPool) -> None:
    server, client = setup(reply(BROKEN_SCRIPT), reply(GOOD_SCRIPT))
    result = run(imgcoder(max_attempts=1).generate(make_problem(), context(render_pool, client)))
    assert not result.ok and len(result.attempts) == 1 and len(chat_requests(server)) == 1


def test_no_code_block_is_repaired(setup, render_pool: RenderPool) -> None:
    server, client = setup("I would draw an incline with a block on it.", reply(GOOD_SCRIPT))
    result = run(imgcoder().generate(make_problem(), context(render_pool, client)))
    assert result.ok
    first = result.attempts[0]
    assert first.error_class == "no_code" and first.code is None and first.render_s is None
    feedback = chat_requests(server)[1].body["messages"][-1]["content"]
    assert "Error class: no_code" in feedback and "no Python code block" in feedback


def test_truncated_block_is_classified_and_repaired(setup, render_pool: RenderPool) -> None:
    cut = ScriptedReply(
        content=f"{PLAN}\n```python\nimport matplotlib.pyplot as plt\nfig, ax = plt.sub",
        finish_reason="length",
    )
    server, client = setup(cut, reply(GOOD_SCRIPT))
    result = run(imgcoder().generate(make_problem(), context(render_pool, client)))
    assert result.ok
    first = result.attempts[0]
    assert first.error_class == "truncated" and first.plan is not None
    assert "the reply stopped at the output limit (max_tokens)" in first.parse_notes
    feedback = chat_requests(server)[1].body["messages"][-1]["content"]
    assert "Error class: truncated" in feedback and "cut off at the output limit" in feedback


def test_max_tokens_from_the_spec_truncates(setup, render_pool: RenderPool) -> None:
    server, client = setup(reply=reply(GOOD_SCRIPT))
    result = run(
        imgcoder(max_tokens=20, max_attempts=2).generate(make_problem(), context(render_pool, client))
    )
    assert not result.ok and result.error_class == "truncated"
    assert [attempt.error_class for attempt in result.attempts] == ["truncated", "truncated"]
    assert all(
        request.body.get("max_tokens") == 20 or request.body.get("max_completion_tokens") == 20
        for request in chat_requests(server)
    )


def test_endless_loop_times_out_and_is_repaired(setup, render_pool: RenderPool) -> None:
    server, client = setup(reply(LOOP_FOREVER), reply(GOOD_SCRIPT))
    result = run(imgcoder(timeout_s=1.0).generate(make_problem(), context(render_pool, client)))
    assert result.ok
    assert result.attempts[0].error_class == ErrorClass.timeout
    feedback = chat_requests(server)[1].body["messages"][-1]["content"]
    assert "Error class: timeout" in feedback and "time limit" in feedback


def test_rate_limit_and_server_error_are_retried_by_the_client(setup, render_pool: RenderPool) -> None:
    server, client = setup(Fault.RATE_LIMIT, Fault.SERVER_ERROR, reply(GOOD_SCRIPT))
    result = run(imgcoder().generate(make_problem(), context(render_pool, client)))
    assert result.ok and result.first_attempt_ok and len(result.attempts) == 1
    (entry,) = result.attempts[0].ledger
    assert entry.attempts == 3
    assert entry.retry_classes == [FailureClass.RATE_LIMITED, FailureClass.SERVER_ERROR]
    assert server.faults_served[Fault.RATE_LIMIT] == 1 and server.faults_served[Fault.SERVER_ERROR] == 1


def test_hang_past_timeout_is_a_timeout_failure_without_repair(setup, render_pool: RenderPool) -> None:
    server, client = setup(
        Fault.HANG,
        Fault.HANG,
        reply(GOOD_SCRIPT),
        hang_s=5,
        profile_fields={"timeout_s": 0.3, "max_retries": 1},
    )
    started = time.monotonic()
    result = run(imgcoder().generate(make_problem(), context(render_pool, client)))
    assert time.monotonic() - started < 4
    assert not result.ok and result.error_class == FailureClass.TIMEOUT.value
    (attempt,) = result.attempts
    assert attempt.error_class == "timeout" and attempt.raw_reply is None
    assert attempt.error_message and attempt.error_message.startswith("model call failed")
    assert attempt.ledger[0].failure_class is FailureClass.TIMEOUT and attempt.ledger[0].attempts == 2
    assert any("no repair after a model failure" in note for note in result.notes)


def test_model_failure_during_repair_ends_the_problem(setup, render_pool: RenderPool) -> None:
    server, client = setup(reply(BROKEN_SCRIPT), Fault.AUTH, reply(GOOD_SCRIPT))
    result = run(imgcoder().generate(make_problem(), context(render_pool, client)))
    assert not result.ok and result.error_class == "auth"
    assert [attempt.error_class for attempt in result.attempts] == ["runtime_error", "auth"]
    assert len(chat_requests(server)) == 2


def test_only_the_question_reaches_the_model(setup, render_pool: RenderPool) -> None:
    server, client = setup(
        reply(BROKEN_SCRIPT), reply(GOOD_SCRIPT), "PROBLEMS:\n- label the incline", reply(REVISED_SCRIPT)
    )
    result = run(imgcoder(critique=True).generate(make_problem(), context(render_pool, client)))
    assert result.ok and len(chat_requests(server)) == 4
    everything = json.dumps([request.body for request in server.requests])
    assert QUESTION in chat_requests(server)[0].texts[1]
    for secret in (ANSWER, "secret-answer-4711", ELEMENT, QUIZ_TEXT, MULTIMODAL, "4.9"):
        assert secret not in everything


def test_critique_is_off_by_default(setup, render_pool: RenderPool) -> None:
    server, client = setup(reply(GOOD_SCRIPT), "PROBLEMS: this must never be asked for")
    result = run(imgcoder().generate(make_problem(), context(render_pool, client)))
    assert result.ok and len(chat_requests(server)) == 1
    assert not any(request.images for request in server.requests)


def test_critique_approve_keeps_the_figure(setup, render_pool: RenderPool) -> None:
    server, client = setup(reply(GOOD_SCRIPT), "APPROVE")
    result = run(imgcoder(critique=True).generate(make_problem(), context(render_pool, client)))
    assert result.ok and len(result.attempts) == 1 and result.code == GOOD_SCRIPT.strip()
    critic_request = chat_requests(server)[1]
    assert critic_request.images == [result.image]
    assert QUESTION in critic_request.texts[0]
    assert len(result.attempts[0].ledger) == 2 and "critique: approved" in result.attempts[0].parse_notes
    assert "critique: approved" in result.notes


def test_critique_revision_is_kept_when_it_renders(setup, render_pool: RenderPool) -> None:
    server, client = setup(
        reply(GOOD_SCRIPT), "PROBLEMS:\n- say which body is the block", reply(REVISED_SCRIPT)
    )
    result = run(imgcoder(critique=True).generate(make_problem(), context(render_pool, client)))
    assert result.ok and result.first_attempt_ok
    first, revision = result.attempts
    assert revision.purpose == "revision" and revision.status == "ok" and revision.index == 1
    assert result.code == REVISED_SCRIPT.strip() and "kept the revision" in result.notes
    assert result.facts is not None and "block m = 2 kg" in {text.text for text in result.facts.texts}
    assert len(revision.ledger) == 2  # the critic's call and the revision's
    revision_prompt = chat_requests(server)[2].body["messages"][-1]["content"]
    assert "say which body is the block" in revision_prompt


def test_critique_revision_that_fails_keeps_the_first_figure(setup, render_pool: RenderPool) -> None:
    server, client = setup(reply(GOOD_SCRIPT), "PROBLEMS: the angle label is too small", reply(BROKEN_SCRIPT))
    result = run(imgcoder(critique=True).generate(make_problem(), context(render_pool, client)))
    assert result.ok and result.code == GOOD_SCRIPT.strip()
    assert [attempt.status for attempt in result.attempts] == ["ok", "failed"]
    assert result.attempts[1].error_class == "runtime_error"
    assert any("the revision did not render" in note for note in result.notes)


def test_critique_model_failure_keeps_the_figure(setup, render_pool: RenderPool) -> None:
    server, client = setup(reply(GOOD_SCRIPT), Fault.AUTH)
    result = run(imgcoder(critique=True).generate(make_problem(), context(render_pool, client)))
    assert result.ok and len(result.attempts) == 1
    assert any(note.startswith("critique failed (auth)") for note in result.notes)


def test_mock_response_path_needs_no_server(make_client, render_pool: RenderPool) -> None:
    client = make_client()
    profile = resolve_model("openai/gpt-4o-mini", config=ProfileConfig.empty())
    assert profile.key_status().is_set is False  # no key: the mock path makes no request

    def answer(messages: list[dict]) -> str:
        return reply(BROKEN_SCRIPT) if len(messages) == 2 else reply(GOOD_SCRIPT)

    generator = imgcoder(model="openai/gpt-4o-mini")
    result = run(generator.generate(make_problem(), context(render_pool, client, mock_response=answer)))
    assert result.ok and [attempt.status for attempt in result.attempts] == ["failed", "ok"]
    assert all(entry.model == "openai/gpt-4o-mini" and entry.cost_usd for entry in result.ledger)


def test_no_sandbox_or_no_client_fails_before_any_call(setup) -> None:
    server, client = setup(reply(GOOD_SCRIPT))
    no_pool = run(imgcoder().generate(make_problem(), context(None, client)))
    assert no_pool.error_class == "no_sandbox"
    no_client = run(imgcoder().generate(make_problem(), context(None, None)))
    assert no_client.error_class == "no_model_client"
    assert server.request_count == 0


def test_unknown_profile_is_a_failed_result(setup, render_pool: RenderPool) -> None:
    _, client = setup(reply(GOOD_SCRIPT))
    result = run(imgcoder(model="no-such-profile").generate(make_problem(), context(render_pool, client)))
    assert (
        not result.ok
        and result.error_class == "profile_error"
        and "no-such-profile" in (result.error_message or "")
    )


def test_complete_spec_names_the_model_without_secrets(
    make_server, fake_profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PROVIDER_KEY", "sk-secret-generation-test-0000")
    server = make_server()
    profile = fake_profile(server, api_key_env="FAKE_PROVIDER_KEY")
    config = ProfileConfig(None, {"fake": profile}, {}, {})
    spec = complete_spec(GeneratorSpec.create("imgcoder", model="fake", critique=True), config=config)
    assert spec.param("model_id") == "openai/fake-model"
    assert spec.param("model_fingerprint") == profile.fingerprint() == spec.param("critic_fingerprint")
    assert spec.param("prompt_version") == PROMPT_VERSION and spec.param("max_attempts") == 3
    assert "sk-secret" not in spec.to_json() and "FAKE_PROVIDER_KEY" not in spec.to_json()
    assert GeneratorSpec.from_json(spec.to_json()) == spec
    hash(spec)  # specs stay hashable: parameters are plain values
    assert create_generator(spec).spec == spec


def test_changed_profile_is_noted(make_server, fake_profile, make_client, render_pool: RenderPool) -> None:
    server = make_server(script=[reply(GOOD_SCRIPT)])
    old = fake_profile(server, temperature=0.0)
    spec = ImgCoder.complete_spec(
        GeneratorSpec.create("imgcoder", model="fake"), config=ProfileConfig(None, {"fake": old}, {}, {})
    )
    client = make_client(fake_profile(server, temperature=0.7))
    result = run(create_generator(spec).generate(make_problem(), context(render_pool, client)))
    assert result.ok and any("settings changed since the spec was made" in note for note in result.notes)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "model"),
        ({"model": "fake", "max_attempts": 0}, "max_attempts"),
        ({"model": "fake", "prompt_version": "imgcoder-v0"}, "prompt_version"),
        ({"model": "fake", "temprature": 0.2}, "unknown parameter"),
        ({"model": "fake", "dpi": 0}, "dpi"),
    ],
)
def test_bad_specs_are_refused(params: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        create_generator(GeneratorSpec.create("imgcoder", **params))


def test_repair_message_and_critique_parsing() -> None:
    prompts = IMGCODER_PROMPTS[PROMPT_VERSION]
    long_traceback = "\n".join(f"  frame {number}" for number in range(40)) + "\nValueError: bad"
    text = repair_message(
        prompts,
        "runtime_error",
        "ValueError: bad",
        traceback=long_traceback,
        code="a = 1\nb = 2\nc = 3\n",
        error_line=2,
    )
    assert "frame 39" in text and "frame 5\n" not in text and "ValueError: bad" in text
    assert ">> 2 | b = 2" in text and "   1 | a = 1" in text
    assert parse_critique("APPROVE") == (True, "")
    assert parse_critique("**APPROVE.**") == (True, "")
    approved, problems = parse_critique("PROBLEMS:\n- the 30° label is missing")
    assert not approved and problems == "- the 30° label is missing"
    assert parse_critique("I approve of most of it, but the label is missing.")[0] is False


def test_fault_injection_every_failure_is_classified(
    make_server, make_client, fake_profile, render_pool
) -> None:
    """20 % of calls fail (429, 500, hang, garbage) and the replies mix good code, no code, a
    truncated block and an endless loop: every problem ends ok or failed with a known class."""
    replies = [
        reply(GOOD_SCRIPT),
        "No code today.",
        ScriptedReply(content=f"{PLAN}\n```python\nimport matplotlib", finish_reason="length"),
        reply(LOOP_FOREVER),
    ]
    counter = iter(range(10_000))

    def answer(request: ReceivedRequest) -> ScriptedReply | str:
        return replies[next(counter) % len(replies)]

    server = make_server(reply=answer, fault_rate=0.2, seed=11, hang_s=3)
    client = make_client(fake_profile(server, timeout_s=0.4, max_retries=1), cache=False)
    generator = imgcoder(timeout_s=1.0, max_attempts=2)
    problems = [make_problem(id=f"incline-{number}") for number in range(8)]

    async def all_of_them():
        return await asyncio.gather(*(generator.generate(p, context(render_pool, client)) for p in problems))

    results = run(all_of_them())
    known = {cls.value for cls in ErrorClass} | {cls.value for cls in FailureClass} | {"no_code", "truncated"}
    assert len(results) == len(problems)
    for result in results:
        assert result.ok or result.error_class in known, (result.error_class, result.error_message)
        for attempt in result.attempts:
            assert attempt.status == "ok" or attempt.error_class in known
    assert sum(server.faults_served.values()) > 0
    assert any(result.ok for result in results)
