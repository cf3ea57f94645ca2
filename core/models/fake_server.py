"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks.

It speaks enough of the OpenAI wire format for LiteLLM's ``openai/<name>`` provider with
``api_base=server.api_base``: ``POST /v1/chat/completions`` (text and image parts),
``POST /v1/images/generations`` (``b64_json`` PNGs) and ``GET /v1/models``. Replies come from a
script (consumed first, one item per request) and then from a callable or a fixed string; faults
(429, 500, 503, a hang past the client's timeout, a non-JSON body, empty choices, 401, unknown
model ...) are injected by script or at random with a seeded rate. It counts requests and the
most requests it held at once, so tests can check retries, caching and concurrency limits from
the server's side.

Stdlib only, so a benchmark can start it without the rest of the project::

    with FakeOpenAIServer(reply="pong", latency_s=0.2) as server:
        profile = ModelProfile(name="fake", model="openai/fake-model", api_base=server.api_base)
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import struct
import threading
import time
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "DEFAULT_RANDOM_FAULTS",
    "ErrorReply",
    "FakeOpenAIServer",
    "Fault",
    "ReceivedRequest",
    "ScriptedReply",
    "solid_png",
]


class Fault(StrEnum):
    """A failure the server can be told to produce instead of a normal answer."""

    RATE_LIMIT = "rate_limit"  # 429 with a Retry-After header
    SERVER_ERROR = "server_error"  # 500
    UNAVAILABLE = "unavailable"  # 503
    HANG = "hang"  # answers only after ``hang_s`` (set it past the client's timeout)
    GARBAGE = "garbage"  # 200 with a non-JSON body
    EMPTY_CHOICES = "empty_choices"  # 200 JSON whose ``choices`` list is empty
    AUTH = "auth"  # 401 invalid key
    UNKNOWN_MODEL = "unknown_model"  # 404 model_not_found
    BAD_REQUEST = "bad_request"  # 400 invalid request
    CONTENT_FILTER = "content_filter"  # 400 content policy violation


# The faults issue 4 asks a job to survive at a 20 % rate.
DEFAULT_RANDOM_FAULTS: tuple[Fault, ...] = (Fault.RATE_LIMIT, Fault.SERVER_ERROR, Fault.HANG, Fault.GARBAGE)


@dataclass(frozen=True)
class ScriptedReply:
    """A chat answer with explicit details; a plain ``str`` reply means ``ScriptedReply(content=str)``."""

    content: str
    finish_reason: str = "stop"
    prompt_tokens: int | None = None  # None: counted from the request
    completion_tokens: int | None = None  # None: counted from ``content``


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error with a custom message, for replies a :class:`Fault` does not cover."""

    status: int
    message: str
    code: str | None = None
    kind: str = "invalid_request_error"


@dataclass
class ReceivedRequest:
    """What the server saw in one POST; image parts are decoded so tests can compare bytes."""

    path: str
    model: str
    body: dict[str, Any]
    texts: list[str] = field(default_factory=list)
    images: list[bytes] = field(default_factory=list)
    had_authorization: bool = False

    @property
    def prompt(self) -> str:
        """The image-generation prompt (empty for chat requests)."""
        return str(self.body.get("prompt", ""))


ChatReply = str | ScriptedReply | Fault | ErrorReply
ImageReply = bytes | Fault | ErrorReply


def solid_png(width: int = 64, height: int = 64, rgb: tuple[int, int, int] = (30, 90, 200)) -> bytes:
    """A valid PNG of one colour with a diagonal line, made with zlib only."""
    width, height = max(1, min(width, 2048)), max(1, min(height, 2048))
    line_rgb = bytes((255 - rgb[0], 255 - rgb[1], 255 - rgb[2]))
    base_row = bytes(rgb) * width
    rows = []
    for y in range(height):
        x = min(width - 1, y * width // height)
        row = base_row[: 3 * x] + line_rgb + base_row[3 * x + 3 :]
        rows.append(b"\x00" + row)  # filter type 0 per scanline

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
        + chunk(b"IEND", b"")
    )


def _decode_data_uri(url: str) -> bytes | None:
    if not url.startswith("data:") or ";base64," not in url:
        return None
    try:
        return base64.b64decode(url.split(";base64,", 1)[1], validate=False)
    except (binascii.Error, ValueError):
        return None


def _count_tokens(text: str) -> int:
    # Whitespace words: deterministic and good enough for ledger tests.
    return len(text.split())


class FakeOpenAIServer:
    """An OpenAI-compatible server on an ephemeral loopback port; use it as a context manager.

    Parameters
    ----------
    reply:
        The chat answer once ``script`` is used up: a string, or a callable receiving the
        :class:`ReceivedRequest` and returning a string, :class:`ScriptedReply` or :class:`Fault`.
    script:
        Chat replies consumed in order, one per chat request, before ``reply`` is used. An item
        is a string, a :class:`ScriptedReply`, a :class:`Fault` or an :class:`ErrorReply`.
    image_reply, image_script:
        The same for ``/v1/images/generations``; the default draws a PNG of the requested size.
    latency_s:
        Delay before every answer (also before faults), like a slow model.
    fault_rate, fault_kinds, seed:
        After the script, each request fails with probability ``fault_rate`` with one of
        ``fault_kinds`` (a seeded generator, so runs are reproducible).
    hang_s:
        How long a :attr:`Fault.HANG` request waits before answering; the server's ``stop()``
        releases hung requests at once.
    models:
        Model names served; requests for another model get 404 ``model_not_found``. ``None``
        accepts any name.
    api_key:
        When set, requests must carry ``Authorization: Bearer <api_key>`` or get 401.
    """

    def __init__(
        self,
        reply: str | Callable[[ReceivedRequest], ChatReply] = "OK",
        *,
        script: Iterable[ChatReply] = (),
        image_reply: Callable[[ReceivedRequest], ImageReply] | None = None,
        image_script: Iterable[ImageReply] = (),
        latency_s: float = 0.0,
        fault_rate: float = 0.0,
        fault_kinds: Sequence[Fault] = DEFAULT_RANDOM_FAULTS,
        seed: int = 0,
        hang_s: float = 30.0,
        models: Sequence[str] | None = None,
        api_key: str | None = None,
    ) -> None:
        self.reply = reply
        self.image_reply = image_reply
        self.latency_s = latency_s
        self.fault_rate = fault_rate
        self.fault_kinds = tuple(fault_kinds)
        self.hang_s = hang_s
        self.models = list(models) if models is not None else None
        self._api_key = api_key
        self._script: deque[ChatReply] = deque(script)
        self._image_script: deque[ImageReply] = deque(image_script)
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._in_flight = 0
        self.max_in_flight = 0
        self.requests: list[ReceivedRequest] = []
        self.counts: Counter[str] = Counter()  # by path
        self.faults_served: Counter[Fault] = Counter()
        self.request_times: list[float] = []  # time.monotonic() when each POST arrived
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeOpenAIServer:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()  # wakes hung and sleeping handlers
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---- addresses and counters --------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeOpenAIServer is not running; use it as a context manager")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """What a profile's ``api_base`` should be (LiteLLM appends ``/chat/completions``)."""
        return f"{self.url}/v1"

    @property
    def request_count(self) -> int:
        """POST requests received (chat and image), including those answered with a fault."""
        with self._lock:
            return sum(count for path, count in self.counts.items() if path != "/v1/models")

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def push_script(self, *replies: ChatReply) -> None:
        """Append chat replies to the script."""
        with self._lock:
            self._script.extend(replies)

    def reset_counters(self) -> None:
        with self._lock:
            self.requests.clear()
            self.counts.clear()
            self.faults_served.clear()
            self.request_times.clear()
            self.max_in_flight = 0

    # ---- decisions (called from handler threads) ---------------------------------------------

    def _enter(self, received: ReceivedRequest) -> None:
        with self._lock:
            self.requests.append(received)
            self.counts[received.path] += 1
            self.request_times.append(time.monotonic())
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _random_fault(self) -> Fault | None:
        if self.fault_rate <= 0 or not self.fault_kinds:
            return None
        if self._random.random() < self.fault_rate:
            return self._random.choice(self.fault_kinds)
        return None

    def _next_chat_reply(self, received: ReceivedRequest) -> ChatReply:
        with self._lock:
            if self._script:
                return self._script.popleft()
            fault = self._random_fault()
        if fault is not None:
            return fault
        return self.reply(received) if callable(self.reply) else self.reply

    def _next_image_reply(self, received: ReceivedRequest) -> ImageReply:
        with self._lock:
            if self._image_script:
                return self._image_script.popleft()
            fault = self._random_fault()
        if fault is not None:
            return fault
        if self.image_reply is not None:
            return self.image_reply(received)
        width, height = _parse_size(str(received.body.get("size") or "64x64"))
        return solid_png(width, height)


def _parse_size(size: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in size.lower().split("x", 1))
    except ValueError:
        return 64, 64
    return width, height


def _error_body(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


_FAULT_RESPONSES: dict[Fault, tuple[int, dict[str, Any]]] = {
    Fault.RATE_LIMIT: (
        429,
        _error_body("Rate limit reached, retry later.", "rate_limit_error", "rate_limit"),
    ),
    Fault.SERVER_ERROR: (500, _error_body("The server had an error.", "server_error")),
    Fault.UNAVAILABLE: (503, _error_body("The server is overloaded.", "server_error")),
    Fault.AUTH: (401, _error_body("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")),
    Fault.BAD_REQUEST: (400, _error_body("Invalid request: bad parameter.", "invalid_request_error")),
    Fault.CONTENT_FILTER: (
        400,
        _error_body(
            "The response was filtered due to the prompt triggering content management policy.",
            "invalid_request_error",
            "content_filter",
        ),
    ),
}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAIServer  # set on the bound subclass
    protocol_version = "HTTP/1.1"  # keep-alive, like a real server; every reply has Content-Length
    disable_nagle_algorithm = True  # headers and body go out in two writes; no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # quiet: tests and benchmarks print their own summaries

    # ---- plumbing ----------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str = "application/json", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout); nothing to do

    def _send_json(self, status: int, payload: dict[str, Any], **headers: str) -> None:
        self._send(status, json.dumps(payload).encode(), **headers)

    def _read_json(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return None
        return body if isinstance(body, dict) else None

    def _authorized(self) -> bool:
        expected = self.fake._api_key
        if expected is None:
            return True
        return self.headers.get("Authorization", "") == f"Bearer {expected}"

    @staticmethod
    def _route(path: str) -> str:
        path = path.split("?", 1)[0].rstrip("/")
        return path if path.startswith("/v1/") else "/v1" + path

    # ---- verbs -------------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        route = self._route(self.path)
        with self.fake._lock:
            self.fake.counts[route] += 1
        if route != "/v1/models":
            self._send_json(404, _error_body(f"no route {route}", "invalid_request_error"))
            return
        if not self._authorized():
            self._send_json(*_FAULT_RESPONSES[Fault.AUTH])
            return
        names = self.fake.models if self.fake.models is not None else ["fake-model"]
        data = [{"id": name, "object": "model", "created": 0, "owned_by": "scigen-fake"} for name in names]
        self._send_json(200, {"object": "list", "data": data})

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        route = self._route(self.path)
        body = self._read_json()
        if body is None:
            self._send_json(400, _error_body("request body is not JSON", "invalid_request_error"))
            return
        received = _received(route, body, had_authorization="Authorization" in self.headers)
        self.fake._enter(received)
        try:
            if self.fake.latency_s > 0:
                self.fake._stopping.wait(self.fake.latency_s)
            if not self._authorized():
                self._send_json(*_FAULT_RESPONSES[Fault.AUTH])
            elif self.fake.models is not None and received.model not in self.fake.models:
                message = f"The model `{received.model}` does not exist or you do not have access to it."
                self._send_json(404, _error_body(message, "invalid_request_error", "model_not_found"))
            elif route == "/v1/chat/completions":
                self._answer_chat(received)
            elif route == "/v1/images/generations":
                self._answer_image(received)
            else:
                self._send_json(404, _error_body(f"no route {route}", "invalid_request_error"))
        finally:
            self.fake._leave()

    def _answer_fault(self, fault: Fault) -> None:
        with self.fake._lock:
            self.fake.faults_served[fault] += 1
        if fault is Fault.HANG:
            self.fake._stopping.wait(self.fake.hang_s)
            self._send_json(500, _error_body("answered after hanging", "server_error"))
        elif fault is Fault.GARBAGE:
            self._send(200, b"<html><body>upstream proxy garbage", content_type="text/html")
        elif fault is Fault.EMPTY_CHOICES:
            self._send_json(
                200,
                {
                    "id": "chatcmpl-empty",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": "fake",
                    "choices": [],
                    "data": [],
                },
            )
        elif fault is Fault.UNKNOWN_MODEL:
            self._send_json(
                404, _error_body("The model does not exist.", "invalid_request_error", "model_not_found")
            )
        elif fault is Fault.RATE_LIMIT:
            self._send_json(*_FAULT_RESPONSES[fault], Retry_After="0")
        else:
            self._send_json(*_FAULT_RESPONSES[fault])

    def _answer_chat(self, received: ReceivedRequest) -> None:
        reply = self.fake._next_chat_reply(received)
        if isinstance(reply, Fault):
            self._answer_fault(reply)
            return
        if isinstance(reply, ErrorReply):
            self._send_json(reply.status, _error_body(reply.message, reply.kind, reply.code))
            return
        scripted = reply if isinstance(reply, ScriptedReply) else ScriptedReply(content=str(reply))
        content, finish_reason = scripted.content, scripted.finish_reason
        max_tokens = received.body.get("max_completion_tokens") or received.body.get("max_tokens")
        words = content.split(" ")
        if isinstance(max_tokens, int) and 0 < max_tokens < len(words):
            content, finish_reason = " ".join(words[:max_tokens]), "length"
        prompt_tokens = scripted.prompt_tokens
        if prompt_tokens is None:
            prompt_tokens = sum(_count_tokens(text) for text in received.texts) + 85 * len(received.images)
        completion_tokens = scripted.completion_tokens
        if completion_tokens is None:
            completion_tokens = max(1, _count_tokens(content))
        with self.fake._lock:
            number = self.fake.counts["/v1/chat/completions"]
        payload = {
            "id": f"chatcmpl-fake-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": received.model,
            "system_fingerprint": "fake",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        self._send_json(200, payload)

    def _answer_image(self, received: ReceivedRequest) -> None:
        count = int(received.body.get("n") or 1)
        images: list[str] = []
        for _ in range(max(1, min(count, 8))):
            reply = self.fake._next_image_reply(received)
            if isinstance(reply, Fault):
                self._answer_fault(reply)
                return
            if isinstance(reply, ErrorReply):
                self._send_json(reply.status, _error_body(reply.message, reply.kind, reply.code))
                return
            images.append(base64.b64encode(reply).decode("ascii"))
        data = [{"b64_json": image, "revised_prompt": received.prompt} for image in images]
        self._send_json(200, {"created": int(time.time()), "data": data})


def _received(route: str, body: dict[str, Any], *, had_authorization: bool) -> ReceivedRequest:
    received = ReceivedRequest(
        path=route, model=str(body.get("model", "")), body=body, had_authorization=had_authorization
    )
    if "prompt" in body:
        received.texts.append(str(body["prompt"]))
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            received.texts.append(content)
        elif isinstance(content, list):
            for part in content:
                if not isinstance(part, dict):
                    continue
                if part.get("type") == "text":
                    received.texts.append(str(part.get("text", "")))
                elif part.get("type") == "image_url":
                    image_url = part.get("image_url")
                    url = image_url.get("url", "") if isinstance(image_url, dict) else str(image_url or "")
                    decoded = _decode_data_uri(url)
                    if decoded is not None:
                        received.images.append(decoded)
    return received
