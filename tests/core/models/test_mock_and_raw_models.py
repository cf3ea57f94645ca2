"""LiteLLM's mock_response path, and raw model strings that take endpoint and key from
LiteLLM's usual environment variables."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from core.models import FailureClass, ModelCallError, ModelClient, resolve_model, text_message
from core.models._litellm import litellm_module
from core.models.fake_server import FakeOpenAIServer, solid_png


def test_mock_response_needs_no_server_and_no_key(client: ModelClient) -> None:
    profile = resolve_model("openai/gpt-4o-mini")  # OPENAI_API_KEY is unset in these tests
    result = asyncio.run(client.chat(profile, [text_message("hello there")], mock_response="mocked answer"))
    assert result.text == "mocked answer" and result.finish_reason == "stop"
    assert result.ledger.tokens_in and result.ledger.tokens_out  # LiteLLM's mock usage
    assert result.ledger.cost_usd is not None and result.ledger.cost_usd > 0  # priced from the map
    again = asyncio.run(client.chat(profile, [text_message("hello there")], mock_response="mocked answer"))
    assert again.cached
    other = asyncio.run(client.chat(profile, [text_message("hello there")], mock_response="another"))
    assert other.text == "another" and not other.cached  # the mock is part of the cache key


def test_mock_exception_goes_through_retries_and_classification(client: ModelClient) -> None:
    profile = resolve_model("openai/gpt-4o-mini").with_overrides(max_retries=2)
    error = litellm_module().RateLimitError(message="slow down", llm_provider="openai", model="gpt-4o-mini")
    with pytest.raises(ModelCallError) as caught:
        asyncio.run(client.chat(profile, [text_message("q")], mock_response=error))
    assert caught.value.failure_class is FailureClass.RATE_LIMITED and caught.value.attempts == 3


def test_mock_image(client: ModelClient) -> None:
    png = solid_png(9, 9)
    result = client.image_sync("openai/dall-e-3", "a lens diagram", mock_response=png)
    assert result.images == [png]
    assert Image.open(io.BytesIO(result.image)).size == (9, 9)


def test_raw_model_string_uses_litellm_environment(
    server: FakeOpenAIServer, client: ModelClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_BASE", server.api_base)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-environment-000")
    profile = resolve_model("openai/fake-model")
    assert profile.api_base is None and profile.key_status().env_var == "OPENAI_API_KEY"
    assert profile.effective_api_base() == server.api_base
    result = client.chat_sync("openai/fake-model", [text_message("q")])  # a string works directly too
    assert result.text == "pong" and server.requests[-1].had_authorization


def test_raw_model_string_without_its_key_is_a_missing_key(client: ModelClient) -> None:
    with pytest.raises(ModelCallError) as caught:
        client.chat_sync("anthropic/claude-3-5-haiku-latest", [text_message("q")])
    assert caught.value.failure_class is FailureClass.MISSING_KEY
    assert "$ANTHROPIC_API_KEY" in caught.value.message
