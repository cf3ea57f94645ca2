"""Failure classification of LiteLLM's exceptions, redaction, message helpers and the cache files."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import httpx
import pytest
from PIL import Image

from core.models import FailureClass, ModelCallError, ResponseCache, cache_key, classify_exception, redact
from core.models._litellm import litellm_module
from core.models.fake_server import solid_png
from core.models.messages import image_message, messages_for_key, text_message, validate_messages


def _response(status: int) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("POST", "http://127.0.0.1/v1/chat/completions"))


def _litellm_errors() -> list[tuple[BaseException, FailureClass]]:
    lm = litellm_module()
    common = {"llm_provider": "openai", "model": "gpt-4o-mini"}
    quota = lm.RateLimitError(message="You exceeded your current quota", **common)
    quota.code = "insufficient_quota"
    return [
        (lm.RateLimitError(message="slow down", **common), FailureClass.RATE_LIMITED),
        (quota, FailureClass.QUOTA_EXCEEDED),
        (lm.InternalServerError(message="boom", **common), FailureClass.SERVER_ERROR),
        (lm.ServiceUnavailableError(message="overloaded", **common), FailureClass.SERVER_ERROR),
        (lm.Timeout(message="Request timed out", **common), FailureClass.TIMEOUT),
        (lm.APIConnectionError(message="Connection error.", **common), FailureClass.CONNECTION),
        (lm.AuthenticationError(message="Incorrect API key", **common), FailureClass.AUTH),
        (lm.PermissionDeniedError(message="forbidden", response=_response(403), **common), FailureClass.AUTH),
        (lm.NotFoundError(message="The model `x` does not exist", **common), FailureClass.UNKNOWN_MODEL),
        (lm.BadRequestError(message="Invalid parameter", **common), FailureClass.BAD_REQUEST),
        (lm.ContextWindowExceededError(message="too long", **common), FailureClass.CONTEXT_WINDOW),
        (lm.ContentPolicyViolationError(message="blocked", **common), FailureClass.CONTENT_FILTER),
        (
            lm.InternalServerError(
                message="Empty or invalid response from LLM endpoint. Received: '<html>'", **common
            ),
            FailureClass.INVALID_RESPONSE,
        ),
        (TimeoutError(), FailureClass.TIMEOUT),
        (RuntimeError("something unexpected"), FailureClass.UNKNOWN),
    ]


def test_litellm_exceptions_are_classified() -> None:
    for exc, expected in _litellm_errors():
        assert classify_exception(exc)[0] is expected, f"{type(exc).__name__}: {exc}"


def test_connection_refused_deep_in_the_chain_is_a_connection_failure() -> None:
    lm = litellm_module()
    try:
        try:
            raise ConnectionRefusedError(111, "Connect call failed")
        except ConnectionRefusedError as refused:
            raise lm.InternalServerError(
                message="Connection error.", llm_provider="openai", model="x"
            ) from refused
    except lm.InternalServerError as wrapped:
        assert classify_exception(wrapped)[0] is FailureClass.CONNECTION


def test_model_call_error_is_retryable_only_for_transient_classes() -> None:
    assert ModelCallError(FailureClass.RATE_LIMITED, "x").retryable
    assert not ModelCallError(FailureClass.AUTH, "x").retryable
    error = ModelCallError(FailureClass.TIMEOUT, "slow", profile="p", model="openai/m", attempts=2)
    assert str(error).startswith("timeout: slow") and "2 attempts" in str(error)


def test_redact_removes_given_secrets_env_keys_and_key_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_SERVICE_TOKEN", "tok_abcdefgh12345")
    text = "key sk-abcdef1234567890 and tok_abcdefgh12345 and custom-secret-xyz; Bearer abc.def.ghi"
    cleaned = redact(text, ["custom-secret-xyz"])
    for secret in ("sk-abcdef1234567890", "tok_abcdefgh12345", "custom-secret-xyz", "abc.def.ghi"):
        assert secret not in cleaned
    assert ModelCallError(FailureClass.AUTH, "rejected sk-abcdef1234567890").message.count("REDACTED") == 1


def test_image_message_holds_a_data_uri_of_the_exact_bytes() -> None:
    png = solid_png(12, 7)
    message = image_message("What is shown?", png, detail="low")
    assert message["role"] == "user"
    text_part, image_part = message["content"]
    assert text_part == {"type": "text", "text": "What is shown?"}
    url = image_part["image_url"]["url"]
    assert url.startswith("data:image/png;base64,") and image_part["image_url"]["detail"] == "low"
    decoded = base64.b64decode(url.split(",", 1)[1])
    assert decoded == png
    assert Image.open(io.BytesIO(decoded)).size == (12, 7)
    two = image_message("compare", [png, solid_png(3, 3)])
    assert len(two["content"]) == 3
    with pytest.raises(ValueError, match="not PNG, JPEG"):
        image_message("x", b"not an image")


def test_validate_messages_names_the_bad_item() -> None:
    assert validate_messages([text_message("hi")]) == [{"role": "user", "content": "hi"}]
    with pytest.raises(ValueError, match=r"messages\[1\]\.role"):
        validate_messages([text_message("hi"), {"role": "robot", "content": "x"}])
    with pytest.raises(ValueError, match=r"messages\[0\]\.content\[0\]"):
        validate_messages([{"role": "user", "content": [{"type": "audio"}]}])
    with pytest.raises(ValueError, match="empty"):
        validate_messages([])


def test_cache_key_input_replaces_images_by_their_hash() -> None:
    first = messages_for_key([image_message("q", solid_png(4, 4))])
    same = messages_for_key([image_message("q", solid_png(4, 4))])
    other = messages_for_key([image_message("q", solid_png(5, 4))])
    assert first == same and first != other
    assert "base64" not in json.dumps(first)
    assert cache_key("chat", "fp", {"messages": first}) == cache_key("chat", "fp", {"messages": same})
    assert cache_key("chat", "fp", {"messages": first}) != cache_key("chat", "fp", {"messages": other})
    assert cache_key("chat", "fp", {"messages": first}) != cache_key("chat", "fp2", {"messages": first})


def test_cache_round_trip_is_atomic_and_tolerates_torn_files(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c")
    key = cache_key("chat", "fp", {"x": 1})
    assert cache.get(key) is None and len(cache) == 0
    path = cache.put(key, {"text": "hello"})
    assert path == tmp_path / "c" / key[:2] / f"{key}.json"
    assert cache.get(key) == {"text": "hello"} and key in cache and len(cache) == 1
    assert not list(path.parent.glob("*.tmp"))  # the temp file was renamed, not left behind
    path.write_text('{"v": 1, "key": "', encoding="utf-8")  # a torn write
    assert cache.get(key) is None
    cache.put(key, {"text": "again"})
    assert cache.get(key) == {"text": "again"}
    assert cache.delete(key) and cache.get(key) is None
