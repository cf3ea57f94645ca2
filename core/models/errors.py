"""The error that carries a failed model call's class, its classification, and secret redaction.

Every failed call ends as a :class:`ModelCallError` with a failure class
(:class:`~core.models.failures.FailureClass`), so a job can store *why* an item failed in a small,
countable vocabulary instead of free-form exception text.
Classification reads LiteLLM's exception types (which subclass OpenAI's), HTTP status codes and
the exception chain; it imports nothing heavy so ``core.models`` stays fast to import.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Iterable
from typing import Any

from core.models.failures import RETRYABLE, FailureClass
from core.models.ledger import LedgerEntry

__all__ = [
    "ModelCallError",
    "classify_exception",
    "redact",
    "retry_after_seconds",
]


class ModelCallError(Exception):
    """A model call that failed; ``failure_class`` says why, ``ledger`` records what it cost.

    The message is redacted: it never contains an API key.
    """

    def __init__(
        self,
        failure_class: FailureClass,
        message: str,
        *,
        profile: str = "",
        model: str = "",
        attempts: int = 0,
        status_code: int | None = None,
        ledger: LedgerEntry | None = None,
    ) -> None:
        self.failure_class = FailureClass(failure_class)
        self.message = redact(message)
        self.profile = profile
        self.model = model
        self.attempts = attempts
        self.status_code = status_code
        self.ledger = ledger
        super().__init__(self.__str__())

    @property
    def retryable(self) -> bool:
        return self.failure_class in RETRYABLE

    def __str__(self) -> str:
        where = f" [profile {self.profile!r}, model {self.model!r}" if self.profile or self.model else ""
        if where:
            where += f", {self.attempts} attempt{'s' if self.attempts != 1 else ''}]"
        return f"{self.failure_class.value}: {self.message}{where}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keeps the error picklable (process pools) with its keyword-only fields.
        return (
            _rebuild_error,
            (
                self.failure_class,
                self.message,
                self.profile,
                self.model,
                self.attempts,
                self.status_code,
                self.ledger,
            ),
        )


def _rebuild_error(*fields: Any) -> ModelCallError:
    failure_class, message, profile, model, attempts, status_code, ledger = fields
    return ModelCallError(
        failure_class,
        message,
        profile=profile,
        model=model,
        attempts=attempts,
        status_code=status_code,
        ledger=ledger,
    )


# ---- redaction -------------------------------------------------------------------------------

_SECRET_ENV_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)", re.IGNORECASE)
_SECRET_PATTERNS = (
    re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"),  # OpenAI/Anthropic-style keys
    re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"),  # Google API keys
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]{6,}"),
    re.compile(r"(?i)((?:api[_-]?key|token|secret)[\"']?\s*[:=]\s*[\"']?)[^\s\"',&}]{4,}"),
)
REDACTED = "[REDACTED]"


def _secret_values(extra: Iterable[str]) -> list[str]:
    values = {value for value in extra if value and len(value) >= 4}
    for name, value in os.environ.items():
        if _SECRET_ENV_NAME.search(name) and len(value) >= 8:
            values.add(value)
    # Longest first, so a key containing another secret is replaced whole.
    return sorted(values, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with API keys removed: ``secrets``, values of key-like environment variables,
    and strings shaped like keys."""
    if not text:
        return text
    for value in _secret_values(secrets):
        text = text.replace(value, REDACTED)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda match: (match.group(1) if match.groups() else "") + REDACTED, text)
    return text


# ---- classification --------------------------------------------------------------------------


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 12:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _type_names(exc: BaseException) -> set[str]:
    return {f"{klass.__module__}.{klass.__name__}" for klass in type(exc).__mro__}


def _status_code(exc: BaseException) -> int | None:
    for attribute in ("status_code", "http_status"):
        value = getattr(exc, attribute, None)
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            continue
    return None


def _error_code(exc: BaseException) -> str:
    """The provider's error code (``insufficient_quota``, ``model_not_found``) when present."""
    for candidate in (getattr(exc, "code", None), getattr(exc, "body", None)):
        if isinstance(candidate, dict):
            candidate = candidate.get("code") or candidate.get("type")
        if isinstance(candidate, str) and not candidate.isdigit():
            return candidate.lower()
    return ""


_TIMEOUT_TYPES = {
    "openai.APITimeoutError",
    "httpx.TimeoutException",
    "aiohttp.client_exceptions.ServerTimeoutError",
    "builtins.TimeoutError",
    "asyncio.exceptions.TimeoutError",
}
_CONNECTION_TYPES = {
    "openai.APIConnectionError",
    "httpx.ConnectError",
    "httpx.NetworkError",
    "httpx.RemoteProtocolError",
    "aiohttp.client_exceptions.ClientConnectionError",
    "builtins.ConnectionError",
    "socket.gaierror",
}
_BODY_DECODE_TYPES = {"json.decoder.JSONDecodeError", "openai.APIResponseValidationError"}


def classify_exception(exc: BaseException) -> tuple[FailureClass, int | None]:
    """The failure class of an exception raised by LiteLLM (or by the transport under it),
    with the HTTP status code when there was one."""
    if isinstance(exc, ModelCallError):
        return exc.failure_class, exc.status_code
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return FailureClass.TIMEOUT, None
    status = _status_code(exc)
    names = _type_names(exc)
    short = {name.rsplit(".", 1)[-1] for name in names}
    text = str(exc).lower()
    code = _error_code(exc)

    if "ContextWindowExceededError" in short or "context length" in text or "maximum context" in text:
        return FailureClass.CONTEXT_WINDOW, status
    if "ContentPolicyViolationError" in short or any(
        marker in text or marker in code
        for marker in ("content_filter", "content management policy", "content policy", "safety system")
    ):
        return FailureClass.CONTENT_FILTER, status
    if (
        "insufficient_quota" in code
        or "insufficient_quota" in text
        or status == 402
        or ("PaymentRequiredError" in short)
    ):
        return FailureClass.QUOTA_EXCEEDED, status
    if "BudgetExceededError" in short:
        return FailureClass.BUDGET_EXCEEDED, status
    # Timeouts subclass connection errors in openai; check them first, along the whole chain.
    chain = _chain(exc)
    if any(_type_names(link) & _TIMEOUT_TYPES for link in chain) or "Timeout" in short or status == 408:
        return FailureClass.TIMEOUT, status
    if "Empty or invalid response" in str(exc) or any(
        _type_names(link) & _BODY_DECODE_TYPES for link in chain
    ):
        return FailureClass.INVALID_RESPONSE, status
    if any(_type_names(link) & _CONNECTION_TYPES for link in chain) or "connection error" in text:
        return FailureClass.CONNECTION, status
    if "RateLimitError" in short or status == 429:
        return FailureClass.RATE_LIMITED, status
    if "AuthenticationError" in short or "PermissionDeniedError" in short or status in (401, 403):
        return FailureClass.AUTH, status
    if (
        "NotFoundError" in short
        or status == 404
        or "model_not_found" in code
        or "ModelNotMappedError" in short
        or "llm provider not provided" in text
    ):
        return FailureClass.UNKNOWN_MODEL, status
    if (
        "BadRequestError" in short
        or "UnprocessableEntityError" in short
        or "UnsupportedParamsError" in short
        or (status in (400, 413, 422))
    ):
        # LiteLLM raises BadRequestError for a model string it cannot route, too.
        if "provider" in text and ("not provided" in text or "unknown" in text):
            return FailureClass.UNKNOWN_MODEL, status
        return FailureClass.BAD_REQUEST, status
    if isinstance(status, int) and status >= 500:
        return FailureClass.SERVER_ERROR, status
    if short & {"InternalServerError", "ServiceUnavailableError", "BadGatewayError", "APIError"}:
        return FailureClass.SERVER_ERROR, status
    if isinstance(exc, json.JSONDecodeError | ValueError) and "json" in text:
        return FailureClass.INVALID_RESPONSE, status
    return FailureClass.UNKNOWN, status


def retry_after_seconds(exc: BaseException) -> float | None:
    """The server's ``Retry-After`` hint in seconds, when it sent one."""
    for attribute in ("litellm_response_headers", "headers"):
        headers = getattr(exc, attribute, None)
        if headers is None:
            continue
        try:
            value = headers.get("retry-after") or headers.get("Retry-After")
        except AttributeError:
            continue
        if value is None:
            continue
        try:
            return max(0.0, float(value))
        except (TypeError, ValueError):
            return None
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is not None:
        try:
            value = headers.get("retry-after")
            return max(0.0, float(value)) if value is not None else None
        except (AttributeError, TypeError, ValueError):
            return None
    return None
