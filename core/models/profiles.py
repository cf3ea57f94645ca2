"""Model profiles: named LiteLLM settings read from ``scigen.toml``; keys only from the environment.

Where the file is looked for, first found wins: ``$SCIGEN_CONFIG``, ``./scigen.toml``,
``$SCIGEN_HOME/scigen.toml``. Format (see ``scigen.example.toml`` at the project root)::

    [defaults]                      # optional; applied to every profile (and to raw model strings)
    timeout_s = 120

    [profiles.gpt4o-mini]
    model = "openai/gpt-4o-mini"    # any LiteLLM model string
    api_key_env = "OPENAI_API_KEY"  # the NAME of the variable holding the key, never the key
    temperature = 0.0
    max_tokens = 4096
    concurrency = 8
    requests_per_minute = 300
    tokens_per_minute = 200000

    [profiles.gpt4o-mini.params]    # optional extra LiteLLM arguments (top_p, seed, ...)
    top_p = 1.0

A profile name or a raw LiteLLM model string goes through :func:`resolve_model`; with a raw string
LiteLLM finds endpoint and key in its usual environment variables (``OPENAI_API_BASE``,
``OPENAI_API_KEY`` ...).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "CONFIG_ENV",
    "KeyStatus",
    "ModelProfile",
    "ProfileConfig",
    "ProfileError",
    "config_search_paths",
    "find_config_path",
    "load_profiles",
    "resolve_model",
]

CONFIG_ENV = "SCIGEN_CONFIG"
CONFIG_NAME = "scigen.toml"

# Key sent to a custom ``api_base`` when the profile names no key variable: local OpenAI-compatible
# servers (vLLM, llama.cpp, LM Studio) want *some* bearer token, and sending the user's real
# OPENAI_API_KEY to an arbitrary server would leak it.
PLACEHOLDER_KEY = "EMPTY"

# Where LiteLLM looks for a provider's key when a profile does not say; ``()`` = no key needed.
PROVIDER_KEY_ENV: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "text-completion-openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "azure": ("AZURE_API_KEY",),
    "openrouter": ("OPENROUTER_API_KEY", "OR_API_KEY"),
    "groq": ("GROQ_API_KEY",),
    "mistral": ("MISTRAL_API_KEY",),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "together_ai": ("TOGETHERAI_API_KEY", "TOGETHER_API_KEY", "TOGETHER_AI_API_KEY"),
    "xai": ("XAI_API_KEY",),
    "fireworks_ai": ("FIREWORKS_API_KEY", "FIREWORKS_AI_API_KEY"),
    "cohere": ("COHERE_API_KEY",),
    "perplexity": ("PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"),
    "ollama": (),
    "ollama_chat": (),
    "hosted_vllm": (),
    "lm_studio": (),
    "llamafile": (),
}

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
# Field names that would put a secret in the file; refused with a pointer to api_key_env.
_SECRET_FIELDS = {
    "api_key",
    "apikey",
    "key",
    "token",
    "api_token",
    "access_token",
    "secret",
    "password",
    "authorization",
    "extra_headers",
    "headers",
    "aws_secret_access_key",
    "vertex_credentials",
}


class ProfileError(ValueError):
    """A profile that cannot be used; the message names the file, the profile and the field."""


@dataclass(frozen=True)
class KeyStatus:
    """Where a profile's key comes from, without the key: safe to print."""

    env_var: str | None  # the variable read (None: no key needed or LiteLLM's own lookup)
    is_set: bool
    needed: bool
    note: str  # one line for ``scigen models list``

    def describe(self) -> str:
        return self.note


@dataclass(frozen=True)
class ModelProfile:
    """How to call one model: a named profile from ``scigen.toml`` or a raw LiteLLM model string.

    Holds no secret: ``api_key_env`` is the *name* of the environment variable with the key.
    """

    name: str
    model: str  # any LiteLLM model string: openai/..., gemini/..., ollama/..., hosted_vllm/...
    api_base: str | None = None  # None: the provider's default (or LiteLLM's env, e.g. OPENAI_API_BASE)
    api_key_env: str | None = None  # None: LiteLLM's usual variable (or no key for a custom api_base)
    temperature: float | None = None  # None: the provider's default
    max_tokens: int | None = None  # None: the provider's default (the budget guard then assumes the max)
    concurrency: int = 4  # calls in flight at once, per event loop
    requests_per_minute: float | None = None  # None: unlimited; else calls are spaced 60/rpm s apart
    tokens_per_minute: float | None = None  # None: unlimited; else a call's tokens (prompt + max out) are spaced
    timeout_s: float = 120.0  # per attempt
    max_retries: int = 3  # extra attempts on 429/5xx/timeouts/connection errors
    input_cost_per_mtok: float | None = None  # USD per million input tokens, overrides LiteLLM's map
    output_cost_per_mtok: float | None = None  # USD per million output tokens
    image_cost_usd: float | None = None  # USD per generated image, overrides LiteLLM's map
    params: tuple[tuple[str, Any], ...] = ()  # extra LiteLLM arguments, sorted by name
    source: str | None = field(default=None, compare=False)  # the file it came from; None for raw strings

    # ---- identity ----------------------------------------------------------------------------

    @property
    def provider(self) -> str:
        """The LiteLLM provider prefix (``openai`` for ``openai/gpt-4o``; ``openai`` if none)."""
        return self.model.split("/", 1)[0] if "/" in self.model else "openai"

    @property
    def is_raw(self) -> bool:
        """True for an ad-hoc profile made from a raw model string (not from the file)."""
        return self.source is None

    def params_dict(self) -> dict[str, Any]:
        return dict(self.params)

    def spec(self) -> dict[str, Any]:
        """The fields that decide what the model answers: secret-free, stored with runs."""
        return {
            "model": self.model,
            "api_base": public_api_base(self.api_base),
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "params": {key: value for key, value in self.params},
        }

    def fingerprint(self) -> str:
        """A stable 16-hex digest of :meth:`spec`; the same model settings give the same value
        in every process. Operational knobs (name, concurrency, rpm, timeout, retries, prices)
        do not change it."""
        memo = self.__dict__.get("_fingerprint")
        if memo is None:  # computed once per (immutable) profile: it is on every call's path
            canonical = json.dumps(self.spec(), sort_keys=True, separators=(",", ":"), default=str)
            memo = hashlib.sha256(canonical.encode()).hexdigest()[:16]
            object.__setattr__(self, "_fingerprint", memo)
        return memo

    def limit_key(self) -> tuple[Any, ...]:
        """Identity of the concurrency / rate-limit pool this profile draws from."""
        return (
            self.name, self.model, self.api_base, self.concurrency, self.requests_per_minute,
            self.tokens_per_minute,
        )

    def public_dict(self) -> dict[str, Any]:
        """Everything about the profile that is safe to print, plus where its key comes from."""
        data = asdict(self)
        data["api_base"] = public_api_base(self.api_base)
        data["params"] = self.params_dict()
        data["fingerprint"] = self.fingerprint()
        status = self.key_status()
        data["key"] = {
            "env_var": status.env_var,
            "is_set": status.is_set,
            "needed": status.needed,
            "note": status.note,
        }
        return data

    def with_overrides(self, **changes: Any) -> ModelProfile:
        return replace(self, **changes)

    # ---- keys (read at call time, never stored) ----------------------------------------------

    def key_status(self) -> KeyStatus:
        if self.api_key_env:
            is_set = bool(os.environ.get(self.api_key_env))
            return KeyStatus(
                self.api_key_env, is_set, True, f"${self.api_key_env} ({'set' if is_set else 'NOT SET'})"
            )
        if self.api_base:
            return KeyStatus(None, True, False, "placeholder (api_base, no api_key_env)")
        candidates = PROVIDER_KEY_ENV.get(self.provider)
        if candidates is None:
            return KeyStatus(None, True, False, f"LiteLLM's own lookup for provider {self.provider!r}")
        if not candidates:
            return KeyStatus(None, True, False, "none needed")
        for name in candidates:
            if os.environ.get(name):
                return KeyStatus(name, True, True, f"${name} (set)")
        return KeyStatus(candidates[0], False, True, f"${candidates[0]} (NOT SET)")

    def api_key(self) -> str | None:
        """The key to send, read from the environment now. ``None`` lets LiteLLM find it."""
        if self.api_key_env:
            return os.environ.get(self.api_key_env) or None
        if self.api_base:
            return PLACEHOLDER_KEY
        return None

    def effective_api_base(self) -> str | None:
        """The endpoint calls go to, for messages (env fallbacks as LiteLLM reads them)."""
        if self.api_base:
            return public_api_base(self.api_base)
        env_names = {
            "openai": ("OPENAI_BASE_URL", "OPENAI_API_BASE"),
            "ollama": ("OLLAMA_API_BASE",),
            "ollama_chat": ("OLLAMA_API_BASE",),
            "hosted_vllm": ("HOSTED_VLLM_API_BASE",),
            "anthropic": ("ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"),
            "gemini": ("GEMINI_API_BASE",),
        }.get(self.provider, ())
        for name in env_names:
            if os.environ.get(name):
                return public_api_base(os.environ[name])
        return None


def public_api_base(api_base: str | None) -> str | None:
    """``api_base`` without user:password or query string (either could carry a secret)."""
    if not api_base:
        return api_base
    parts = urlsplit(api_base)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


# ---- the file ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileConfig:
    """Profiles read from one file; broken profiles are kept aside with their error."""

    path: Path | None
    profiles: dict[str, ModelProfile]
    errors: dict[str, str]  # profile name -> message
    defaults: dict[str, Any]

    @classmethod
    def empty(cls) -> ProfileConfig:
        return cls(None, {}, {}, {})


def config_search_paths(home: str | os.PathLike[str] | None = None) -> list[Path]:
    """Where ``scigen.toml`` is looked for, in order."""
    paths: list[Path] = []
    if os.environ.get(CONFIG_ENV):
        paths.append(Path(os.environ[CONFIG_ENV]).expanduser())
    paths.append(Path.cwd() / CONFIG_NAME)
    from core.workspace import Workspace  # light; deferred to keep this module self-contained

    paths.append(Workspace.from_env(home).home / CONFIG_NAME)
    return paths


def find_config_path(home: str | os.PathLike[str] | None = None) -> Path | None:
    """The first existing config file; ``$SCIGEN_CONFIG`` must exist when set."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ProfileError(f"${CONFIG_ENV} points to {path}, which is not a file")
        return path
    for path in config_search_paths(home):
        if path.is_file():
            return path
    return None


_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "model": (str,),
    "api_base": (str,),
    "api_key_env": (str,),
    "temperature": (int, float),
    "max_tokens": (int,),
    "concurrency": (int,),
    "requests_per_minute": (int, float),
    "tokens_per_minute": (int, float),
    "timeout_s": (int, float),
    "max_retries": (int,),
    "input_cost_per_mtok": (int, float),
    "output_cost_per_mtok": (int, float),
    "image_cost_usd": (int, float),
    "params": (dict,),
}


def _check_fields(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """Validated field values of one profile (or the defaults table); raises ProfileError."""
    clean: dict[str, Any] = {}
    for key, value in raw.items():
        if key.lower() in _SECRET_FIELDS:
            raise ProfileError(
                f"{where}: a literal {key!r} is not allowed in the file; keys come only from environment "
                f'variables: set e.g. api_key_env = "MY_PROVIDER_KEY" and export MY_PROVIDER_KEY'
            )
        if key not in _FIELD_TYPES:
            known = ", ".join(sorted(_FIELD_TYPES))
            raise ProfileError(f"{where}: unknown field {key!r} (known fields: {known})")
        types = _FIELD_TYPES[key]
        if isinstance(value, bool) or not isinstance(value, types):
            expected = " or ".join(t.__name__ for t in types).replace("dict", "table")
            shown = "<hidden>" if key == "api_key_env" else repr(value)
            raise ProfileError(f"{where}: field {key!r} must be {expected}, got {shown}")
        clean[key] = value

    def positive(name: str, allow_zero: bool = False) -> None:
        if name in clean:
            value = clean[name]
            if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
                bound = ">= 0" if allow_zero else "> 0"
                raise ProfileError(f"{where}: field {name!r} must be {bound}, got {value!r}")

    for name in ("max_tokens", "concurrency", "requests_per_minute", "tokens_per_minute", "timeout_s"):
        positive(name)
    for name in (
        "temperature",
        "max_retries",
        "input_cost_per_mtok",
        "output_cost_per_mtok",
        "image_cost_usd",
    ):
        positive(name, allow_zero=True)
    if "model" in clean and not clean["model"].strip():
        raise ProfileError(
            f"{where}: field 'model' is empty; give a LiteLLM model string like 'openai/gpt-4o-mini'"
        )
    if "api_key_env" in clean and not _ENV_NAME.match(clean["api_key_env"]):
        # Never echo the value: it may be the key itself, pasted in the wrong place.
        raise ProfileError(
            f"{where}: field 'api_key_env' must be the NAME of an environment variable "
            f"(letters, digits, underscores), not the key itself"
        )
    if "api_base" in clean:
        parts = urlsplit(clean["api_base"])
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ProfileError(
                f"{where}: field 'api_base' must be an http(s) URL, got {public_api_base(clean['api_base'])!r}"
            )
        if parts.username or parts.password or parts.query:
            raise ProfileError(
                f"{where}: field 'api_base' must not carry credentials or a query string; "
                f"put the key in an environment variable named by api_key_env"
            )
    if "params" in clean:
        for key in clean["params"]:
            if key.lower() in _SECRET_FIELDS or "key" in key.lower():
                raise ProfileError(
                    f"{where}: params.{key} is not allowed: keys come only from environment variables"
                )
            if key in _FIELD_TYPES or key in ("model", "messages", "mock_response", "api_key"):
                raise ProfileError(f"{where}: params.{key} duplicates a profile field; set {key} directly")
        try:
            json.dumps(clean["params"], sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise ProfileError(
                f"{where}: params must be plain values (numbers, strings, lists, tables): {exc}"
            ) from None
    return clean


def _build_profile(name: str, values: dict[str, Any], source: str | None) -> ModelProfile:
    values = dict(values)
    params = values.pop("params", {}) or {}
    known = {f.name for f in fields(ModelProfile)}
    kwargs = {key: value for key, value in values.items() if key in known}
    for name_of_float in (
        "temperature",
        "requests_per_minute",
        "tokens_per_minute",
        "timeout_s",
        "input_cost_per_mtok",
        "output_cost_per_mtok",
        "image_cost_usd",
    ):
        if kwargs.get(name_of_float) is not None:
            kwargs[name_of_float] = float(kwargs[name_of_float])
    return ModelProfile(name=name, source=source, params=tuple(sorted(params.items())), **kwargs)


def load_profiles(
    path: str | os.PathLike[str] | None = None, *, home: str | os.PathLike[str] | None = None
) -> ProfileConfig:
    """Read profiles from ``path`` (default: :func:`find_config_path`); no file -> no profiles.

    A TOML syntax error or a broken ``[defaults]`` table raises :class:`ProfileError`; a broken
    profile is kept in ``errors`` and the others stay usable.
    """
    config_path = Path(path) if path is not None else find_config_path(home)
    if config_path is None:
        return ProfileConfig.empty()
    try:
        with open(config_path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ProfileError(f"{config_path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{config_path}: not valid TOML: {exc}") from None

    unknown_tables = set(data) - {"defaults", "profiles"}
    if unknown_tables:
        raise ProfileError(
            f"{config_path}: unknown top-level key(s) {sorted(unknown_tables)}; expected [defaults] and [profiles.NAME]"
        )
    raw_defaults = data.get("defaults", {})
    if not isinstance(raw_defaults, dict):
        raise ProfileError(f"{config_path}: [defaults] must be a table")
    if "model" in raw_defaults:
        raise ProfileError(f"{config_path}, [defaults]: 'model' belongs in a profile, not in the defaults")
    defaults = _check_fields(raw_defaults, f"{config_path}, [defaults]")

    raw_profiles = data.get("profiles", {})
    if not isinstance(raw_profiles, dict):
        raise ProfileError(f"{config_path}: 'profiles' must be tables like [profiles.NAME]")
    profiles: dict[str, ModelProfile] = {}
    errors: dict[str, str] = {}
    for name, raw in raw_profiles.items():
        where = f"{config_path}, profile {name!r}"
        try:
            if not _PROFILE_NAME.match(name) or "/" in name:
                raise ProfileError(
                    f"{where}: a profile name uses letters, digits, '.', '_' and '-' (no '/', which marks model strings)"
                )
            if not isinstance(raw, dict):
                raise ProfileError(f"{where}: must be a table [profiles.{name}]")
            values = _check_fields(raw, where)
            if "model" not in values:
                raise ProfileError(
                    f"{where}: field 'model' is missing (a LiteLLM model string like 'openai/gpt-4o-mini')"
                )
            merged = {**defaults, **values}
            if "params" in defaults and "params" in values:
                merged["params"] = {**defaults["params"], **values["params"]}
            profiles[name] = _build_profile(name, merged, str(config_path))
        except ProfileError as exc:
            errors[name] = str(exc)
    return ProfileConfig(config_path, profiles, errors, defaults)


def _looks_like_model_string(text: str) -> bool:
    if "/" in text:
        provider = text.split("/", 1)[0]
        return bool(provider) and bool(text.split("/", 1)[1])
    # A bare name LiteLLM knows (gpt-4o-mini, claude-3-5-sonnet-...): ask its cost map.
    from core.models._litellm import litellm_module

    return text in litellm_module().model_cost


def resolve_model(
    name_or_model: str,
    *,
    config: ProfileConfig | None = None,
    home: str | os.PathLike[str] | None = None,
) -> ModelProfile:
    """A profile by name, else an ad-hoc profile for a raw LiteLLM model string.

    The raw-string profile takes the file's ``[defaults]`` and lets LiteLLM find endpoint and
    key in its usual environment variables. Raises :class:`ProfileError` for a broken profile
    or a string that is neither.
    """
    text = name_or_model.strip()
    if not text:
        raise ProfileError("empty model: give a profile name from scigen.toml or a LiteLLM model string")
    config = config if config is not None else load_profiles(home=home)
    if text in config.profiles:
        return config.profiles[text]
    if text in config.errors:
        raise ProfileError(config.errors[text])
    if _looks_like_model_string(text):
        defaults = {key: value for key, value in config.defaults.items()}
        return _build_profile(text, {**defaults, "model": text}, None)
    where = (
        f"profiles in {config.path}: {', '.join(sorted(config.profiles)) or 'none'}"
        if config.path
        else ("no scigen.toml found (looked at " + ", ".join(str(p) for p in config_search_paths(home)) + ")")
    )
    raise ProfileError(
        f"unknown profile or model {text!r}: {where}; a raw LiteLLM model string looks like "
        f"'openai/gpt-4o-mini' or 'ollama/llama3.2'"
    )
