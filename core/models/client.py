"""The model client: every LiteLLM call of the project goes through here.

``await client.chat(profile, messages)`` and ``await client.image(profile, prompt)`` add, around
``litellm.acompletion`` / ``litellm.aimage_generation``:

- the content-addressed cache (a hit costs nothing and makes no request);
- the budget guard (refuses to *start* a call that could pass ``--max-cost``);
- per-profile concurrency, requests-per-minute and tokens-per-minute limits (process-wide, or
  cluster-wide when the engine installs a provider in :mod:`core.models.limits`); a 429 backs
  every later call of the profile off, not just the one that got it;
- a per-attempt timeout, and bounded retries with exponential backoff and jitter on 429, 5xx,
  timeouts, connection errors and unusable 200 answers; other failures fail at once;
- a :class:`~core.models.ledger.LedgerEntry` for every call, returned with the result, attached
  to the raised :class:`~core.models.errors.ModelCallError`, and passed to ``on_ledger``.

Keys are read from the environment at call time and handed to LiteLLM only; results, ledger
entries, cache files, error messages and logs never contain them.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import logging
import math
import os
import random
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from core.models._litellm import litellm_module
from core.models.budget import BudgetGuard, BudgetReservation
from core.models.cache import ResponseCache, cache_key
from core.models.errors import ModelCallError, classify_exception, redact, retry_after_seconds
from core.models.failures import RETRYABLE, FailureClass
from core.models.ledger import LedgerEntry
from core.models.limits import limits_for
from core.models.messages import Message, message_images, message_text, messages_for_key, validate_messages
from core.models.profiles import ModelProfile, ProfileConfig, load_profiles, resolve_model
from core.serving import refuse_in_viewer

__all__ = ["ChatResult", "ImageResult", "ModelClient", "RetryPolicy"]

log = logging.getLogger("scigen.models")
T = TypeVar("T")

# Budget estimates: an image part is priced as this many input tokens (above OpenAI's 765 for a
# 1024x1024 high-detail tile set, near Anthropic's ~1600 for a megapixel), text at 3 chars/token.
IMAGE_TOKEN_ALLOWANCE = 1600
CHARS_PER_TOKEN_ESTIMATE = 3.0
DEFAULT_OUTPUT_TOKENS = 4096


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff between attempts: ``base * 2**retry`` capped at ``max``, the last ``jitter``
    fraction random; a server's ``Retry-After`` is honoured up to ``max_retry_after_s``."""

    base_delay_s: float = 1.0
    max_delay_s: float = 30.0
    jitter: float = 0.5
    max_retry_after_s: float = 60.0

    def delay(
        self, retry_index: int, retry_after_s: float | None = None, rng: random.Random | None = None
    ) -> float:
        rng = rng or random
        base = min(self.max_delay_s, self.base_delay_s * (2**retry_index))
        delay = base * (1.0 - self.jitter) + base * self.jitter * rng.random()
        if retry_after_s is not None:
            delay = max(delay, min(retry_after_s, self.max_retry_after_s))
        return delay


class ChatResult(BaseModel):
    """A chat answer with its ledger entry."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="The assistant's reply.")
    finish_reason: str | None = Field(default=None, description="stop, length (hit max_tokens) ...")
    model: str = Field(description="The LiteLLM model string called.")
    ledger: LedgerEntry = Field(description="Tokens, cost, latency, cache and retry facts of the call.")

    @property
    def cached(self) -> bool:
        return self.ledger.cached

    @property
    def cost_usd(self) -> float | None:
        return self.ledger.cost_usd

    @property
    def truncated(self) -> bool:
        """True when the answer stopped at ``max_tokens``."""
        return self.finish_reason == "length"


class ImageResult(BaseModel):
    """Generated images (encoded bytes, PNG for most providers) with the call's ledger entry."""

    model_config = ConfigDict(frozen=True, ser_json_bytes="base64", val_json_bytes="base64")

    images: list[bytes] = Field(description="Encoded image files, one per generated image.")
    revised_prompts: list[str | None] = Field(default_factory=list, description="Provider-rewritten prompts.")
    model: str = Field(description="The LiteLLM model string called.")
    ledger: LedgerEntry = Field(description="Cost, latency, cache and retry facts of the call.")

    @property
    def image(self) -> bytes:
        """The first image."""
        return self.images[0]

    @property
    def cached(self) -> bool:
        return self.ledger.cached


class _Unusable(Exception):
    """A 200 answer that cannot be used (empty choices, no content, not an image)."""

    def __init__(self, failure_class: FailureClass, message: str) -> None:
        super().__init__(message)
        self.failure_class = failure_class


@dataclass
class _Outcome:
    value: Any
    attempts: int
    wait_s: float
    retry_classes: list[FailureClass]


class _BackgroundLoop:
    """The one event loop, in a daemon thread, on which every LiteLLM request runs.

    LiteLLM binds its HTTP sessions and its logging worker to the loop that first uses them;
    callers' loops come and go (each ``asyncio.run``), so requests hop to this long-lived loop
    and the caller awaits the result. The sync wrappers run whole calls here too, which also
    makes them usable from code that already runs a loop (notebooks, Streamlit).
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():  # a forked child gets its own
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="scigen-models-loop", daemon=True)
                thread.start()
                self._loop, self._thread, self._pid = loop, thread, os.getpid()
            return self._loop

    def run_sync(self, coroutine: Coroutine[Any, Any, T]) -> T:
        loop = self.loop()
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("a sync model call from inside the models loop; use `await client.chat(...)`")
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    async def run_async(self, coroutine: Coroutine[Any, Any, T]) -> T:
        loop = self.loop()
        if asyncio.get_running_loop() is loop:
            return await coroutine
        # Cancelling the caller's await (a timeout) cancels the request on the background loop.
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, loop))


_BACKGROUND = _BackgroundLoop()


def _trim(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_ERROR_PREFIX = re.compile(r"^(?:litellm\.)?\w*(?:Error|Exception|Timeout)\s*[:\-]\s*")


def _describe(exc: BaseException) -> str:
    """``Type: message`` without LiteLLM's repeated prefixes, plus the root cause for transport errors."""
    text = str(exc)
    while True:
        stripped = _ERROR_PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    text = f"{type(exc).__name__}: {text or type(exc).__name__}"
    root = exc
    for _ in range(12):
        following = root.__cause__ or root.__context__
        if following is None:
            break
        root = following
    if root is not exc and isinstance(root, OSError | asyncio.TimeoutError | TimeoutError):
        text += f" (cause: {type(root).__name__}: {root})"
    return _trim(text)


_SECRET_ARGUMENTS = {"api_key", "headers", "extra_headers", "authorization", "aws_secret_access_key"}


def _refuse_secret_arguments(extra: dict[str, Any] | None) -> None:
    """Keys travel only through ``api_key_env``; anything else could reach the cache key or logs."""
    for name in extra or {}:
        if name.lower() in _SECRET_ARGUMENTS or name.lower().endswith("_key"):
            raise ValueError(
                f"extra argument {name!r} is not allowed: keys come only from the environment "
                f"variable named by the profile's api_key_env"
            )


def _token_estimate(messages: list[Message], max_tokens: int | None) -> int:
    """Tokens a chat call may use, for a tokens-per-minute limit: the prompt estimated from its text
    and images, plus the answer's cap (providers count ``max_tokens`` against the quota too)."""
    tokens_in = math.ceil(len(message_text(messages)) / CHARS_PER_TOKEN_ESTIMATE) + 8 * len(messages)
    tokens_in += IMAGE_TOKEN_ALLOWANCE * message_images(messages)
    return tokens_in + (max_tokens or 0)


def _image_bytes_ok(data: bytes) -> bool:
    return (
        data.startswith(b"\x89PNG\r\n\x1a\n")
        or data.startswith(b"\xff\xd8\xff")
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
        or data[:6] in (b"GIF87a", b"GIF89a")
    )


class ModelClient:
    """Calls models through LiteLLM with cache, budget, limits, retries and a ledger.

    Parameters
    ----------
    cache:
        ``None``: the workspace cache (``$SCIGEN_HOME/cache/models``); ``False``: no cache;
        or a :class:`ResponseCache`.
    use_cache:
        Default for calls that do not say (``--no-cache`` sets it False: calls still *write*
        the cache, they only stop reading it).
    budget:
        A :class:`BudgetGuard` shared by the calls of a run (``--max-cost``).
    retry:
        Backoff between attempts; the number of retries comes from the profile.
    on_ledger:
        Called with every :class:`LedgerEntry` (ok, failed, cached, refused).
    config:
        Profiles for names given as strings (default: :func:`load_profiles` on first use).
    """

    def __init__(
        self,
        *,
        cache: ResponseCache | Literal[False] | None = None,
        use_cache: bool = True,
        budget: BudgetGuard | None = None,
        retry: RetryPolicy | None = None,
        on_ledger: Callable[[LedgerEntry], None] | None = None,
        config: ProfileConfig | None = None,
        home: str | None = None,
        seed: int | None = None,
    ) -> None:
        refuse_in_viewer("call a model")  # a shared read-only dashboard never spends or reads keys
        self.cache: ResponseCache | None = (
            None if cache is False else cache if cache is not None else ResponseCache.default(home)
        )
        self.use_cache = use_cache
        self.budget = budget
        self.retry = retry or RetryPolicy()
        self.on_ledger = on_ledger
        self._config = config
        self._home = home
        self._rng = random.Random(seed)
        self._price_cache: dict[str, tuple[float, float] | None] = {}
        self._unpriced_models: set[str] = set()

    # ---- profiles ----------------------------------------------------------------------------

    def resolve(self, profile: ModelProfile | str) -> ModelProfile:
        """A profile object for a profile name or a raw LiteLLM model string."""
        if isinstance(profile, ModelProfile):
            return profile
        if self._config is None:
            self._config = load_profiles(home=self._home)
        return resolve_model(profile, config=self._config, home=self._home)

    # ---- chat --------------------------------------------------------------------------------

    async def chat(
        self,
        profile: ModelProfile | str,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        response_format: dict[str, Any] | None = None,
        seed: int | None = None,
        stop: list[str] | None = None,
        sample: int = 0,
        use_cache: bool | None = None,
        timeout_s: float | None = None,
        max_retries: int | None = None,
        mock_response: str | Exception | None = None,
        extra: dict[str, Any] | None = None,
    ) -> ChatResult:
        """One chat completion. Raises :class:`ModelCallError` (with ``.ledger``) on failure.

        ``temperature`` / ``max_tokens`` override the profile's. ``sample`` numbers distinct
        samples of the same prompt (each is cached separately). ``mock_response`` is LiteLLM's
        test hook: no request is made, the string (or exception) is the answer.
        """
        resolved = self.resolve(profile)
        try:
            checked = validate_messages(messages)
        except ValueError as exc:
            raise ModelCallError(
                FailureClass.BAD_REQUEST, str(exc), profile=resolved.name, model=resolved.model
            ) from None
        _refuse_secret_arguments(extra)
        params = resolved.params_dict()
        chosen_temperature = temperature if temperature is not None else resolved.temperature
        chosen_max_tokens = max_tokens if max_tokens is not None else resolved.max_tokens
        for name, value in (
            ("temperature", chosen_temperature),
            ("max_tokens", chosen_max_tokens),
            ("response_format", response_format),
            ("seed", seed),
            ("stop", stop),
        ):
            if value is not None:
                params[name] = value
        params.update(extra or {})
        key = cache_key(
            "chat",
            resolved.fingerprint(),
            {
                "messages": messages_for_key(checked),
                "params": params,
                "sample": sample,
                "mock": None if mock_response is None else repr(mock_response),
            },
        )
        base, clock = self._ledger_base("chat", resolved, key)
        hit = self._cache_hit(key, use_cache)
        if hit is not None and isinstance(hit.get("text"), str):
            entry = self._cache_hit_entry(
                base, clock, tokens_in=hit.get("tokens_in"), tokens_out=hit.get("tokens_out"),
                finish_reason=hit.get("finish_reason"),
            )
            return ChatResult(
                text=hit["text"],
                finish_reason=hit.get("finish_reason"),
                model=resolved.model,
                ledger=entry,
            )

        reservation = await self._reserve(
            resolved, base, clock, self._estimate_chat(resolved, checked, chosen_max_tokens)
        )
        api_key = self._api_key(resolved, base, clock, reservation, mocked=mock_response is not None)
        litellm = litellm_module()
        timeout = float(timeout_s if timeout_s is not None else resolved.timeout_s)
        call_args = self._call_args(resolved, timeout, api_key, mock_response, messages=checked, **params)

        def usable(response: Any) -> tuple[str, str | None, Any]:
            choices = getattr(response, "choices", None) or []
            if not choices:
                raise _Unusable(FailureClass.INVALID_RESPONSE, "the answer has no choices")
            choice = choices[0]
            finish_reason = getattr(choice, "finish_reason", None)
            if finish_reason == "content_filter":
                raise _Unusable(
                    FailureClass.CONTENT_FILTER, "the provider's content filter stopped the answer"
                )
            content = getattr(getattr(choice, "message", None), "content", None)
            if not isinstance(content, str):
                raise _Unusable(FailureClass.INVALID_RESPONSE, "the answer has no text content")
            return content, finish_reason, response

        outcome = await self._call(
            resolved, base, clock, reservation, lambda: litellm.acompletion(**call_args), usable,
            timeout=timeout, max_retries=max_retries, api_key=api_key,
            tokens=_token_estimate(checked, chosen_max_tokens),
        )
        text, finish_reason, response = outcome.value
        usage = getattr(response, "usage", None)
        tokens_in = getattr(usage, "prompt_tokens", None)
        tokens_out = getattr(usage, "completion_tokens", None)
        cost = self._chat_cost(resolved, response, tokens_in, tokens_out)
        entry = self._answered(
            base, clock, reservation, outcome, cost,
            cached={"text": text, "finish_reason": finish_reason, "tokens_in": tokens_in, "tokens_out": tokens_out},
            tokens_in=tokens_in, tokens_out=tokens_out, finish_reason=finish_reason,
        )
        return ChatResult(text=text, finish_reason=finish_reason, model=resolved.model, ledger=entry)

    # ---- images ------------------------------------------------------------------------------

    async def image(
        self,
        profile: ModelProfile | str,
        prompt: str,
        *,
        size: str | None = "1024x1024",
        n: int = 1,
        quality: str | None = None,
        sample: int = 0,
        use_cache: bool | None = None,
        timeout_s: float | None = None,
        max_retries: int | None = None,
        mock_response: bytes | None = None,
        extra: dict[str, Any] | None = None,
    ) -> ImageResult:
        """Text-to-image. Raises :class:`ModelCallError` (with ``.ledger``) on failure.

        ``mock_response`` (image bytes) goes through LiteLLM's mock path: no request is made.
        """
        resolved = self.resolve(profile)
        if not prompt.strip():
            raise ModelCallError(
                FailureClass.BAD_REQUEST, "image prompt is empty", profile=resolved.name, model=resolved.model
            )
        _refuse_secret_arguments(extra)
        params: dict[str, Any] = {
            key: value
            for key, value in resolved.params_dict().items()
            if key not in ("temperature", "max_tokens", "top_p", "seed", "stop")
        }
        for name, value in (("size", size), ("n", n if n != 1 else None), ("quality", quality)):
            if value is not None:
                params[name] = value
        params.update(extra or {})
        key = cache_key(
            "image",
            resolved.fingerprint(),
            {
                "prompt": prompt,
                "params": params,
                "sample": sample,
                "mock": None if mock_response is None else base64.b64encode(mock_response).decode()[:64],
            },
        )
        base, clock = self._ledger_base("image", resolved, key)
        hit = self._cache_hit(key, use_cache)
        if hit is not None and isinstance(hit.get("images_b64"), list):
            images = [base64.b64decode(item) for item in hit["images_b64"]]
            entry = self._cache_hit_entry(base, clock, images_out=len(images))
            return ImageResult(
                images=images,
                revised_prompts=hit.get("revised_prompts") or [None] * len(images),
                model=resolved.model,
                ledger=entry,
            )

        reservation = await self._reserve(
            resolved, base, clock, self._estimate_image(resolved, n, size, quality)
        )
        api_key = self._api_key(resolved, base, clock, reservation, mocked=mock_response is not None)
        litellm = litellm_module()
        timeout = float(timeout_s if timeout_s is not None else resolved.timeout_s)
        mock_url = None if mock_response is None else f"data:image/png;base64,{base64.b64encode(mock_response).decode()}"
        call_args = self._call_args(resolved, timeout, api_key, mock_url, prompt=prompt, **params)

        async def invoke() -> tuple[Any, list[bytes]]:
            response = await litellm.aimage_generation(**call_args)
            return response, await self._image_payloads(response, timeout)

        def usable(value: tuple[Any, list[bytes]]) -> tuple[Any, list[bytes]]:
            response, images = value
            if not images:
                raise _Unusable(FailureClass.INVALID_RESPONSE, "the answer holds no image")
            if not all(_image_bytes_ok(image) for image in images):
                raise _Unusable(FailureClass.INVALID_RESPONSE, "the answer's image is not PNG/JPEG/WebP/GIF")
            return response, images

        outcome = await self._call(
            resolved, base, clock, reservation, invoke, usable,
            timeout=timeout, max_retries=max_retries, api_key=api_key,
        )
        response, images = outcome.value
        revised = [getattr(item, "revised_prompt", None) for item in (getattr(response, "data", None) or [])]
        cost = self._image_cost(resolved, response, len(images), size, quality)
        usage = getattr(response, "usage", None)
        entry = self._answered(
            base, clock, reservation, outcome, cost,
            cached={
                "images_b64": [base64.b64encode(image).decode("ascii") for image in images],
                "revised_prompts": revised[: len(images)],
            },
            images_out=len(images),
            tokens_in=getattr(usage, "input_tokens", None) or None,
            tokens_out=getattr(usage, "output_tokens", None) or None,
        )
        return ImageResult(
            images=images,
            revised_prompts=(revised + [None] * len(images))[: len(images)],
            model=resolved.model,
            ledger=entry,
        )

    async def _image_payloads(self, response: Any, timeout: float) -> list[bytes]:
        images: list[bytes] = []
        for item in getattr(response, "data", None) or []:
            b64 = getattr(item, "b64_json", None)
            url = getattr(item, "url", None)
            if b64:
                images.append(base64.b64decode(b64))
            elif isinstance(url, str) and url.startswith("data:") and ";base64," in url:
                images.append(base64.b64decode(url.split(";base64,", 1)[1]))
            elif isinstance(url, str) and url.startswith(("http://", "https://")):
                import httpx  # the provider returned a link (DALL-E's default): fetch it once

                async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as http:
                    reply = await http.get(url)
                    reply.raise_for_status()
                    images.append(reply.content)
        return images

    # ---- sync wrappers -----------------------------------------------------------------------

    def chat_sync(
        self, profile: ModelProfile | str, messages: Sequence[Message], **options: Any
    ) -> ChatResult:
        """:meth:`chat` for synchronous code (runs on the client's background loop)."""
        return _BACKGROUND.run_sync(self.chat(profile, messages, **options))

    def image_sync(self, profile: ModelProfile | str, prompt: str, **options: Any) -> ImageResult:
        """:meth:`image` for synchronous code."""
        return _BACKGROUND.run_sync(self.image(profile, prompt, **options))

    def warm_up(self, profile: ModelProfile | str) -> None:
        """Load LiteLLM and ``profile``'s provider path (SDK client, transport) now, without any
        request reaching anyone: one call goes to a loopback port nobody listens on and is refused.
        A long-lived worker pays these seconds at start instead of stalling its first calls, which
        would then leave together and bunch up at the provider despite the rate limit."""
        resolved = self.resolve(profile)
        litellm = litellm_module()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            closed = int(probe.getsockname()[1])
        refused = {**self._call_args(resolved, 5.0, "unused", None, messages=[{"role": "user", "content": "."}]),
                   "api_base": f"http://127.0.0.1:{closed}/v1"}

        async def call() -> None:
            try:
                await litellm.acompletion(**refused)
            except Exception:  # noqa: BLE001 - refused by design
                pass

        _BACKGROUND.run_sync(call())

    def for_job(
        self, *, budget: BudgetGuard | None, on_ledger: Callable[[LedgerEntry], None] | None
    ) -> ModelClient:
        """A client sharing this one's cache, retry policy and profiles whose calls are charged to
        ``budget`` and reported to ``on_ledger`` as well as to this client's own hook; this
        client is left as it was (a job never changes a caller's client)."""
        job_client = copy.copy(self)
        own_hook = self.on_ledger

        def report(entry: LedgerEntry) -> None:
            if on_ledger is not None:
                on_ledger(entry)
            if own_hook is not None:
                own_hook(entry)

        job_client.budget, job_client.on_ledger = budget, report
        return job_client

    def close(self) -> None:
        """Nothing to release today (the background loop is shared and a daemon); kept so
        callers can use the client as a context manager and stay correct if that changes."""

    def __enter__(self) -> ModelClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- the retry loop ----------------------------------------------------------------------

    async def _with_retries(
        self,
        profile: ModelProfile,
        invoke: Callable[[], Coroutine[Any, Any, Any]],
        usable: Callable[[Any], Any],
        *,
        timeout: float,
        max_retries: int,
        secrets: tuple[str | None, ...],
        tokens: int = 0,
    ) -> _Outcome:
        limits = limits_for(
            profile.limit_key(), profile.concurrency, profile.requests_per_minute, profile.tokens_per_minute
        )
        secret_values = [value for value in secrets if value]
        wait_s = 0.0
        retry_classes: list[FailureClass] = []
        attempts = 0
        max_retries = max(0, int(max_retries))
        while True:
            retry_after: float | None = None
            async with limits.slot(tokens) as waited:
                wait_s += waited
                attempts += 1
                try:
                    # The transport enforces `timeout`; this is a backstop should it not.
                    raw = await asyncio.wait_for(_BACKGROUND.run_async(invoke()), timeout=timeout * 2 + 1)
                    return _Outcome(usable(raw), attempts, wait_s, retry_classes)
                except _Unusable as unusable:
                    failure, status, message = unusable.failure_class, None, str(unusable)
                except TimeoutError:
                    failure, status, message = FailureClass.TIMEOUT, None, f"no answer within {timeout:g} s"
                except Exception as exc:  # noqa: BLE001 - every failure is classified, none escapes raw
                    failure, status = classify_exception(exc)
                    message = _describe(exc)
                    if failure is FailureClass.TIMEOUT:
                        message = f"no answer within {timeout:g} s ({message})"
                    retry_after = retry_after_seconds(exc)
            message = redact(message, secret_values)
            if failure not in RETRYABLE or len(retry_classes) >= max_retries:
                if failure in RETRYABLE and max_retries > 0:
                    message = f"{message} (gave up after {attempts} attempts)"
                raise ModelCallError(
                    failure,
                    message,
                    profile=profile.name,
                    model=profile.model,
                    attempts=attempts,
                    status_code=status,
                )
            delay = self.retry.delay(len(retry_classes), retry_after, self._rng)
            if failure is FailureClass.RATE_LIMITED:
                limits.backoff(delay)  # the quota is shared: every caller of the profile waits
            retry_classes.append(failure)
            log.info(
                "model %s attempt %d failed (%s: %s); retrying in %.2f s",
                profile.name,
                attempts,
                failure.value,
                message,
                delay,
            )
            await asyncio.sleep(delay)
            wait_s += delay

    # ---- one call's steps (chat and image alike) ---------------------------------------------

    @staticmethod
    def _ledger_base(kind: str, profile: ModelProfile, key: str) -> tuple[dict[str, Any], float]:
        """The ledger fields every entry of this call shares, and the call's start on the monotonic clock."""
        base = {
            "kind": kind,
            "profile": profile.name,
            "model": profile.model,
            "fingerprint": profile.fingerprint(),
            "cache_key": key,
            "started_at": datetime.now(UTC),
        }
        return base, time.monotonic()

    def _cache_hit(self, key: str, use_cache: bool | None) -> dict[str, Any] | None:
        reading = self.use_cache if use_cache is None else use_cache
        return self.cache.get(key) if reading and self.cache is not None else None

    def _cache_hit_entry(self, base: dict[str, Any], clock: float, **fields: Any) -> LedgerEntry:
        """The ledger entry of an answer served from the cache (free, no request made)."""
        entry = LedgerEntry(
            call_id=uuid.uuid4().hex, latency_s=time.monotonic() - clock, attempts=0, cost_usd=0.0,
            cached=True, ok=True, **fields, **base,
        )
        self._emit(entry)
        return entry

    @staticmethod
    def _call_args(
        profile: ModelProfile, timeout: float, api_key: str | None, mock_response: Any, **payload: Any
    ) -> dict[str, Any]:
        """LiteLLM's arguments: the payload and params, the profile's endpoint and key."""
        call_args: dict[str, Any] = {
            "model": profile.model,
            "timeout": timeout,
            "max_retries": 0,  # retries are ours, bounded and classified
            **payload,
        }
        if profile.api_base:
            call_args["api_base"] = profile.api_base
        if api_key is not None:
            call_args["api_key"] = api_key
        if mock_response is not None:
            call_args["mock_response"] = mock_response
        return call_args

    async def _call(
        self,
        profile: ModelProfile,
        base: dict[str, Any],
        clock: float,
        reservation: BudgetReservation | None,
        invoke: Callable[[], Coroutine[Any, Any, Any]],
        usable: Callable[[Any], Any],
        *,
        timeout: float,
        max_retries: int | None,
        api_key: str | None,
        tokens: int = 0,
    ) -> _Outcome:
        """The request with bounded, classified retries; a failure comes back with its ledger entry."""
        try:
            return await self._with_retries(
                profile,
                invoke,
                usable,
                timeout=timeout,
                max_retries=profile.max_retries if max_retries is None else max_retries,
                secrets=(api_key,),
                tokens=tokens,
            )
        except ModelCallError as error:
            raise self._failed(error, base, clock, reservation) from None
        except BaseException:  # cancelled (a job stopping): free the reservation, record nothing
            self._release(reservation)
            raise

    def _answered(
        self,
        base: dict[str, Any],
        clock: float,
        reservation: BudgetReservation | None,
        outcome: _Outcome,
        cost: float | None,
        *,
        cached: dict[str, Any],
        **fields: Any,
    ) -> LedgerEntry:
        """Settle the budget, cache the answer (``cached`` plus model, cost and provenance) and
        emit the ledger entry of a successful call."""
        if self.budget is not None and reservation is not None:
            self.budget.settle(reservation, cost)
        entry = LedgerEntry(
            call_id=uuid.uuid4().hex,
            latency_s=time.monotonic() - clock,
            wait_s=outcome.wait_s,
            attempts=outcome.attempts,
            cost_usd=cost,
            cached=False,
            ok=True,
            retry_classes=outcome.retry_classes,
            **fields,
            **base,
        )
        if self.cache is not None:
            self._store(
                base["cache_key"],
                {
                    **cached,
                    "model": base["model"],
                    "cost_usd": cost,
                    "fingerprint": base["fingerprint"],
                    "created": base["started_at"].isoformat(),
                },
            )
        self._emit(entry)
        return entry

    # ---- helpers -----------------------------------------------------------------------------

    def _store(self, key: str, payload: dict[str, Any]) -> None:
        """Write an answer to the cache; a full disk must not lose an answer already paid for."""
        assert self.cache is not None
        try:
            self.cache.put(key, payload)
        except OSError as exc:
            log.warning("model cache write failed (%s); the answer is returned uncached", exc)

    def _emit(self, entry: LedgerEntry) -> None:
        if self.on_ledger is not None:
            self.on_ledger(entry)

    def _release(self, reservation: BudgetReservation | None) -> None:
        if self.budget is not None and reservation is not None:
            self.budget.settle(reservation, 0.0, attempted=False)

    def _failed(
        self, error: ModelCallError, base: dict[str, Any], clock: float, reservation: BudgetReservation | None
    ) -> ModelCallError:
        """The error with its ledger entry attached (and the budget reservation released)."""
        # Providers do not bill failed requests; a timed-out one might be, unseen here.
        self._release(reservation)
        entry = LedgerEntry(
            call_id=uuid.uuid4().hex,
            latency_s=time.monotonic() - clock,
            attempts=error.attempts,
            cost_usd=0.0,
            cached=False,
            ok=False,
            failure_class=error.failure_class,
            failure_message=error.message,
            **base,
        )
        error.ledger = entry
        error.profile = error.profile or base["profile"]
        error.model = error.model or base["model"]
        self._emit(entry)
        return error

    async def _reserve(
        self, profile: ModelProfile, base: dict[str, Any], clock: float, estimate: tuple[float | None, str]
    ) -> BudgetReservation | None:
        if self.budget is None:
            return None
        estimate_usd, description = estimate
        try:
            return await self.budget.areserve(estimate_usd, description)
        except ModelCallError as error:
            error.profile, error.model = profile.name, profile.model
            raise self._failed(error, base, clock, None) from None

    def _api_key(
        self,
        profile: ModelProfile,
        base: dict[str, Any],
        clock: float,
        reservation: BudgetReservation | None,
        *,
        mocked: bool,
    ) -> str | None:
        if mocked:
            return profile.api_key()
        status = profile.key_status()
        if status.needed and not status.is_set:
            where = (
                f"profile {profile.name!r} reads its key from"
                if not profile.is_raw
                else (f"LiteLLM reads the key for {profile.model!r} from")
            )
            error = ModelCallError(
                FailureClass.MISSING_KEY,
                f"no key: {where} ${status.env_var}, which is not set; export it "
                f"(any value will do for a local server that checks none)",
                profile=profile.name,
                model=profile.model,
                attempts=0,
            )
            raise self._failed(error, base, clock, reservation)
        return profile.api_key()

    def _prices(self, profile: ModelProfile) -> tuple[float, float] | None:
        """(input, output) USD per token, from the profile or LiteLLM's map; None when unknown."""
        if profile.input_cost_per_mtok is not None and profile.output_cost_per_mtok is not None:
            return profile.input_cost_per_mtok / 1e6, profile.output_cost_per_mtok / 1e6
        if profile.model not in self._price_cache:
            prices: tuple[float, float] | None = None
            try:
                info = litellm_module().get_model_info(profile.model)
                input_price, output_price = (
                    info.get("input_cost_per_token"),
                    info.get("output_cost_per_token"),
                )
                if input_price is not None and output_price is not None:
                    prices = float(input_price), float(output_price)
            except Exception:  # noqa: BLE001 - LiteLLM raises assorted errors for unmapped models
                prices = None
            self._price_cache[profile.model] = prices
        return self._price_cache[profile.model]

    def _max_output_tokens(self, profile: ModelProfile) -> int:
        try:
            info = litellm_module().get_model_info(profile.model)
            value = info.get("max_output_tokens") or info.get("max_tokens")
            return int(value) if value else DEFAULT_OUTPUT_TOKENS
        except Exception:  # noqa: BLE001
            return DEFAULT_OUTPUT_TOKENS

    def _estimate_chat(
        self, profile: ModelProfile, messages: list[Message], max_tokens: int | None
    ) -> tuple[float | None, str]:
        if self.budget is None:
            return None, ""
        tokens_in = math.ceil(len(message_text(messages)) / CHARS_PER_TOKEN_ESTIMATE) + 8 * len(messages)
        tokens_in += IMAGE_TOKEN_ALLOWANCE * message_images(messages)
        tokens_out = max_tokens if max_tokens is not None else self._max_output_tokens(profile)
        description = f"{profile.model}, ~{tokens_in} tokens in + up to {tokens_out} out"
        prices = self._prices(profile)
        if prices is None:
            return None, f"{description}, price unknown"
        return tokens_in * prices[0] + tokens_out * prices[1], description

    def _estimate_image(
        self, profile: ModelProfile, n: int, size: str | None, quality: str | None
    ) -> tuple[float | None, str]:
        if self.budget is None:
            return None, ""
        description = f"{profile.model}, {n} image{'s' if n != 1 else ''} {size or ''}".rstrip()
        if profile.image_cost_usd is not None:
            return profile.image_cost_usd * n, description
        try:
            cost = litellm_module().completion_cost(
                model=profile.model, call_type="image_generation", size=size, quality=quality, n=n
            )
        except Exception:  # noqa: BLE001
            cost = None
        if not cost:  # LiteLLM says 0.0 for token-billed image models it cannot price ahead
            return None, f"{description}, price unknown"
        return float(cost), description

    def _chat_cost(
        self, profile: ModelProfile, response: Any, tokens_in: int | None, tokens_out: int | None
    ) -> float | None:
        if profile.input_cost_per_mtok is not None and profile.output_cost_per_mtok is not None:
            if tokens_in is None or tokens_out is None:
                return None
            return (
                tokens_in * profile.input_cost_per_mtok / 1e6
                + tokens_out * profile.output_cost_per_mtok / 1e6
            )
        hidden = getattr(response, "_hidden_params", None) or {}
        cost = hidden.get("response_cost") if isinstance(hidden, dict) else None
        if cost is None and profile.model not in self._unpriced_models:
            try:
                cost = litellm_module().completion_cost(completion_response=response, model=profile.model)
            except Exception:  # noqa: BLE001 - unmapped model: the price is unknown, not zero
                self._unpriced_models.add(profile.model)  # asking again costs CPU and says the same
                cost = None
        return float(cost) if cost is not None else None

    def _image_cost(
        self, profile: ModelProfile, response: Any, count: int, size: str | None, quality: str | None
    ) -> float | None:
        if profile.image_cost_usd is not None:
            return profile.image_cost_usd * count
        hidden = getattr(response, "_hidden_params", None) or {}
        cost = hidden.get("response_cost") if isinstance(hidden, dict) else None
        if cost is None:
            try:
                cost = litellm_module().completion_cost(
                    completion_response=response,
                    model=profile.model,
                    call_type="image_generation",
                    size=size,
                    quality=quality,
                )
            except Exception:  # noqa: BLE001
                cost = None
        return float(cost) if cost else None  # 0.0 here means "not priced", not "free"
