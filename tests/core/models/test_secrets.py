"""API keys never appear in results, ledger entries, cache files, errors, logs, output or
fingerprints: run successful and failing calls with a fake key, then grep everything."""

from __future__ import annotations

import asyncio
import logging
import pickle
import secrets
from pathlib import Path

import pytest

from core.cli import main as scigen_main
from core.models import (
    BudgetGuard,
    LedgerEntry,
    ModelCallError,
    ModelClient,
    ResponseCache,
    image_message,
    text_message,
)
from core.models.fake_server import ErrorReply, FakeOpenAIServer, Fault, solid_png
from core.models.testing import FAST_RETRY, closed_port, profile_for


def test_keys_never_leak(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    key = "sk-scigen-" + secrets.token_hex(12)
    other_key = "sk-other-" + secrets.token_hex(12)
    monkeypatch.setenv("SCIGEN_TEST_KEY", key)
    monkeypatch.setenv("OPENAI_API_KEY", other_key)
    caplog.set_level(logging.DEBUG)
    ledger: list[LedgerEntry] = []
    texts: list[str] = []
    cache = ResponseCache(tmp_path / "cache")

    def collect_error(error: ModelCallError) -> None:
        texts.extend(
            [str(error), repr(error), error.message, error.ledger.model_dump_json() if error.ledger else ""]
        )
        texts.append(repr(pickle.loads(pickle.dumps(error))))

    with (
        FakeOpenAIServer(reply="pong", api_key=key, hang_s=5) as server,
        ModelClient(
            cache=cache, retry=FAST_RETRY, on_ledger=ledger.append, budget=BudgetGuard(100.0)
        ) as client,
    ):
        profile = profile_for(
            server, model="openai/gpt-4o-mini", api_key_env="SCIGEN_TEST_KEY", timeout_s=0.5, max_retries=1
        )
        texts.append(repr(profile) + str(profile.public_dict()) + profile.fingerprint() + str(profile.spec()))
        ok = asyncio.run(client.chat(profile, [image_message("what?", solid_png(5, 5))]))
        texts.append(ok.model_dump_json())
        texts.append(client.image_sync(profile, "a figure", size="8x8").model_dump_json())
        server.push_script(
            Fault.SERVER_ERROR,
            Fault.SERVER_ERROR,  # call "a": two attempts, then server_error
            Fault.HANG,  # call "b": timeout
            ErrorReply(401, f"Incorrect API key provided: {key}"),  # call "c": a provider echoing the key
            Fault.UNKNOWN_MODEL,  # call "d"
        )
        for question in ("a", "b", "c", "d"):
            try:
                asyncio.run(
                    client.chat(
                        profile.with_overrides(max_retries=0 if question != "a" else 1),
                        [text_message(question)],
                    )
                )
            except ModelCallError as error:
                collect_error(error)
        # Wrong key, server down, and a raw model string whose key LiteLLM reads from the environment.
        monkeypatch.setenv("SCIGEN_TEST_KEY", key + "-wrong")
        for failing in (profile, profile.with_overrides(api_base=f"http://127.0.0.1:{closed_port()}/v1")):
            try:
                asyncio.run(client.chat(failing, [text_message("again")], use_cache=False))
            except ModelCallError as error:
                collect_error(error)
        monkeypatch.setenv("SCIGEN_TEST_KEY", key)
        monkeypatch.setenv("OPENAI_API_BASE", server.api_base)
        try:
            client.chat_sync(
                "openai/gpt-4o-mini", [text_message("raw")]
            )  # the server wants `key`, not `other_key`
        except ModelCallError as error:
            collect_error(error)
        assert server.requests and all(request.had_authorization for request in server.requests)

    # The CLI: list and check, success and failure.
    config = tmp_path / "scigen.toml"
    config.write_text(
        f'[profiles.p]\nmodel = "openai/fake"\napi_base = "http://127.0.0.1:{closed_port()}/v1"\n'
        'api_key_env = "SCIGEN_TEST_KEY"\ntimeout_s = 1\n',
        encoding="utf-8",
    )
    monkeypatch.setattr("core.cli.VERB_MODULES", ("core.cli.models_cmd",))
    assert scigen_main(["models", "list", "--config", str(config)]) == 0
    assert scigen_main(["models", "list", "--config", str(config), "--format", "json"]) == 0
    assert scigen_main(["models", "check", "p", "--config", str(config)]) == 2

    captured = capfd.readouterr()
    texts.extend([captured.out, captured.err, caplog.text])
    texts.extend(entry.model_dump_json() for entry in ledger)
    written = [path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()]
    assert len(ledger) >= 8 and len(written) >= 2 and "$SCIGEN_TEST_KEY" in captured.out
    for secret in (key, other_key):
        assert not [text for text in texts if secret in text], f"{secret[:8]}... leaked"
        assert not [blob for blob in written if secret.encode() in blob], f"{secret[:8]}... written to disk"
    assert "REDACTED" in " ".join(texts)  # the echoed key was caught, not just absent
