"""Tables as every page shows them: one placeholder for missing values.

Streamlit draws a missing cell as a faint "None" whatever a Styler's ``na_rep`` says (for a
reported paper row without intervals that reads as if the value were the word None), so every
table goes through :func:`data_table`, which shows "—" instead.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

MISSING = "—"
"""What an empty cell shows: no value (not measured, not reported, not applicable)."""


def data_table(data: Any, **kwargs: Any) -> Any:
    """``st.dataframe`` with the house placeholder for missing values."""
    kwargs.setdefault("placeholder", MISSING)
    return st.dataframe(data, **kwargs)
