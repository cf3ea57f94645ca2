"""Content-addressed cache of model answers: same request, same answer, no second payment.

The key is the sha256 of the profile's fingerprint, the messages (inline images replaced by the
sha256 of their bytes) and every parameter that can change the answer. Each entry is one JSON
file ``<root>/<key[:2]>/<key>.json`` written atomically (temp file + ``os.replace``), so
concurrent writers and a ``kill -9`` leave either the old state or a whole entry. Files, not the
DuckDB store: many job workers write here at once, and DuckDB allows one writer.

Entries hold answers and usage, never keys (the fingerprint is secret-free, and no header or
key is part of the payload).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from core.files import write_text_atomically

__all__ = ["CACHE_VERSION", "ResponseCache", "cache_key"]

# Bump when the payload layout changes, so old entries are ignored rather than misread.
CACHE_VERSION = 1


def cache_key(kind: str, fingerprint: str, request: dict[str, Any]) -> str:
    """sha256 hex of the canonical JSON of what decides the answer."""
    canonical = json.dumps(
        {"v": CACHE_VERSION, "kind": kind, "fingerprint": fingerprint, "request": request},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResponseCache:
    """A folder of cached answers keyed by :func:`cache_key`."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    @classmethod
    def default(cls, home: str | os.PathLike[str] | None = None) -> ResponseCache:
        """``$SCIGEN_HOME/cache/models`` (the workspace's cache folder)."""
        from core.workspace import Workspace

        return cls(Workspace.from_env(home).cache_dir / "models")

    def path_for(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored payload, or None (missing, unreadable or from another cache version)."""
        path = self.path_for(key)
        try:
            with open(path, encoding="utf-8") as handle:
                entry = json.load(handle)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None  # a torn or foreign file is a miss; the next put replaces it
        if not isinstance(entry, dict) or entry.get("v") != CACHE_VERSION or entry.get("key") != key:
            return None
        payload = entry.get("payload")
        return payload if isinstance(payload, dict) else None

    def put(self, key: str, payload: dict[str, Any]) -> Path:
        """Store ``payload`` under ``key`` atomically; returns the file."""
        path = self.path_for(key)
        data = json.dumps({"v": CACHE_VERSION, "key": key, "payload": payload}, ensure_ascii=False)
        return write_text_atomically(path, data)

    def delete(self, key: str) -> bool:
        try:
            self.path_for(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        if not self.root.is_dir():
            return 0
        return sum(1 for _ in self.root.glob("??/*.json"))
