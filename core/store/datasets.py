"""Engine datasets read in place: DuckDB over the dataset's Parquet shards, never copied.

An engine run (``scigen engine run``) leaves a folder of shards (``shards/part-*.parquet``, one
row per item; columns in :mod:`core.engine.shards`). :class:`EngineDataset` answers the questions
the pages ask of a run (a leaderboard row, counts by subject or image type, a page of items, one
item) with ``read_parquet`` over those shards, so a million items cost a scan of the columns a
query needs, not a load. Pages are LIMIT/OFFSET over the shards' own order (the order items were
committed), which needs no sort.

No connection outlives a call: each query opens an in-memory DuckDB, reads, closes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

__all__ = ["DOMAIN_COLUMNS", "EngineDataset", "EngineDatasetError"]

DOMAIN_COLUMNS = ("subject", "image_type")
_JUDGES = ("judge_cf", "judge_lp", "judge_ro", "judge_sp", "judge_er")
_PAGE_COLUMNS = (
    "key, problem_id, source, subject, image_type, status, error_class, image_path, n_attempts, "
    "n_quizzes, n_correct, rinv, passed, cost_usd"
)


class EngineDatasetError(ValueError):
    """The folder is not an engine dataset (no committed shards)."""


class EngineDataset:
    """Read-only queries over one engine dataset folder."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder).expanduser().resolve()
        if not any((self.folder / "shards").glob("part-*.parquet")):
            raise EngineDatasetError(f"{self.folder}: not an engine dataset (no shards/part-*.parquet)")

    @property
    def name(self) -> str:
        return self.folder.name

    def _query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        connection = duckdb.connect()
        try:
            return connection.execute(sql.replace("{items}", self._source()), params or []).df()
        finally:
            connection.close()

    def _source(self) -> str:
        pattern = str(self.folder / "shards" / "part-*.parquet").replace("'", "''")
        return f"read_parquet('{pattern}')"

    # ---- what the pages ask -------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """One leaderboard row: items, figures ok, pass@1, R_inv (share of verified items with every
        quiz right, and mean per-item R_inv), quiz accuracy pooled over quizzes, judge means, cost."""
        judges = ", ".join(f"avg({name}) AS {name}" for name in _JUDGES)
        frame = self._query(
            f"""
            SELECT count(*) AS items,
                   count(*) FILTER (WHERE status = 'ok') AS figures_ok,
                   count(*) FILTER (WHERE status = 'failed') AS figures_failed,
                   avg(CASE WHEN first_attempt_ok THEN 1.0 ELSE 0.0 END) FILTER (WHERE status IN ('ok', 'failed')) AS pass_at_1,
                   avg(CASE WHEN rinv >= 1.0 - 1e-9 THEN 1.0 ELSE 0.0 END) FILTER (WHERE rinv IS NOT NULL) AS rinv,
                   avg(rinv) AS rinv_mean,
                   sum(n_correct)::DOUBLE / nullif(sum(n_quizzes) FILTER (WHERE rinv IS NOT NULL), 0) AS quiz_acc,
                   count(*) FILTER (WHERE passed) AS passed,
                   {judges},
                   sum(cost_usd) AS cost_usd
            FROM {{items}}
            """
        )
        row = {key: (None if pd.isna(value) else value) for key, value in frame.iloc[0].items()}
        for count in ("items", "figures_ok", "figures_failed", "passed"):
            row[count] = int(row[count] or 0)  # a row of mixed columns comes back as floats
        return row

    def domains(self, by: str = "subject") -> pd.DataFrame:
        """Per subject or image type: items, figures ok, R_inv, quiz accuracy, passed. Columns:
        ``by``, items, figures_ok, rinv, quiz_acc, passed."""
        if by not in DOMAIN_COLUMNS:
            raise ValueError(f"by must be one of {DOMAIN_COLUMNS}, not {by!r}")
        return self._query(
            f"""
            SELECT coalesce({by}, '(untyped)') AS {by}, count(*) AS items,
                   count(*) FILTER (WHERE status = 'ok') AS figures_ok,
                   avg(CASE WHEN rinv >= 1.0 - 1e-9 THEN 1.0 ELSE 0.0 END) FILTER (WHERE rinv IS NOT NULL) AS rinv,
                   sum(n_correct)::DOUBLE / nullif(sum(n_quizzes) FILTER (WHERE rinv IS NOT NULL), 0) AS quiz_acc,
                   count(*) FILTER (WHERE passed) AS passed
            FROM {{items}} GROUP BY 1 ORDER BY 1
            """
        )

    def _where(self, subject: str | None, image_type: str | None, status: str | None,
               passed: bool | None, search: str | None) -> tuple[str, list[Any]]:
        clauses, params = [], []
        for column, value in (("subject", subject), ("image_type", image_type), ("status", status)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if passed is not None:
            clauses.append("passed = ?")
            params.append(passed)
        if search:
            clauses.append("(question ILIKE ? OR key ILIKE ?)")
            params += [f"%{search}%", f"%{search}%"]
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def count(self, *, subject: str | None = None, image_type: str | None = None, status: str | None = None,
              passed: bool | None = None, search: str | None = None) -> int:
        where, params = self._where(subject, image_type, status, passed, search)
        return int(self._query(f"SELECT count(*) AS n FROM {{items}}{where}", params)["n"].iloc[0])

    def items(self, *, offset: int = 0, limit: int = 50, subject: str | None = None,
              image_type: str | None = None, status: str | None = None, passed: bool | None = None,
              search: str | None = None) -> pd.DataFrame:
        """One page of items (the gallery and problem list), in commit order."""
        where, params = self._where(subject, image_type, status, passed, search)
        return self._query(
            f"SELECT {_PAGE_COLUMNS} FROM {{items}}{where} LIMIT ? OFFSET ?", [*params, int(limit), int(offset)]
        )

    def item(self, key: str) -> dict[str, Any] | None:
        """Every column of one item (the item view: code, attempts, quiz answers, judge scores)."""
        frame = self._query("SELECT * FROM {items} WHERE key = ?", [key])
        if frame.empty:
            return None
        row = frame.iloc[0].to_dict()
        if isinstance(row.get("image_path"), str):
            row["image_path"] = str(self.folder / row["image_path"])
        return {key: (None if _missing(value) else value) for key, value in row.items()}


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and arrays
        return False
