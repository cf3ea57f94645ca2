"""``scigen models list`` / ``scigen models check`` through the real CLI entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.cli import main
from core.models.fake_server import FakeOpenAIServer, Fault
from core.models.testing import closed_port


@pytest.fixture(autouse=True)
def models_verbs_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The parser with just the models verbs (other verb modules belong to other rooms), and an
    environment without the developer's keys or config."""
    monkeypatch.setattr("core.cli.VERB_MODULES", ("core.cli.models_cmd",))
    for name in ("OPENAI_API_KEY", "OPENAI_API_BASE", "OPENAI_BASE_URL", "SCIGEN_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SCIGEN_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


def write_config(tmp_path: Path, api_base: str, extra: str = "") -> Path:
    path = tmp_path / "scigen.toml"
    path.write_text(
        "[profiles.local]\n"
        'model = "openai/served-model"\n'
        f'api_base = "{api_base}"\n'
        "timeout_s = 2\n"
        "[profiles.hosted]\n"
        'model = "openai/gpt-4o-mini"\n'
        'api_key_env = "SCIGEN_CLI_TEST_KEY"\n' + extra,
        encoding="utf-8",
    )
    return path


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["models", "check", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_shows_profiles_and_key_variables_never_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(
        tmp_path,
        "http://127.0.0.1:9/v1",
        extra='[profiles.broken]\nmodel = "openai/x"\napi_key = "sk-x1234567"\n',
    )
    assert main(["models", "list"]) == 0  # found as ./scigen.toml
    out = capsys.readouterr().out
    assert "local" in out and "openai/served-model" in out and "http://127.0.0.1:9/v1" in out
    assert "$SCIGEN_CLI_TEST_KEY (NOT SET)" in out
    assert "error in profile 'broken'" in out and "sk-x1234567" not in out
    monkeypatch.setenv("SCIGEN_CLI_TEST_KEY", "sk-cli-secret-value-42")
    assert main(["models", "list", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert '"is_set": true' in out and "sk-cli-secret-value-42" not in out


def test_list_without_a_file_explains_where_it_looked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "no scigen.toml found" in out and "scigen.example.toml" in out


def test_check_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeOpenAIServer(reply="pong", models=["served-model"]) as server:
        config = write_config(tmp_path, server.api_base)
        code, out, err = check(capsys, "local", "--config", str(config))
        assert server.requests[-1].texts == ["Reply with the single word: pong"]
    assert code == 0, err
    assert out.startswith("ok: local (openai/served-model)") and "'pong'" in out and "cost unknown" in out


def test_check_no_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9/v1")
    code, _, err = check(capsys, "hosted", "--config", str(config))
    assert code == 2
    assert "no key" in err and "$SCIGEN_CLI_TEST_KEY" in err and "not set" in err


def test_check_raw_model_without_key(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = check(capsys, "openai/gpt-4o-mini")
    assert code == 2 and "no key" in err and "$OPENAI_API_KEY" in err


def test_check_server_down(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = closed_port()
    config = write_config(tmp_path, f"http://127.0.0.1:{port}/v1")
    code, _, err = check(capsys, "local", "--config", str(config))
    assert code == 2
    assert "server down" in err and f"127.0.0.1:{port}" in err and "is the server running" in err


def test_check_unknown_model_lists_what_the_server_serves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOpenAIServer(models=["qwen-vl", "llama-3"]) as server:
        config = write_config(tmp_path, server.api_base)
        code, _, err = check(capsys, "local", "--config", str(config))
    assert code == 2
    assert "unknown model" in err and "'openai/served-model'" in err
    assert "qwen-vl, llama-3" in err


def test_check_auth_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCIGEN_CLI_TEST_KEY", "sk-wrong-key-0000")
    with FakeOpenAIServer(api_key="sk-right-key-1111") as server:
        config = write_config(
            tmp_path, server.api_base, extra=f'api_base = "{server.api_base}"\n'
        )  # `hosted` at the fake server
        code, _, err = check(capsys, "hosted", "--config", str(config))
    assert code == 2
    assert "auth failed" in err and "$SCIGEN_CLI_TEST_KEY" in err and "sk-wrong-key-0000" not in err


def test_check_timeout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeOpenAIServer(script=[Fault.HANG], hang_s=10) as server:
        config = write_config(tmp_path, server.api_base)
        code, _, err = check(capsys, "local", "--config", str(config), "--timeout", "0.5")
        assert server.request_count == 1  # no retries in a check
    assert code == 2 and "timeout" in err and "0.5 s" in err


def test_check_unknown_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9/v1")
    code, _, err = check(capsys, "nope", "--config", str(config))
    assert code == 2 and "unknown profile or model 'nope'" in err and "hosted, local" in err


def test_every_verb_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["models", "--help"], ["models", "list", "--help"], ["models", "check", "--help"]):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 0
    assert "PROFILE_OR_MODEL" in capsys.readouterr().out
