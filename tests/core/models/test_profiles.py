"""scigen.toml parsing, its errors, the search order, resolve_model and fingerprints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.models import ModelProfile, ProfileError, find_config_path, load_profiles, resolve_model
from core.workspace import PROJECT_ROOT

GOOD = """
[defaults]
timeout_s = 30
max_retries = 1

[profiles.hosted]
model = "openai/gpt-4o-mini"
api_key_env = "MY_OPENAI_KEY"
temperature = 0.2
max_tokens = 512
concurrency = 8
requests_per_minute = 120

[profiles.hosted.params]
top_p = 0.9

[profiles.local]
model = "hosted_vllm/qwen"
api_base = "http://127.0.0.1:8000/v1"
timeout_s = 300
"""


def write(tmp_path: Path, text: str, name: str = "scigen.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_profiles_are_parsed_with_defaults_and_params(tmp_path: Path) -> None:
    config = load_profiles(write(tmp_path, GOOD))
    assert config.errors == {}
    hosted, local = config.profiles["hosted"], config.profiles["local"]
    assert hosted.model == "openai/gpt-4o-mini"
    assert hosted.api_key_env == "MY_OPENAI_KEY"
    assert (hosted.temperature, hosted.max_tokens, hosted.concurrency) == (0.2, 512, 8)
    assert hosted.requests_per_minute == 120.0
    assert hosted.timeout_s == 30.0 and hosted.max_retries == 1  # from [defaults]
    assert hosted.params_dict() == {"top_p": 0.9}
    assert local.timeout_s == 300.0  # the profile wins over [defaults]
    assert local.api_base == "http://127.0.0.1:8000/v1"
    assert local.concurrency == 4  # the dataclass default


def test_the_bundled_example_file_parses_cleanly() -> None:
    example = PROJECT_ROOT / "scigen.example.toml"
    config = load_profiles(example)
    assert config.errors == {}
    assert {"gpt4o-mini", "local-vllm", "local-ollama"} <= set(config.profiles)
    assert config.profiles["local-vllm"].api_base is not None
    assert all(
        profile.api_key_env is None or profile.api_key_env.isupper() for profile in config.profiles.values()
    )


def test_literal_api_key_is_refused_naming_file_and_profile_and_others_survive(tmp_path: Path) -> None:
    text = GOOD + '\n[profiles.leaky]\nmodel = "openai/gpt-4o"\napi_key = "sk-live-0123456789abcdef"\n'
    path = write(tmp_path, text)
    config = load_profiles(path)
    assert set(config.profiles) == {"hosted", "local"}  # valid profiles kept
    message = config.errors["leaky"]
    assert str(path) in message and "'leaky'" in message and "api_key_env" in message
    assert "sk-live-0123456789abcdef" not in message
    with pytest.raises(ProfileError, match="literal 'api_key'"):
        resolve_model("leaky", config=config)


def test_key_pasted_into_api_key_env_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.p]\nmodel = "openai/x"\napi_key_env = "sk-proj-abc123-SECRET"\n')
    message = load_profiles(path).errors["p"]
    assert "NAME of an environment variable" in message
    assert "sk-proj-abc123-SECRET" not in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('model = "openai/x"\ntempreature = 0.1', "unknown field 'tempreature'"),
        ('model = "openai/x"\nconcurrency = "eight"', "field 'concurrency' must be int"),
        ('model = "openai/x"\nconcurrency = 0', "field 'concurrency' must be > 0"),
        ('model = "openai/x"\ntimeout_s = -1', "field 'timeout_s' must be > 0"),
        ('model = "openai/x"\nmax_retries = true', "field 'max_retries' must be int"),
        ("temperature = 0.0", "field 'model' is missing"),
        ('model = "openai/x"\napi_base = "ftp://host"', "must be an http(s) URL"),
        ('model = "openai/x"\napi_base = "http://u:pw@host/v1"', "must not carry credentials"),
        (
            'model = "openai/x"\n[profiles.p.params]\nextra_api_key = "x"',
            "params.extra_api_key is not allowed",
        ),
        ('model = "openai/x"\n[profiles.p.params]\ntemperature = 1', "duplicates a profile field"),
    ],
)
def test_bad_fields_get_clear_errors(tmp_path: Path, body: str, expected: str) -> None:
    path = write(tmp_path, f"[profiles.p]\n{body}\n")
    message = load_profiles(path).errors["p"]
    assert expected in message
    assert str(path) in message and "profile 'p'" in message


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[profiles.p\nmodel = ")
    with pytest.raises(ProfileError, match="not valid TOML") as caught:
        load_profiles(path)
    assert str(path) in str(caught.value)


def test_bad_defaults_fail_the_whole_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[defaults]\napi_key = "abc"\n[profiles.p]\nmodel = "openai/x"\n')
    with pytest.raises(ProfileError, match=r"\[defaults\]: a literal 'api_key'"):
        load_profiles(path)


def test_config_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    in_home = write(home, '[profiles.from_home]\nmodel = "openai/a"\n')
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("SCIGEN_HOME", str(home))
    assert find_config_path() == in_home.resolve()
    in_cwd = write(work, '[profiles.from_cwd]\nmodel = "openai/b"\n')
    assert find_config_path().resolve() == in_cwd.resolve()
    explicit = write(tmp_path, '[profiles.explicit]\nmodel = "openai/c"\n', name="other.toml")
    monkeypatch.setenv("SCIGEN_CONFIG", str(explicit))
    assert find_config_path() == explicit
    assert set(load_profiles().profiles) == {"explicit"}
    monkeypatch.setenv("SCIGEN_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ProfileError, match="SCIGEN_CONFIG points to"):
        find_config_path()


def test_no_file_means_no_profiles_but_raw_strings_work() -> None:
    config = load_profiles()
    assert config.path is None and config.profiles == {}
    profile = resolve_model("openai/gpt-4o-mini", config=config)
    assert profile.model == "openai/gpt-4o-mini" and profile.is_raw and profile.api_base is None


def test_resolve_model_by_name_raw_string_and_errors(tmp_path: Path) -> None:
    config = load_profiles(write(tmp_path, GOOD))
    assert resolve_model("hosted", config=config) is config.profiles["hosted"]
    raw = resolve_model("gemini/gemini-2.0-flash", config=config)
    assert raw.name == raw.model == "gemini/gemini-2.0-flash"
    assert raw.timeout_s == 30.0  # raw strings take [defaults] too
    bare = resolve_model("gpt-4o-mini", config=config)  # a bare name LiteLLM knows
    assert bare.model == "gpt-4o-mini" and bare.provider == "openai"
    with pytest.raises(ProfileError, match="unknown profile or model 'nonsense'") as caught:
        resolve_model("nonsense", config=config)
    assert "hosted" in str(caught.value) and "local" in str(caught.value)


def test_key_status_reads_the_environment_and_never_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    profile = ModelProfile(name="p", model="openai/gpt-4o-mini", api_key_env="MY_OPENAI_KEY")
    assert profile.key_status().is_set is False
    assert profile.api_key() is None
    monkeypatch.setenv("MY_OPENAI_KEY", "sk-test-value-123456")
    status = profile.key_status()
    assert status.is_set and status.env_var == "MY_OPENAI_KEY" and "(set)" in status.note
    assert profile.api_key() == "sk-test-value-123456"
    assert "sk-test-value-123456" not in repr(profile) and "sk-test-value-123456" not in str(
        profile.public_dict()
    )
    local = ModelProfile(name="l", model="openai/served", api_base="http://127.0.0.1:8000/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-openai-key-should-stay-home")
    assert local.api_key() == "EMPTY"  # a custom server never receives the provider key by accident
    assert ModelProfile(name="o", model="ollama/llama3").key_status().needed is False
    raw = ModelProfile(name="openai/gpt-4o", model="openai/gpt-4o")
    assert raw.key_status().env_var == "OPENAI_API_KEY" and raw.key_status().is_set


def test_fingerprint_is_stable_secret_free_and_tracks_only_answer_changing_fields(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = ModelProfile(
        name="a", model="openai/gpt-4o-mini", api_key_env="K", temperature=0.0, max_tokens=100
    )
    assert len(base.fingerprint()) == 16
    assert (
        base.fingerprint()
        == base.with_overrides(
            name="b", concurrency=32, timeout_s=5, max_retries=0, requests_per_minute=10, api_key_env="OTHER"
        ).fingerprint()
    )
    assert base.fingerprint() != base.with_overrides(temperature=0.7).fingerprint()
    assert base.fingerprint() != base.with_overrides(model="openai/gpt-4o").fingerprint()
    assert base.fingerprint() != base.with_overrides(params=(("top_p", 0.5),)).fingerprint()
    # The same in a fresh interpreter (no hash randomisation in it).
    code = (
        "from core.models import ModelProfile; print(ModelProfile(name='a', model='openai/gpt-4o-mini', "
        "api_key_env='K', temperature=0.0, max_tokens=100).fingerprint())"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
        env={"PYTHONHASHSEED": "123", "PATH": "/usr/bin:/bin"},
    )
    assert other.stdout.strip() == base.fingerprint()
    # No credential reaches the spec through api_base either.
    with_query = base.with_overrides(api_base="https://proxy.example/v1?key=abc")
    assert "abc" not in str(with_query.spec())


def test_tokens_per_minute_is_read_checked_and_part_of_the_limit_pool(tmp_path) -> None:
    path = tmp_path / "scigen.toml"
    path.write_text('[profiles.a]\nmodel = "openai/x"\ntokens_per_minute = 90000\n[profiles.b]\nmodel = "openai/x"\ntokens_per_minute = 0\n')
    config = load_profiles(path)
    assert config.profiles["a"].tokens_per_minute == 90000.0
    assert 90000.0 in config.profiles["a"].limit_key()
    assert "tokens_per_minute" in config.errors["b"] and "> 0" in config.errors["b"]
