"""Engine datasets for the Datasets page: cached reads through ``core.store.EngineDataset``.

A dataset is a folder written by ``scigen engine run``; its version is its committed shards
(names and modification times), so a run still adding shards is read fresh on the next rerun.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from core.store import EngineDataset, EngineDatasetError

PAGE_SIZE = 50
ENGINE_HINT = "`scigen engine run PIPELINE.toml --out DIR`"


def dataset_version(folder: str) -> str:
    """Changes whenever a shard is committed (the cache key of every read below)."""
    shards = sorted((Path(folder) / "shards").glob("part-*.parquet"))
    return f"{len(shards)}:{max((p.stat().st_mtime_ns for p in shards), default=0)}"


def open_dataset(folder: str) -> EngineDataset | None:
    """The dataset at ``folder``, or None when the folder holds no committed shard."""
    try:
        return EngineDataset(folder)
    except EngineDatasetError:
        return None


@st.cache_data(show_spinner=False, max_entries=16)
def summary(folder: str, version: str) -> dict[str, Any]:
    return EngineDataset(folder).summary()


@st.cache_data(show_spinner=False, max_entries=32)
def domains(folder: str, version: str, by: str) -> pd.DataFrame:
    frame = EngineDataset(folder).domains(by)
    for column in ("rinv", "quiz_acc"):
        frame[column] = frame[column] * 100
    return frame.rename(columns={"subject": "Subject", "image_type": "Image type", "items": "Items",
                                 "figures_ok": "Figures ok", "rinv": "R_inv %", "quiz_acc": "Quiz acc. %",
                                 "passed": "Passed filter"})


@st.cache_data(show_spinner=False, max_entries=64)
def page_count(folder: str, version: str, subject: str | None, passed: bool | None, search: str) -> int:
    total = EngineDataset(folder).count(subject=subject, passed=passed, search=search or None)
    return max(1, math.ceil(total / PAGE_SIZE))


@st.cache_data(show_spinner=False, max_entries=256)
def items_page(folder: str, version: str, page: int, subject: str | None, passed: bool | None,
               search: str) -> pd.DataFrame:
    frame = EngineDataset(folder).items(
        offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE, subject=subject, passed=passed, search=search or None
    )
    return frame.rename(columns={"key": "Key", "subject": "Subject", "image_type": "Image type",
                                 "status": "Status", "rinv": "R_inv", "passed": "Passed", "cost_usd": "Cost $"})


@st.cache_data(show_spinner=False, max_entries=64)
def item(folder: str, version: str, key: str) -> dict[str, Any] | None:
    return EngineDataset(folder).item(key)
