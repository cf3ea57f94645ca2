"""Which problems a run, a listing or a picker covers: one frozen, hashable value.

The store turns a selection into problems (``Store.select_problems``); this module knows no store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.problems.models import SOURCES

__all__ = ["ProblemSelection", "SelectionError"]


class SelectionError(ValueError):
    """A selection naming a problem the store does not hold, or one it cannot tell apart."""


@dataclass(frozen=True)
class ProblemSelection:
    """Which problems: filters AND-ed together, then ``limit``.

    ``subject`` "Physics" includes untyped SeePhys items. ``search`` is a case-insensitive
    substring of the question or the id. ``ids`` holds problem uids (``source:id``) or bare ids
    (``id`` is looked up in every source; one naming problems in two sources is ambiguous unless
    ``source`` is given). With ``ids`` the problems come in that order, otherwise in the store's
    order (source, then id naturally). Frozen and hashable, so cached dashboard calls take it.
    """

    subject: str | None = None
    image_type: str | None = None
    source: str | None = None
    search: str | None = None
    ids: tuple[str, ...] = ()
    limit: int | None = None

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be a positive number, got {self.limit}")
        # Callers pass lists too; a tuple keeps the value hashable.
        object.__setattr__(self, "ids", tuple(self.ids))
        object.__setattr__(self, "search", (self.search or "").strip() or None)

    @property
    def filters(self) -> dict[str, str | None]:
        """The column filters, as the store's problem queries take them."""
        return {"subject": self.subject, "image_type": self.image_type, "source": self.source,
                "search": self.search}

    def id_candidates(self) -> dict[str, list[str]]:
        """Each given id -> the uids it may name (itself when it is a uid)."""
        candidates: dict[str, list[str]] = {}
        for given in self.ids:
            source, _, rest = given.partition(":")
            if rest and source in SOURCES:
                candidates[given] = [given]
            else:
                sources = [self.source] if self.source else list(SOURCES)
                candidates[given] = [f"{source}:{given}" for source in sources]
        return candidates

    def to_dict(self) -> dict[str, Any]:
        """The stored form: equal selections give equal JSON. ``search`` appears only when set,
        so runs stored before it existed still match their own selection on resume."""
        stored: dict[str, Any] = {
            "subject": self.subject,
            "image_type": self.image_type,
            "source": self.source,
            "ids": list(self.ids),
            "limit": self.limit,
        }
        if self.search is not None:
            stored["search"] = self.search
        return stored

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ProblemSelection:
        data = dict(data or {})
        return cls(
            subject=data.get("subject"),
            image_type=data.get("image_type"),
            source=data.get("source"),
            search=data.get("search"),
            ids=tuple(data.get("ids") or ()),
            limit=data.get("limit"),
        )

    def describe(self) -> str:
        parts = [
            f"{name}={value}"
            for name, value in (("subject", self.subject), ("type", self.image_type), ("source", self.source))
            if value
        ]
        if self.search:
            parts.append(f"search={self.search!r}")
        if self.ids:
            parts.append(f"ids={','.join(self.ids[:5])}{',…' if len(self.ids) > 5 else ''}")
        if self.limit is not None:
            parts.append(f"limit={self.limit}")
        return " ".join(parts) or "all problems"
