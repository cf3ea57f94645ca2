"""The import report: per item and quiz, what the importer normalised, dropped or noted, and why.

An entry is one finding. ``normalised`` means the record was kept after an unambiguous repair,
``dropped`` means the quiz was left out, ``noted`` means it was kept exactly as published but is
unusual enough to name (e.g. five options). A quiz may carry several entries (a stray field and
a renamed option key); it counts once, as dropped if any entry dropped it.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Literal

from pydantic import BaseModel, Field

Action = Literal["normalised", "dropped", "noted"]


class ReportEntry(BaseModel):
    """One finding about one item (``quiz_index`` None) or one of its quizzes."""

    item_index: int = Field(
        description="0-based position of the item in the file (JSON array index or JSONL record)."
    )
    item_id: str = Field(description="The item's id as a string ('?' when it has none).")
    line: int | None = Field(default=None, description="1-based line of the item in a JSONL file.")
    quiz_index: int | None = Field(
        default=None, description="0-based position in the item's quizzes; None for item-level findings."
    )
    field: str = Field(description="Where in the record, e.g. 'quizzes[2].options'.")
    action: Action = Field(
        description="normalised (repaired and kept), dropped (left out) or noted (kept as published)."
    )
    reason: str = Field(
        description="A short stable code, e.g. 'option_key_by_position'; see IMPORT_RULES.md."
    )
    detail: str = Field(description="One human sentence: what was found and what was done.")

    def where(self) -> str:
        """``item 17 (id 'x')``, plus ``quizzes[2]`` for quiz findings."""
        place = f"item {self.item_index} (id {self.item_id!r})"
        if self.line is not None:
            place += f" line {self.line}"
        if self.quiz_index is not None:
            place += f" quizzes[{self.quiz_index}]"
        return place


class ImportReport(BaseModel):
    """What one import of one file found; produced without side effects by the importer."""

    file: str = Field(description="Path of the imported file.")
    source: str = Field(description="scigen, seephys or custom.")
    format: Literal["json", "jsonl"] = Field(description="How the file was read.")
    items: int = Field(default=0, description="Items (problems) read from the file.")
    quizzes_published: int = Field(default=0, description="Quizzes in the file as published.")
    entries: list[ReportEntry] = Field(default_factory=list, description="Every finding, in file order.")

    # -- counting ---------------------------------------------------------------------------
    def _quiz_actions(self) -> dict[tuple[int, int], set[str]]:
        actions: dict[tuple[int, int], set[str]] = {}
        for entry in self.entries:
            if entry.quiz_index is not None:
                actions.setdefault((entry.item_index, entry.quiz_index), set()).add(entry.action)
        return actions

    @property
    def quizzes_reported(self) -> int:
        """Quizzes named in the report at all (the malformed or unusual ones)."""
        return len(self._quiz_actions())

    @property
    def quizzes_dropped(self) -> int:
        return sum(1 for acts in self._quiz_actions().values() if "dropped" in acts)

    @property
    def quizzes_normalised(self) -> int:
        return sum(
            1 for acts in self._quiz_actions().values() if "normalised" in acts and "dropped" not in acts
        )

    @property
    def quizzes_noted(self) -> int:
        """Quizzes kept exactly as published that the report still names."""
        return sum(1 for acts in self._quiz_actions().values() if acts == {"noted"})

    @property
    def quizzes_kept(self) -> int:
        return self.quizzes_published - self.quizzes_dropped

    def counts_by_reason(self) -> dict[str, int]:
        """``"<action>: <reason>" -> number of entries``, most frequent first."""
        counts = Counter(f"{e.action}: {e.reason}" for e in self.entries)
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def summary(self) -> dict[str, int]:
        return {
            "items": self.items,
            "quizzes_published": self.quizzes_published,
            "quizzes_kept": self.quizzes_kept,
            "quizzes_reported": self.quizzes_reported,
            "quizzes_normalised": self.quizzes_normalised,
            "quizzes_noted": self.quizzes_noted,
            "quizzes_dropped": self.quizzes_dropped,
            "item_findings": sum(1 for e in self.entries if e.quiz_index is None),
        }

    # -- rendering --------------------------------------------------------------------------
    def to_text(self) -> str:
        s = self.summary()
        lines = [
            f"{self.file} ({self.source}, {self.format}): {s['items']} items, "
            f"{s['quizzes_published']} quizzes as published -> {s['quizzes_kept']} kept "
            f"({s['quizzes_normalised']} normalised, {s['quizzes_noted']} noted), {s['quizzes_dropped']} dropped"
        ]
        if not self.entries:
            lines.append("  no findings: every item and quiz is as expected")
            return "\n".join(lines)
        for entry in self.entries:
            lines.append(f"  {entry.where()}: {entry.action} [{entry.reason}] {entry.detail}")
        lines.append("  by reason: " + ", ".join(f"{k} x{v}" for k, v in self.counts_by_reason().items()))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        data = self.model_dump()
        data["summary"] = self.summary()
        data["counts_by_reason"] = self.counts_by_reason()
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)
