"""Why a model call failed: the small, countable vocabulary every failed call is stored with.

A leaf module: the ledger records these classes and ``core.models.errors`` classifies exceptions
into them, so both import it and neither imports the other for it.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["RETRYABLE", "FailureClass"]


class FailureClass(StrEnum):
    """Why a model call failed; stored with every failed call."""

    RATE_LIMITED = "rate_limited"  # 429: too many requests (retried)
    QUOTA_EXCEEDED = "quota_exceeded"  # 429 insufficient_quota / 402: out of credit (not retried)
    SERVER_ERROR = "server_error"  # 5xx (retried)
    TIMEOUT = "timeout"  # no answer within the profile's timeout (retried)
    CONNECTION = "connection"  # refused, reset, DNS: the server is down or unreachable (retried)
    AUTH = "auth"  # 401/403: the key was rejected
    MISSING_KEY = "missing_key"  # the environment variable holding the key is not set
    BAD_REQUEST = "bad_request"  # 400/422: the request itself is wrong
    UNKNOWN_MODEL = "unknown_model"  # 404 or a model LiteLLM cannot route
    CONTEXT_WINDOW = "context_window"  # the prompt is longer than the model accepts
    CONTENT_FILTER = "content_filter"  # refused or cut by the provider's content policy
    INVALID_RESPONSE = "invalid_response"  # 200 but not a usable answer (non-JSON, empty choices) (retried)
    BUDGET_EXCEEDED = "budget_exceeded"  # refused before starting: could exceed --max-cost
    UNKNOWN = "unknown"  # anything else (a bug somewhere); not retried


RETRYABLE: frozenset[FailureClass] = frozenset(
    {
        FailureClass.RATE_LIMITED,
        FailureClass.SERVER_ERROR,
        FailureClass.TIMEOUT,
        FailureClass.CONNECTION,
        FailureClass.INVALID_RESPONSE,
    }
)
