"""``scigen models list`` and ``scigen models check``: see profiles, try one tiny call."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from core.cli import CliError

if TYPE_CHECKING:
    from core.models import ModelCallError, ModelProfile

CHECK_PROMPT = "Reply with the single word: pong"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list model profiles and check that one answers",
        description=(
            "Model profiles live in scigen.toml ($SCIGEN_CONFIG, else ./scigen.toml, else "
            "$SCIGEN_HOME/scigen.toml; see scigen.example.toml). Keys come only from environment "
            "variables; a profile names the variable with api_key_env. Anywhere a model is asked for, "
            "a raw LiteLLM model string (openai/gpt-4o-mini, ollama/llama3.2 ...) works too."
        ),
    )
    parser.set_defaults(handler=lambda args: _usage(parser))
    verbs = parser.add_subparsers(dest="models_verb", metavar="ACTION")

    list_parser = verbs.add_parser(
        "list",
        help="show the profiles, and which environment variable holds each key (never the key)",
        description="Show the profiles of scigen.toml with their settings and whether each key's "
        "environment variable is set. Keys themselves are never shown.",
    )
    list_parser.add_argument("--config", default=None, help="profiles file (default: the usual search)")
    list_parser.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    list_parser.set_defaults(handler=_list)

    check_parser = verbs.add_parser(
        "check",
        help="make one tiny call and say clearly what is wrong, if anything",
        description="Send one tiny chat request (no cache, no retries) and report: ok with latency, "
        "tokens and cost; or what is wrong: no key, server down, unknown model, auth failed, timeout.",
    )
    check_parser.add_argument(
        "model",
        metavar="PROFILE_OR_MODEL",
        help="a profile name from scigen.toml or a raw LiteLLM model string",
    )
    check_parser.add_argument("--config", default=None, help="profiles file (default: the usual search)")
    check_parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds to wait for the answer (default: the profile's, at most 60)",
    )
    check_parser.set_defaults(handler=_check)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _load(args: argparse.Namespace):  # -> ProfileConfig
    from core.models import ProfileError, load_profiles

    try:
        return load_profiles(args.config, home=args.home)
    except ProfileError as exc:
        raise CliError(str(exc)) from None


def _list(args: argparse.Namespace) -> int:
    from core.models.profiles import config_search_paths

    config = _load(args)
    if args.format == "json":
        payload = {
            "config": str(config.path) if config.path else None,
            "profiles": [profile.public_dict() for profile in config.profiles.values()],
            "errors": config.errors,
        }
        print(json.dumps(payload, indent=2, default=str))
        return 0
    if config.path is None:
        looked = ", ".join(str(path) for path in config_search_paths(args.home))
        print(f"no scigen.toml found (looked at {looked}).")
        print(
            "Copy scigen.example.toml to scigen.toml to define profiles; raw LiteLLM model strings "
            "(e.g. openai/gpt-4o-mini with $OPENAI_API_KEY) work without one."
        )
        return 0
    print(f"profiles from {config.path}")
    header = ("NAME", "MODEL", "API BASE", "KEY", "CONC", "RPM", "TIMEOUT", "RETRIES")
    rows = [header]
    for profile in config.profiles.values():
        rows.append(
            (
                profile.name,
                profile.model,
                profile.effective_api_base() or "(provider default)",
                profile.key_status().describe(),
                str(profile.concurrency),
                f"{profile.requests_per_minute:g}" if profile.requests_per_minute else "-",
                f"{profile.timeout_s:g}s",
                str(profile.max_retries),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    if not config.profiles:
        print("(no usable profiles)")
    for name, message in config.errors.items():
        print(f"error in profile {name!r}: {message}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from core.models import ModelCallError, ModelClient, ProfileError, resolve_model, text_message

    config = _load(args)
    try:
        profile = resolve_model(args.model, config=config, home=args.home)
    except ProfileError as exc:
        raise CliError(str(exc)) from None
    timeout = args.timeout if args.timeout is not None else min(profile.timeout_s, 60.0)
    with ModelClient(cache=False, config=config) as client:
        try:
            result = client.chat_sync(
                profile, [text_message(CHECK_PROMPT)], use_cache=False, max_retries=0, timeout_s=timeout
            )
        except ModelCallError as error:
            raise CliError(_explain(profile, error, timeout)) from None
    ledger = result.ledger
    tokens = (
        f"{ledger.tokens_in if ledger.tokens_in is not None else '?'} in / "
        f"{ledger.tokens_out if ledger.tokens_out is not None else '?'} out"
    )
    cost = (
        f"${ledger.cost_usd:.6f}"
        if ledger.cost_usd is not None
        else "unknown (model not in LiteLLM's price map)"
    )
    reply = result.text.strip()
    reply = reply if len(reply) <= 60 else reply[:57] + "..."
    print(
        f"ok: {profile.name} ({profile.model}) at {_endpoint(profile)} answered {reply!r} "
        f"in {ledger.latency_s:.2f} s; tokens {tokens}; cost {cost}"
    )
    return 0


def _endpoint(profile: ModelProfile) -> str:
    return profile.effective_api_base() or f"the {profile.provider} default endpoint"


def _served_models(profile: ModelProfile) -> list[str]:
    """Model names a custom OpenAI-compatible server lists at /models (best effort, for hints)."""
    if not profile.api_base:
        return []
    try:
        import httpx

        headers = {}
        key = profile.api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        reply = httpx.get(profile.api_base.rstrip("/") + "/models", headers=headers, timeout=3.0)
        reply.raise_for_status()
        return [str(item.get("id")) for item in reply.json().get("data", []) if isinstance(item, dict)][:12]
    except Exception:  # noqa: BLE001 - only a hint; the main message stands without it
        return []


def _explain(profile: ModelProfile, error: ModelCallError, timeout: float) -> str:
    """One line saying what is wrong and what to do."""
    from core.models import FailureClass

    endpoint = _endpoint(profile)
    detail = error.message
    kind = error.failure_class
    if kind is FailureClass.MISSING_KEY:
        return detail  # already "no key: ... $VAR, which is not set; export it ..."
    if kind is FailureClass.CONNECTION:
        return (
            f"server down: cannot connect to {endpoint} for {profile.model!r} (connection refused or "
            f"unreachable); is the server running, and is api_base right? [{detail}]"
        )
    if kind is FailureClass.TIMEOUT:
        return (
            f"timeout: no answer from {endpoint} within {timeout:g} s for {profile.model!r}; the server "
            f"may be overloaded or still loading the model (try --timeout)"
        )
    if kind is FailureClass.UNKNOWN_MODEL:
        served = _served_models(profile)
        hint = f"; the server lists: {', '.join(served)}" if served else ""
        return (
            f"unknown model: {endpoint} does not serve {profile.model!r} (or api_base points to the wrong "
            f"path){hint} [{detail}]"
        )
    if kind is FailureClass.AUTH:
        source = f"${profile.key_status().env_var}" if profile.key_status().env_var else "the placeholder key"
        return f"auth failed: {endpoint} rejected the key from {source} for {profile.model!r} [{detail}]"
    if kind is FailureClass.QUOTA_EXCEEDED:
        return f"out of quota: the account behind the key has no credit left [{detail}]"
    if kind is FailureClass.RATE_LIMITED:
        return f"rate limited: {endpoint} answered 429; wait or lower requests_per_minute [{detail}]"
    if kind is FailureClass.SERVER_ERROR:
        return f"server error: {endpoint} failed to answer (5xx) [{detail}]"
    if kind is FailureClass.INVALID_RESPONSE:
        return f"invalid response: {endpoint} answered, but not like an OpenAI-compatible server [{detail}]"
    return f"{kind.value.replace('_', ' ')}: {detail}"
