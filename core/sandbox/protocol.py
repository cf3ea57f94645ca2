"""Wire formats.

* Host <-> warm parent: ``MAGIC | u32 header length | JSON header | blobs``; the header lists the
  blobs' lengths under ``"blobs"``. Both ends are trusted code.
* Script process -> warm parent (the result channel): a sequence of signed frames
  ``CHILD_MAGIC | kind (1 byte) | u32 length | payload | HMAC-SHA256(key, kind|length|payload)``.
  The key is made per render by the warm parent and never written anywhere the script can read
  it; anything on the channel that is not a correctly signed frame marks the render ``forbidden``.
"""

from __future__ import annotations

import hmac
import json
import struct
from dataclasses import dataclass
from typing import BinaryIO

MAGIC = b"SGZ1"
CHILD_MAGIC = b"SGC1"
MAC_LEN = 32
_U32 = struct.Struct(">I")

KIND_RESULT = b"R"
KIND_VIOLATION = b"V"
KIND_MEMORY = b"M"

try:  # the C implementation: nothing in Python a script could patch
    from _hashlib import hmac_digest as _hmac_digest  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - OpenSSL-less builds
    def _hmac_digest(key: bytes, msg: bytes, digest: str) -> bytes:
        return hmac.new(key, msg, digest).digest()


class ProtocolError(Exception):
    """A frame that does not parse."""


def encode_message(header: dict, blobs: tuple[bytes, ...] = ()) -> bytes:
    header = dict(header, blobs=[len(blob) for blob in blobs])
    raw = json.dumps(header, separators=(",", ":")).encode()
    return b"".join((MAGIC, _U32.pack(len(raw)), raw, *blobs))


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) != size:
        raise EOFError("stream closed")
    return data


def read_message(stream: BinaryIO) -> tuple[dict, list[bytes]]:
    """Read one message; EOFError when the stream ends cleanly between messages."""
    head = stream.read(8)
    if not head:
        raise EOFError("stream closed")
    if len(head) != 8 or head[:4] != MAGIC:
        raise ProtocolError(f"bad frame start {head[:8]!r}")
    (size,) = _U32.unpack(head[4:])
    header = json.loads(_read_exact(stream, size))
    blobs = [_read_exact(stream, n) for n in header.pop("blobs", [])]
    return header, blobs


def sign_frame(key: bytes, kind: bytes, payload: bytes, digest=_hmac_digest) -> bytes:
    body = kind + _U32.pack(len(payload)) + payload
    return CHILD_MAGIC + body + digest(key, body, "sha256")


@dataclass(frozen=True)
class ChildFrame:
    kind: bytes
    payload: bytes


def parse_child_frames(data: bytes, key: bytes) -> tuple[list[ChildFrame], str | None]:
    """Split the result channel into verified frames; the second value says what was wrong with
    it (None when every byte belongs to a correctly signed frame)."""
    frames: list[ChildFrame] = []
    pos = 0
    while pos < len(data):
        if data[pos:pos + 4] != CHILD_MAGIC or len(data) - pos < 4 + 1 + 4:
            return frames, "unsigned bytes on the result channel"
        body_start = pos + 4
        (size,) = _U32.unpack(data[body_start + 1:body_start + 5])
        body_end = body_start + 5 + size
        mac_end = body_end + MAC_LEN
        if mac_end > len(data):
            return frames, "truncated frame on the result channel"
        body = data[body_start:body_end]
        if not hmac.compare_digest(_hmac_digest(key, body, "sha256"), data[body_end:mac_end]):
            return frames, "a result frame with a wrong signature"
        frames.append(ChildFrame(kind=body[:1], payload=body[5:]))
        pos = mac_end
    return frames, None


def has_complete_result(data: bytes) -> bool | None:
    """True once a whole result frame is in ``data`` (signature not checked yet), False while
    more is expected, None when the bytes are not frames at all (wait for the process to exit)."""
    pos = 0
    while pos < len(data):
        if len(data) - pos < 9:
            start = data[pos:pos + 4]
            return False if CHILD_MAGIC.startswith(start) else None
        if data[pos:pos + 4] != CHILD_MAGIC:
            return None
        (size,) = _U32.unpack(data[pos + 5:pos + 9])
        end = pos + 9 + size + MAC_LEN
        if end > len(data):
            return False
        if data[pos + 4:pos + 5] == KIND_RESULT:
            return True
        pos = end
    return False


def pack_result(header: dict, png: bytes | None, svg: bytes | None) -> bytes:
    header = dict(header, png_len=len(png or b""), svg_len=len(svg or b""))
    raw = json.dumps(header, separators=(",", ":")).encode()
    return _U32.pack(len(raw)) + raw + (png or b"") + (svg or b"")


def unpack_result(payload: bytes) -> tuple[dict, bytes | None, bytes | None]:
    (size,) = _U32.unpack(payload[:4])
    header = json.loads(payload[4:4 + size])
    pos = 4 + size
    png_len, svg_len = int(header.pop("png_len")), int(header.pop("svg_len"))
    if pos + png_len + svg_len != len(payload):
        raise ProtocolError("result payload length mismatch")
    png = payload[pos:pos + png_len] or None
    svg = payload[pos + png_len:pos + png_len + svg_len] or None
    return header, png, svg
