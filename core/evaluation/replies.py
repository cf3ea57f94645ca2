"""Talking to models from an evaluator: one call that never raises, the figure's image, spec
parameters, and reading a JSON object out of a model's prose.

Shared by every model-backed evaluator (vqa, mmq, judge, quiz writing), so none of them imports
another's module for it.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.evaluation.base import EvaluationContext, EvaluatorSpec, FigureUnderTest, resolve_model_settings
from core.models.errors import ModelCallError
from core.models.ledger import LedgerEntry
from core.models.messages import Message

if TYPE_CHECKING:
    from core.models import ModelClient

# error_class values shared by model-backed evaluators (model failures use core.models.FailureClass).
MISSING_IMAGE = "missing_image"  # the figure failed to render or its file is gone: no call made
BAD_IMAGE = "bad_image"  # the file is not a PNG/JPEG/WebP/GIF
UNPARSABLE = "unparsable"  # empty reply, or the grader's verdict could not be read either
_MAX_SCAN_CHARS = 40_000  # the JSON object sits at the end; a runaway reply is not scanned whole


# ---- model calls -------------------------------------------------------------------------------


@dataclass
class ModelReply:
    """A chat call's text or its failure class, with the ledger entries it produced."""

    text: str | None
    failure_class: str | None = None
    failure_message: str | None = None
    ledger: list[LedgerEntry] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failure_class is None


async def call_model(
    client: ModelClient,
    model: str,
    messages: Sequence[Message],
    *,
    use_cache: bool = True,
    sample: int = 0,
    temperature: float | None = None,
    max_tokens: int | None = None,
) -> ModelReply:
    """One chat call that never raises for a model failure (the failure class is returned)."""
    try:
        result = await client.chat(
            model,
            messages,
            use_cache=use_cache,
            sample=sample,
            temperature=temperature,
            max_tokens=max_tokens,
        )
    except ModelCallError as error:
        return ModelReply(
            None, error.failure_class.value, error.message, [error.ledger] if error.ledger is not None else []
        )
    return ModelReply(result.text, ledger=[result.ledger])


def known_cost(entries: Sequence[LedgerEntry]) -> float | None:
    known = [entry.cost_usd for entry in entries if entry.cost_usd is not None]
    return sum(known) if known else None


def total_latency(entries: Sequence[LedgerEntry]) -> float | None:
    return sum(entry.latency_s for entry in entries) if entries else None


def figure_image(figure: FigureUnderTest) -> bytes | None:
    """The figure's image bytes, or None when it failed to render or its file is missing."""
    if figure.status != "ok" or figure.image_path is None:
        return None
    try:
        data = figure.image_path.read_bytes()
    except OSError:
        return None
    return data or None


# ---- spec parameters -------------------------------------------------------------------


def model_param(spec: EvaluatorSpec, key: str = "model") -> str:
    value = spec.param(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(
            f"evaluator {spec.name!r} needs the parameter {key!r}: a profile name or a LiteLLM model string"
        )
    return value.strip()


def optional_number(spec: EvaluatorSpec, key: str, kind: type) -> Any:
    value = spec.param(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"evaluator {spec.name!r}: parameter {key!r} must be a number, got {value!r}")
    return kind(value)


def require_client(ctx: EvaluationContext, name: str) -> ModelClient:
    if ctx.client is None:
        raise RuntimeError(f"evaluator {name!r} calls a model: give EvaluationContext a ModelClient")
    return ctx.client


# ---- finding JSON objects in prose -------------------------------------------------------------


def _object_end(text: str, start: int) -> int | None:
    """Index just past the ``}`` matching the ``{`` at ``start`` (quotes respected), or None."""
    depth = 0
    quote: str | None = None
    escaped = False
    for index in range(start, len(text)):
        char = text[index]
        if quote is not None:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
            continue
        if char in "\"'":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
    return None


_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_JS_LITERALS = {"true": "True", "false": "False", "null": "None"}


def _load_object(candidate: str) -> dict[str, Any] | None:
    """A dict from JSON, or from near-JSON (trailing commas, single quotes, Python literals)."""
    attempts = (candidate, _TRAILING_COMMA.sub(r"\1", candidate))
    for attempt in attempts:
        try:
            loaded = json.loads(attempt)
        except (json.JSONDecodeError, ValueError):
            continue
        return loaded if isinstance(loaded, dict) else None
    python = re.sub(r"\b(true|false|null)\b", lambda m: _JS_LITERALS[m.group(1)], attempts[1])
    try:
        loaded = ast.literal_eval(python)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return loaded if isinstance(loaded, dict) else None


def json_objects(text: str) -> list[tuple[int, int, dict[str, Any]]]:
    """Every ``{...}`` span of ``text`` that reads as an object: (start, end, object), by start.

    Nested objects are listed too; code fences need no special case (they lie outside braces).
    """
    offset = max(0, len(text) - _MAX_SCAN_CHARS)
    window = text[offset:]
    found: list[tuple[int, int, dict[str, Any]]] = []
    for match in re.finditer(r"\{", window):
        end = _object_end(window, match.start())
        if end is None:
            continue
        loaded = _load_object(window[match.start() : end])
        if loaded is not None:
            found.append((offset + match.start(), offset + end, loaded))
    return found


def last_json_object(
    text: str, accept: Callable[[dict[str, Any]], bool] | None = None
) -> dict[str, Any] | None:
    """The object that ends last in ``text`` (the outermost one, when nested) among those
    ``accept`` takes; None when there is none."""
    found = last_object_span(text, accept)
    return found[2] if found is not None else None


def last_object_span(
    text: str, accept: Callable[[dict[str, Any]], bool] | None = None
) -> tuple[int, int, dict[str, Any]] | None:
    candidates = [item for item in json_objects(text) if accept is None or accept(item[2])]
    if not candidates:
        return None
    return max(candidates, key=lambda item: (item[1], -item[0]))


def resolved_model_params(
    name: str, params: dict[str, Any], *, config: Any = None, home: Any = None
) -> dict[str, Any]:
    """``params`` of a one-model evaluator (``model``, optional ``grader``) with the model's
    LiteLLM string and fingerprint (``model_id``, ``model_fingerprint``) and the grader's
    fingerprint written in. Raises ValueError naming what is missing or unusable."""
    model = params.get("model")
    if not isinstance(model, str) or not model.strip():
        raise ValueError(f"evaluator {name!r} needs a model: a profile name or a LiteLLM model string")
    completed = dict(params)
    completed["model_id"], completed["model_fingerprint"] = resolve_model_settings(model, config=config, home=home)
    grader = params.get("grader")
    if isinstance(grader, str) and grader.strip() and grader != model:
        completed["grader_fingerprint"] = resolve_model_settings(grader, config=config, home=home)[1]
    return completed


def grader_suffix(spec: EvaluatorSpec) -> str:
    """`` grader=<g>`` for a run label when a grader other than the answering model is named."""
    grader = spec.param("grader")
    return f" grader={grader}" if grader and grader != spec.param("model") else ""
