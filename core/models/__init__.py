"""``core.models``: the one place that calls LiteLLM.

Profiles (``scigen.toml``, keys only from environment variables), an async-first client with
per-profile concurrency and rate limits, timeouts, bounded classified retries, a content-addressed
cache, a cost ledger and a budget guard. Test doubles: ``core.models.fake_server``.

Importing this package does not import LiteLLM (that takes seconds); the first call does.

Typical use::

    from core.models import ModelClient, image_message, resolve_model

    client = ModelClient()
    profile = resolve_model("gpt4o-mini")          # a profile name, or "openai/gpt-4o-mini"
    result = await client.chat(profile, [image_message("Which option?", png_bytes)])
    result.text, result.ledger.cost_usd
"""

from core.models.budget import BudgetGuard
from core.models.cache import ResponseCache, cache_key
from core.models.client import ChatResult, ImageResult, ModelClient, RetryPolicy
from core.models.errors import ModelCallError, classify_exception, redact
from core.models.failures import RETRYABLE, FailureClass
from core.models.ledger import LedgerEntry, LedgerTotals, summarize
from core.models.messages import image_data_uri, image_message, system_message, text_message
from core.models.profiles import (
    KeyStatus,
    ModelProfile,
    ProfileConfig,
    ProfileError,
    find_config_path,
    load_profiles,
    resolve_model,
)

__all__ = [
    "RETRYABLE",
    "BudgetGuard",
    "ChatResult",
    "FailureClass",
    "ImageResult",
    "KeyStatus",
    "LedgerEntry",
    "LedgerTotals",
    "ModelCallError",
    "ModelClient",
    "ModelProfile",
    "ProfileConfig",
    "ProfileError",
    "ResponseCache",
    "RetryPolicy",
    "cache_key",
    "classify_exception",
    "find_config_path",
    "image_data_uri",
    "image_message",
    "load_profiles",
    "redact",
    "resolve_model",
    "summarize",
    "system_message",
    "text_message",
]
