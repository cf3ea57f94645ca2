"""Widgets of the results pages: the Leaderboard's filter bar and CSV downloads.

Every filter is bound to a URL query parameter named by its key (a copied link reproduces the
view): ``results``, ``kind``, ``subject``, ``type``, ``source``, ``groups``, ``sort``. Subject,
type and source use the same names as the Explorer.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.filters import choice_filter, multi_choice_pills, named_choice
from dashboard.data import results as data


def leaderboard_filters(options: data.LeaderboardOptions) -> data.LeaderboardQuery:
    """The filter bar: which runs (results, kind, source), which numbers (subject/type scope,
    metric groups) and the ranking metric."""
    top = st.columns([2, 3, 3])
    with top[0]:
        results = multi_choice_pills(
            "Results", options.results, key="results", help="reported: the paper's table; measured: your runs"
        )
    with top[1]:
        kinds = multi_choice_pills(
            "Generator kind", options.kinds, key="kind", help="None selected shows all"
        )
    with top[2]:
        groups = multi_choice_pills(
            "Metric groups", list(options.groups.values()), key="groups", help="None selected shows all"
        )
    bottom = st.columns(4)
    with bottom[0]:
        subject = choice_filter(
            "Subject",
            options.subjects,
            key="subject",
            help="Per-subject numbers exist for measured runs only",
        )
    with bottom[1]:
        image_type = choice_filter(
            "Image type",
            data.image_types_for(subject, options.image_types),
            key="type",
            help="Per-type numbers exist for measured runs only",
        )
    with bottom[2]:
        source = choice_filter("Source", options.sources, key="source", help="Runs whose figures include it")
    with bottom[3]:
        sort = named_choice("Rank by", options.metric_labels, key="sort", default="rinv")
    protocol = protocol_picker(options.protocols)
    group_names = {label: name for name, label in options.groups.items()}
    return data.LeaderboardQuery(
        results=tuple(results),
        kinds=tuple(kinds),
        subject=subject,
        image_type=image_type,
        source=source,
        groups=tuple(group_names[g] for g in groups),
        sort_metric=sort,
        protocol=protocol,
    )


def protocol_picker(protocols: dict[str, str], *, key: str = "protocol") -> str | None:
    """Which protocol's runs are ranked (URL: ``protocol``); the first choice (the paper's, when
    present) is the default. Rows of other protocols are shown apart, never ranked with these."""
    return named_choice(
        "Protocol", protocols, key=key,
        help="Numbers are ranked only against numbers measured the same way: problem set, quiz set, "
        "answerer, judges and missing-image rule",
    ) if protocols else None


def csv_download(frame: pd.DataFrame, file_name: str, *, key: str, label: str = "Download CSV") -> None:
    """A download button handing out ``frame`` as shown (UTF-8 CSV)."""
    st.download_button(label, data.table_csv(frame), file_name=file_name, mime="text/csv", key=key)
