"""Chat messages in the OpenAI format LiteLLM takes, with image parts as ``data:`` URIs.

A message is a plain dict (``{"role": "user", "content": "..."}`` or a content list with
``{"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}`` parts), so callers
can also pass messages they built themselves.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from typing import Any

__all__ = [
    "Message",
    "image_data_uri",
    "image_message",
    "message_images",
    "message_text",
    "messages_for_key",
    "system_message",
    "text_message",
    "validate_messages",
]

Message = dict[str, Any]
_ROLES = {"system", "user", "assistant", "developer", "tool"}


def text_message(text: str, role: str = "user") -> Message:
    return {"role": role, "content": text}


def system_message(text: str) -> Message:
    return {"role": "system", "content": text}


def _mime_of(data: bytes) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    raise ValueError("image bytes are not PNG, JPEG, WebP or GIF (checked the file signature)")


def image_data_uri(image: bytes, mime: str | None = None) -> str:
    """``data:<mime>;base64,...`` for the bytes; the MIME type is read from the signature."""
    return f"data:{mime or _mime_of(image)};base64,{base64.b64encode(image).decode('ascii')}"


def image_message(
    text: str,
    images: bytes | Sequence[bytes],
    *,
    role: str = "user",
    detail: str | None = None,
    text_first: bool = True,
) -> Message:
    """A user message with ``text`` and one or more images (PNG/JPEG/WebP/GIF bytes).

    ``detail`` ("low", "high", "auto") is passed on for providers that read it.
    """
    image_list = [images] if isinstance(images, bytes | bytearray) else list(images)
    if not image_list:
        raise ValueError("image_message needs at least one image")
    image_parts: list[dict[str, Any]] = []
    for image in image_list:
        image_url: dict[str, Any] = {"url": image_data_uri(bytes(image))}
        if detail is not None:
            image_url["detail"] = detail
        image_parts.append({"type": "image_url", "image_url": image_url})
    text_part = {"type": "text", "text": text}
    content = [text_part, *image_parts] if text_first else [*image_parts, text_part]
    return {"role": role, "content": content}


def validate_messages(messages: Sequence[Message]) -> list[Message]:
    """The messages as a list, or ValueError naming the first bad message and field."""
    if isinstance(messages, dict) or isinstance(messages, str):
        raise ValueError("messages must be a list of {'role': ..., 'content': ...} dicts")
    checked = list(messages)
    if not checked:
        raise ValueError("messages is empty")
    for index, message in enumerate(checked):
        if not isinstance(message, dict):
            raise ValueError(f"messages[{index}] must be a dict, got {type(message).__name__}")
        if message.get("role") not in _ROLES:
            raise ValueError(
                f"messages[{index}].role must be one of {sorted(_ROLES)}, got {message.get('role')!r}"
            )
        content = message.get("content")
        if not isinstance(content, str | list):
            raise ValueError(f"messages[{index}].content must be a string or a list of parts")
        if isinstance(content, list):
            for part_index, part in enumerate(content):
                if not isinstance(part, dict) or part.get("type") not in ("text", "image_url"):
                    raise ValueError(
                        f"messages[{index}].content[{part_index}] must be a text or image_url part"
                    )
    return checked


def _image_url(part: dict[str, Any]) -> str:
    image_url = part.get("image_url")
    return str(image_url.get("url", "")) if isinstance(image_url, dict) else str(image_url or "")


def _decode_data_uri(url: str) -> bytes | None:
    if not url.startswith("data:") or ";base64," not in url:
        return None
    try:
        return base64.b64decode(url.split(";base64,", 1)[1])
    except (binascii.Error, ValueError):
        return None


def messages_for_key(messages: Sequence[Message]) -> list[Message]:
    """The messages with each inline image replaced by the sha256 of its bytes: small, stable
    input for a cache key (two different images never share a key, the same image always does)."""
    normalised: list[Message] = []
    for message in messages:
        content = message.get("content")
        if not isinstance(content, list):
            normalised.append(dict(message))
            continue
        parts: list[Any] = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "image_url":
                url = _image_url(part)
                data = _decode_data_uri(url)
                digest = hashlib.sha256(data if data is not None else url.encode()).hexdigest()
                image_url = part.get("image_url")
                extra = (
                    {k: v for k, v in image_url.items() if k != "url"} if isinstance(image_url, dict) else {}
                )
                parts.append({"type": "image_url", "image_sha256": digest, **extra})
            else:
                parts.append(part)
        normalised.append({**message, "content": parts})
    return normalised


def message_text(messages: Sequence[Message]) -> str:
    """All text of the messages joined (for token estimates)."""
    chunks: list[str] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            chunks.append(content)
        elif isinstance(content, list):
            chunks.extend(
                str(part.get("text", ""))
                for part in content
                if isinstance(part, dict) and part.get("type") == "text"
            )
    return "\n".join(chunks)


def message_images(messages: Sequence[Message]) -> int:
    """How many image parts the messages hold."""
    return sum(
        1
        for message in messages
        if isinstance(message.get("content"), list)
        for part in message["content"]
        if isinstance(part, dict) and part.get("type") == "image_url"
    )
