"""The loopback OpenAI-compatible server itself, spoken to with plain HTTP (no LiteLLM)."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from PIL import Image

from core.models.fake_server import ErrorReply, FakeOpenAIServer, Fault, ScriptedReply, solid_png
from core.models.messages import image_message


def post(
    server: FakeOpenAIServer, path: str, body: dict[str, Any] | bytes, timeout: float = 5
) -> tuple[int, bytes]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        server.url + path, data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def chat_body(text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": text}], **extra}


def test_chat_answer_has_openai_shape_and_counted_usage() -> None:
    with FakeOpenAIServer(reply="three word answer") as server:
        status, raw = post(server, "/v1/chat/completions", chat_body("one two"))
    payload = json.loads(raw)
    assert status == 200
    assert payload["choices"][0]["message"] == {"role": "assistant", "content": "three word answer"}
    assert payload["usage"] == {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}
    assert server.request_count == 1 and server.counts["/v1/chat/completions"] == 1


def test_script_then_callable_and_decoded_images() -> None:
    png = solid_png(4, 4)
    seen: list[int] = []

    def answer(request) -> str:
        seen.append(len(request.images))
        return "from callable"

    with FakeOpenAIServer(reply=answer, script=["first", ScriptedReply("second", prompt_tokens=7)]) as server:
        replies = [
            json.loads(
                post(
                    server, "/v1/chat/completions", {"model": "m", "messages": [image_message("look", png)]}
                )[1]
            )
            for _ in range(3)
        ]
        assert server.requests[0].images == [png] and server.requests[0].texts == ["look"]
    assert [r["choices"][0]["message"]["content"] for r in replies] == ["first", "second", "from callable"]
    assert replies[1]["usage"]["prompt_tokens"] == 7 and seen == [1]


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (Fault.RATE_LIMIT, 429),
        (Fault.SERVER_ERROR, 500),
        (Fault.UNAVAILABLE, 503),
        (Fault.AUTH, 401),
        (Fault.UNKNOWN_MODEL, 404),
        (Fault.BAD_REQUEST, 400),
        (Fault.CONTENT_FILTER, 400),
    ],
)
def test_status_faults(fault: Fault, status: int) -> None:
    with FakeOpenAIServer(script=[fault]) as server:
        code, raw = post(server, "/v1/chat/completions", chat_body())
        assert server.faults_served[fault] == 1
    assert code == status and "error" in json.loads(raw)


def test_garbage_empty_choices_and_custom_errors() -> None:
    with FakeOpenAIServer(
        script=[Fault.GARBAGE, Fault.EMPTY_CHOICES, ErrorReply(418, "teapot", code="tea")]
    ) as server:
        code, raw = post(server, "/v1/chat/completions", chat_body())
        assert code == 200 and raw.startswith(b"<html>")
        code, raw = post(server, "/v1/chat/completions", chat_body())
        assert code == 200 and json.loads(raw)["choices"] == []
        code, raw = post(server, "/v1/chat/completions", chat_body())
        assert code == 418 and json.loads(raw)["error"]["code"] == "tea"
        code, _ = post(server, "/v1/chat/completions", b"not json")
        assert code == 400


def test_hang_outlasts_a_client_timeout_and_stop_releases_it() -> None:
    server = FakeOpenAIServer(script=[Fault.HANG], hang_s=30).start()
    try:
        with pytest.raises((TimeoutError, urllib.error.URLError)):
            post(server, "/v1/chat/completions", chat_body(), timeout=0.3)
        assert server.in_flight == 1
    finally:
        started = time.monotonic()
        server.stop()
    assert time.monotonic() - started < 3


def test_random_faults_are_seeded_and_near_the_rate() -> None:
    def served(seed: int) -> list[str]:
        kinds = (Fault.RATE_LIMIT, Fault.SERVER_ERROR)
        with FakeOpenAIServer(fault_rate=0.2, fault_kinds=kinds, seed=seed) as server:
            return [str(post(server, "/v1/chat/completions", chat_body())[0]) for _ in range(100)]

    first, again = served(3), served(3)
    assert first == again
    failures = sum(code != "200" for code in first)
    assert 8 <= failures <= 35 and set(first) <= {"200", "429", "500"}


def test_images_models_auth_and_max_in_flight() -> None:
    with FakeOpenAIServer(api_key="k-123", models=["painter"], latency_s=0.1) as server:
        code, _ = post(server, "/v1/images/generations", {"model": "painter", "prompt": "x"})
        assert code == 401
        server._api_key = None  # open the door for the rest of the test
        code, raw = post(
            server, "/v1/images/generations", {"model": "painter", "prompt": "x", "size": "30x20", "n": 2}
        )
        data = json.loads(raw)["data"]
        assert code == 200 and len(data) == 2
        assert Image.open(io.BytesIO(base64.b64decode(data[0]["b64_json"]))).size == (30, 20)
        code, _ = post(server, "/v1/images/generations", {"model": "other", "prompt": "x"})
        assert code == 404
        with urllib.request.urlopen(server.url + "/v1/models", timeout=5) as reply:
            assert [model["id"] for model in json.loads(reply.read())["data"]] == ["painter"]
        server.latency_s = 0.5  # long enough that all four overlap even on a busy machine
        threads = [
            threading.Thread(
                target=post, args=(server, "/v1/chat/completions", chat_body("hi", model="painter"))
            )
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert server.max_in_flight == 4
