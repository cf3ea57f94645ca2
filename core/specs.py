"""Specs of pluggable components: a registered name plus parameters, stored with every run.

A spec is frozen and canonical: equal specs give equal JSON and the same fingerprint, so a stored
run names exactly which generator or evaluator (and settings) made it, and a resumed job can
refuse to mix two specs in one run. Parameters are JSON values, never secrets.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, ClassVar, Self


@dataclass(frozen=True)
class ComponentSpec:
    name: str
    params: tuple[tuple[str, Any], ...] = ()

    role: ClassVar[str] = "component"
    """The JSON key naming the component ("generator", "evaluator")."""

    @classmethod
    def create(cls, name: str, **params: Any) -> Self:
        return cls(name, tuple(sorted(params.items())))

    @classmethod
    def from_json(cls, text: str) -> Self:
        data = json.loads(text)
        return cls.create(data[cls.role], **data.get("params", {}))

    def param(self, key: str, default: Any = None) -> Any:
        return dict(self.params).get(key, default)

    def to_json(self) -> str:
        """Canonical JSON (sorted keys): equal specs give equal text."""
        return json.dumps({self.role: self.name, "params": dict(self.params)}, sort_keys=True)

    def fingerprint(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]


def load_plugins(group: str) -> None:
    """Import the modules that installed packages declare under the entry-point ``group``
    (``scigen.generators``, ``scigen.evaluators``), so plugins register the way built-ins do."""
    from importlib.metadata import entry_points

    for entry in entry_points(group=group):
        entry.load()
