"""Filter widgets bound to the URL query parameters, so a copied link reproduces the view.

Each widget's ``key`` is its query-parameter name. A widget at its default leaves the URL clean;
a value in the URL that is no longer an option (e.g. after the data changed) is ignored.
The URL holds an option's shown text, so options are passed as readable strings.
Filters take ``resets``: keys of widgets (typically the paginator) sent back to their first
value when the filter changes, so narrowing a list never lands on an empty page 7.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

ALL = "All"
FIRST_PAGE = 1


def _reset(keys: Sequence[str]) -> None:
    for key in keys:
        # Only a widget shown before has a value to send back; setting one that is not yet created
        # (e.g. a paginator that appears with the new filter) makes Streamlit warn about defaults.
        if key in st.session_state:
            st.session_state[key] = FIRST_PAGE


def choice_filter(
    label: str,
    options: Sequence[str],
    *,
    key: str,
    help: str | None = None,
    resets: Sequence[str] = (),
    all_label: str = ALL,
) -> str | None:
    """A single choice with an "All" entry (shown as ``all_label``); returns None for it."""
    choice = st.selectbox(
        label,
        [all_label, *options],
        key=key,
        bind="query-params",
        help=help,
        on_change=_reset,
        args=(tuple(resets),),
    )
    return None if choice == all_label else choice


def multi_choice_pills(label: str, options: Sequence[str], *, key: str, help: str | None = None) -> list[str]:
    """Toggle chips; nothing selected means no filtering."""
    if not options:
        return []
    return list(
        st.pills(label, list(options), selection_mode="multi", key=key, bind="query-params", help=help) or []
    )


def named_choice(
    label: str, choices: Mapping[str, str], *, key: str, default: str | None = None, help: str | None = None
) -> str | None:
    """Choose among ``{name: display label}``; returns the name.

    The display label is what the URL holds (bound widgets store the shown text), so labels
    must be distinct and readable, e.g. ``?sort=FID``.
    """
    if not choices:
        return None
    names = list(choices)
    labels = [choices[name] for name in names]
    index = names.index(default) if default in choices else 0
    chosen = st.selectbox(label, labels, index=index, key=key, bind="query-params", help=help)
    return names[labels.index(chosen)]


def search_box(
    label: str = "Search", *, key: str = "q", placeholder: str = "", resets: Sequence[str] = ()
) -> str:
    text = st.text_input(
        label, key=key, bind="query-params", placeholder=placeholder, on_change=_reset, args=(tuple(resets),)
    )
    return text.strip()


def paginator(num_pages: int, *, key: str = "page") -> int:
    """The current 1-based page; the widget is shown only when there is more than one page."""
    if num_pages <= 1:
        return FIRST_PAGE
    return st.pagination(num_pages, key=key, bind="query-params")


def multi_select(
    label: str,
    options: Sequence[str],
    *,
    key: str,
    default: Sequence[str] = (),
    max_selections: int | None = None,
    help: str | None = None,
) -> list[str]:
    """Several choices from a long list (repeated in the URL, e.g. ``?runs=A&runs=B``)."""
    if not options:
        return []
    return list(
        st.multiselect(
            label,
            list(options),
            default=[d for d in default if d in options],
            key=key,
            bind="query-params",
            max_selections=max_selections,
            help=help,
        )
    )


def segmented_choice(
    label: str, options: Sequence[str], *, key: str, default: str | None = None, help: str | None = None
) -> str:
    """One of a few options as a segmented control; always has a value (the default or the first)."""
    chosen_default = default if default in options else options[0]
    choice = st.segmented_control(
        label, list(options), default=chosen_default, required=True, key=key, bind="query-params", help=help
    )
    return choice if choice is not None else chosen_default
