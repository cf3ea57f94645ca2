"""Shared plumbing of the data modules: the workspace, its Store, and the cache key.

Every cached read takes ``cache_key()`` (workspace home, store data version) among its
arguments, so a write by any process (a CLI job, the seeder, a dashboard job) changes the key
and the next rerun reads fresh data.
"""

from __future__ import annotations

import streamlit as st

from core.store import Store
from core.workspace import Workspace


@st.cache_resource(show_spinner=False)
def open_store(home: str) -> Store:
    # The Store holds no open connection (it opens one per operation), so sharing it across
    # sessions is safe and a CLI writer in another process is never locked out.
    return Store.open(Workspace.from_env(home))


def workspace() -> Workspace:
    return Workspace.from_env()


def store() -> Store:
    return open_store(str(workspace().home))


def cache_key() -> tuple[str, str]:
    """(workspace home, data version): every cached read takes these so writes invalidate it."""
    return str(workspace().home), store().data_version()
