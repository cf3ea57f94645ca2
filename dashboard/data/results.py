"""Data for the results pages: Leaderboard, Domains, Judge radar and Correlations.

Pure functions turn ``Store.leaderboard()`` and ``Store.scoped_metrics()`` frames into what a
page shows (unit-tested, no Streamlit); the cached accessors at the bottom are what pages call,
keyed like every read in ``dashboard.data`` by (workspace home, store data version).

Reported runs (a paper's table) have overall numbers only. Measured runs (this workspace) also
have per-subject and per-image-type aggregates with 95% intervals, so a subject or image-type
filter shows measured runs only and every view says how many reported runs it hid and why.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import streamlit as st

from core.evaluation.correlation import MIN_RUNS, Correlation, CorrelationError, correlate
from core.evaluation.stats import UNTYPED_IMAGE_TYPE, TieGroup, tie_group
from core.metrics import JUDGE_DIMENSIONS, METRICS, MetricSpec
from core.problems.models import split_uid
from core.problems.taxonomy import ALL_IMAGE_TYPES, SUBJECTS, Subject, is_image_type, subject_of
from core.protocols import PAPER_PROTOCOL
from dashboard.data import (
    LEADERBOARD_RUN_COLUMNS,
    MEASURED_LABEL,
    REPORTED_LABEL,
    LeaderboardView,
    image_types_for,
    leaderboard_view,
    metric_header,
    table_csv,
)
from dashboard.data.access import cache_key, open_store

__all__ = ["image_types_for", "table_csv"]  # re-exported so results pages need one data module

RESULT_TYPES: tuple[str, ...] = (REPORTED_LABEL, MEASURED_LABEL)
ALL_RESULTS = "all"
CORRELATION_RESULTS: tuple[str, ...] = (REPORTED_LABEL, MEASURED_LABEL, ALL_RESULTS)
"""Which runs the Correlations page relates: one origin at a time, or all of them."""
GROUP_LABELS: dict[str, str] = {
    "correctness": "Correctness",
    "judge": "Judge",
    "reference": "Reference metrics",
    "generation": "Generation",
    "ocr": "OCR",
    "figure_facts": "Figure facts",
    "judge_agreement": "Judge agreement",
}
SCOPE_LABELS: dict[str, str] = {"subject": "Subject", "image_type": "Image type"}
INFO_COLUMNS: tuple[str, ...] = ("Model", "Results", "Kind", "Backend", "Access")
TIE_COLUMN = "Tie group"
RANK_COLUMN = "Rank"
PROTOCOL_COLUMN = "Protocol"
PAPER_COLUMN = "vs paper"
COMPARABLE = "comparable to the paper"
NO_PROTOCOL = "none"
NO_PROTOCOL_LABEL = "no protocol recorded"
RANKING_DEFAULTS: tuple[str, ...] = ("rinv", "perfect_image_rate")
"""What a leaderboard ranks by when the asked metric has no number under the chosen protocol."""
N_COLUMN = "n"
EVALUATED_BY_COLUMN = "Evaluated by"
EXPLORER_URL_PATH = "explorer"
"""The Explorer's URL path (``st.Page("app_pages/explorer.py")`` is served at /explorer)."""
MAX_RADAR_RUNS = 6
MEASURED_RADAR_DEFAULT = 3
SIGNIFICANCE = 0.05
GENERATE_HINT = "`scigen generate --model reference --run NAME`"
EVALUATE_HINT = "`scigen evaluate --run NAME --vqa ocr --metrics ssim,psnr,figure-facts`"
JUDGE_HINT = "`scigen evaluate --run NAME --judge PROFILE`"


def results_label(kind: object) -> str:
    """``reported`` for a paper's run, ``measured`` for a run of this workspace."""
    return REPORTED_LABEL if kind == "reported" else MEASURED_LABEL


def run_labels(names: Sequence[str], results: Sequence[str]) -> list[str]:
    """One unique display label per run: its name, plus "(reported)"/"(measured)" where names repeat."""
    names = [str(n) for n in names]
    repeated = Counter(names)
    labels = [n if repeated[n] == 1 else f"{n} ({r})" for n, r in zip(names, results, strict=True)]
    seen: Counter[str] = Counter()
    unique = []
    for label in labels:
        seen[label] += 1
        unique.append(label if seen[label] == 1 else f"{label} #{seen[label]}")
    return unique


def _with_run_columns(runs: pd.DataFrame) -> pd.DataFrame:
    """``Store.leaderboard()`` with its run columns guaranteed (an empty store may return none),
    plus ``results`` and a unique ``label`` per run."""
    runs = runs.reindex(columns=list(dict.fromkeys([*LEADERBOARD_RUN_COLUMNS, *runs.columns])))
    runs = runs.reset_index(drop=True)
    results = [results_label(k) for k in runs["kind"]]
    return runs.assign(results=results, label=run_labels(runs["name"].astype(str).tolist(), results))


def protocol_ids(runs: pd.DataFrame) -> pd.Series:
    """The protocol id of each leaderboard row (:data:`NO_PROTOCOL` when it has none)."""
    if "protocol_id" not in runs.columns:
        return pd.Series(NO_PROTOCOL, index=runs.index, dtype=object)
    return runs["protocol_id"].astype(object).where(runs["protocol_id"].notna(), NO_PROTOCOL)


def protocol_choices(runs: pd.DataFrame) -> dict[str, str]:
    """Protocol id -> a distinct label, for the protocol pickers: the paper's protocol first, then
    by number of runs (rows without a protocol last)."""
    runs = _with_run_columns(runs)
    if runs.empty:
        return {}
    ids = protocol_ids(runs)
    names = runs["protocol"] if "protocol" in runs.columns else pd.Series(None, index=runs.index)
    label_of = {pid: (NO_PROTOCOL_LABEL if pid == NO_PROTOCOL else str(name))
                for pid, name in zip(ids, names, strict=True)}
    counts = ids.value_counts()
    order = sorted(counts.index, key=lambda p: (p != PAPER_PROTOCOL.protocol_id, p == NO_PROTOCOL, -counts[p], p))
    labels = {p: label_of[p] for p in order}  # no counts: a label is what a shared link holds
    repeated = Counter(labels.values())
    return {p: label if repeated[label] == 1 else f"{label} [{p}]" for p, label in labels.items()}


def within_protocol(runs: pd.DataFrame, protocol: str | None) -> tuple[str | None, pd.DataFrame, pd.DataFrame]:
    """(chosen protocol id, rows of that protocol, rows of the others). ``protocol`` None or
    unknown picks the default: the first of :func:`protocol_choices`."""
    runs = _with_run_columns(runs)
    choices = protocol_choices(runs)
    chosen = protocol if protocol in choices else next(iter(choices), None)
    same = (protocol_ids(runs) == chosen).to_numpy()
    return chosen, runs[same], runs[~same]


def metrics_present(runs: pd.DataFrame) -> list[str]:
    """Declared metrics with at least one value among ``runs``, in declaration order."""
    return [name for name in METRICS if name in runs.columns and runs[name].notna().any()]


def group_order(metrics: Sequence[str]) -> list[str]:
    """``metrics`` ordered by group (groups in order of first declaration), then declaration."""
    groups = list(dict.fromkeys(spec.group for spec in METRICS.values()))
    position = {name: index for index, name in enumerate(METRICS)}
    return sorted(metrics, key=lambda m: (groups.index(METRICS[m].group), position[m]))


def group_label(group: str) -> str:
    return GROUP_LABELS.get(group, group.replace("_", " ").capitalize())


# --------------------------------------------------------------------------- leaderboard (pure)


@dataclass(frozen=True)
class LeaderboardQuery:
    """What the Leaderboard's filters ask for; empty tuples and None mean "no filter"."""

    results: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    subject: str | None = None
    image_type: str | None = None
    source: str | None = None
    groups: tuple[str, ...] = ()
    sort_metric: str | None = "rinv"
    protocol: str | None = None
    """The protocol whose rows are ranked (an id); None: the default (the paper's when present)."""

    @property
    def scope(self) -> tuple[str, str] | None:
        """The aggregate scope the numbers come from: the image type when chosen, else the subject."""
        if self.image_type:
            return "image_type", self.image_type
        if self.subject:
            return "subject", self.subject
        return None


@dataclass(frozen=True)
class LeaderboardOptions:
    """Choices offered by the Leaderboard's filters (what the store holds before filtering)."""

    results: list[str]
    kinds: list[str]
    subjects: list[str]
    image_types: list[str]
    sources: list[str]
    groups: dict[str, str]
    """Metric group -> label, for groups with at least one value."""
    metric_labels: dict[str, str]
    """Metric -> label of every metric with a value (sort choices; the URL holds the label)."""
    total_runs: int
    protocols: dict[str, str] = field(default_factory=dict)
    """Protocol id -> label (see :func:`protocol_choices`); the first is the default."""


def leaderboard_options_from(runs: pd.DataFrame, facets: Mapping[str, Sequence[str]]) -> LeaderboardOptions:
    runs = _with_run_columns(runs)
    present = metrics_present(runs)
    return LeaderboardOptions(
        results=[r for r in RESULT_TYPES if r in set(runs["results"])],
        kinds=sorted(set(runs["generator_kind"].dropna())),
        subjects=list(facets.get("subject", [])),
        image_types=list(facets.get("image_type", [])),
        sources=list(facets.get("source", [])),
        groups={g: group_label(g) for g in dict.fromkeys(METRICS[m].group for m in group_order(present))},
        metric_labels={m: METRICS[m].label for m in present},
        total_runs=len(runs),
        protocols=protocol_choices(runs),
    )


@dataclass(frozen=True)
class ResultsLeaderboard:
    """The leaderboard as shown, with its tie group and what the filters did."""

    view: LeaderboardView
    tie: TieGroup | None
    """Measured runs not separable from the best measured run on the sort metric; None when
    no comparison could be decided (reported runs have no intervals)."""
    notes: list[str]
    """Sentences for the page: reported runs hidden by a filter, numbers kept only per run."""
    empty_message: str
    """What to do next when ``table`` is empty."""
    group_of: dict[str, str] = field(default_factory=dict)
    """Metric column header -> its group's label."""
    protocol: str | None = None
    """The protocol id whose rows ``table`` ranks."""
    protocol_label: str = ""
    apart: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Rows of the other protocols (after the same filters), unranked, with a Protocol column."""
    apart_ids: tuple[str, ...] = ()
    """The protocol ids of ``apart``'s rows, in the pickers' order."""

    def apart_protocols(self) -> list[str]:
        return list(self.apart_ids)

    @property
    def table(self) -> pd.DataFrame:
        return self.view.table


def scoped_runs(runs: pd.DataFrame, scoped: pd.DataFrame, scope_value: str) -> pd.DataFrame:
    """Measured ``runs`` with their metric columns replaced by the numbers of one scope value.

    ``scoped`` is ``Store.scoped_metrics(scope=...)`` (long form). Metrics kept only per run
    (pass@k, cost, FID/KID) have no per-scope value and drop out; runs with no number in the
    scope drop out too.
    """
    info = [c for c in runs.columns if c in (
        *LEADERBOARD_RUN_COLUMNS, "evaluated_by", "results", "label", "protocol_id", "protocol",
    )]
    part = scoped[scoped["scope_value"] == scope_value] if not scoped.empty else scoped
    part = part[part["run_id"].isin(set(runs["run_id"]))] if not part.empty else part
    table = runs[info].set_index("run_id", drop=False)
    for metric in [m for m in dict.fromkeys(part["metric"]) if m in METRICS] if not part.empty else []:
        of_metric = part[part["metric"] == metric].drop_duplicates("run_id").set_index("run_id")
        table[metric] = of_metric["value"].astype("float64").reindex(table.index)
        for column in ("ci_low", "ci_high"):
            table[f"{metric}_{column}"] = of_metric[column].astype("float64").reindex(table.index)
        table[f"{metric}_n"] = of_metric["n"].astype("Float64").reindex(table.index)
    metrics = [m for m in METRICS if m in table.columns]
    if not metrics:
        return table.iloc[0:0].reset_index(drop=True)
    return table[table[metrics].notna().any(axis=1)].reset_index(drop=True)


def _scope_words(scope: tuple[str, str]) -> str:
    kind, value = scope
    return f"{SCOPE_LABELS[kind].lower()} {value}"


def results_leaderboard(
    runs: pd.DataFrame,
    query: LeaderboardQuery = LeaderboardQuery(),
    *,
    scoped: pd.DataFrame | None = None,
    run_sources: Mapping[str, set[str]] | None = None,
) -> ResultsLeaderboard:
    """The Leaderboard for ``query``.

    * ``runs``: ``Store.leaderboard()``.
    * ``scoped``: ``Store.scoped_metrics(scope=...)`` of the query's scope (needed when it has one).
    * ``run_sources``: run_id -> problem sources of its figures (needed when a source is chosen).
    """
    runs = _with_run_columns(runs)
    total = len(runs)
    choices = protocol_choices(runs)
    protocol, runs, apart = within_protocol(runs, query.protocol)
    overall_metrics = metrics_present(runs)
    if query.results:
        runs = runs[runs["results"].isin(query.results)]
        apart = apart[apart["results"].isin(query.results)]
    if query.kinds:
        runs = runs[runs["generator_kind"].isin(query.kinds)]
        apart = apart[apart["generator_kind"].isin(query.kinds)]
    notes: list[str] = []
    narrowing = [f"source {query.source}"] if query.source else []
    if query.scope:
        narrowing.append(_scope_words(query.scope))
    if narrowing:
        reported = runs["results"] == REPORTED_LABEL
        if reported.any():
            notes.append(
                f"{int(reported.sum())} reported runs hidden: the paper publishes only overall numbers, "
                f"so they cannot be shown for {' and '.join(narrowing)}."
            )
        runs = runs[~reported]
    if query.source:
        sources = run_sources or {}
        runs = runs[[query.source in sources.get(run_id, set()) for run_id in runs["run_id"]]]
        notes.append(
            f"Source {query.source} keeps the runs whose figures include {query.source} problems; their "
            "numbers cover each run's whole selection (aggregates are kept per subject and image type, "
            "not per source)."
        )
    if query.scope:
        runs = scoped_runs(runs, scoped if scoped is not None else pd.DataFrame(), query.scope[1])
        kept_per_run = [METRICS[m].label for m in overall_metrics if m not in metrics_present(runs)]
        if not runs.empty and kept_per_run:
            notes.append(
                f"Numbers for {_scope_words(query.scope)}; kept per run only (not shown here): "
                f"{', '.join(kept_per_run)}."
            )
    sort_metric = ranking_metric(runs, query.sort_metric)
    base = leaderboard_view(runs, sort_metric=sort_metric)
    view, group_of = _grouped(base, runs, query)
    _add_rank_and_paper_columns(view, base, runs)
    tie = _tie_group(runs, base.sort_metric) if base.sort_metric else None
    if tie is not None:
        status = {entry.run: entry.status for entry in tie.entries}
        label = {"best": "best", "tied": "tied"}
        tie_text = [label.get(status.get(run_id, ""), "") for run_id in view.run_ids]
        position = list(view.table.columns).index(view.metric_headers[base.sort_metric]) + 1
        while position < len(view.table.columns) and view.table.columns[position] in (
            f"{view.metric_headers[base.sort_metric]} CI",
            N_COLUMN,
        ):
            position += 1
        view.table.insert(position, TIE_COLUMN, tie_text)
    label = choices.get(protocol, "") if protocol else ""
    apart = apart if not query.scope else apart.iloc[0:0]
    present_apart = set(protocol_ids(apart))
    return ResultsLeaderboard(
        view, tie, notes, _empty_message(total, query), group_of, protocol, label,
        _apart_table(apart, choices), tuple(p for p in choices if p in present_apart),
    )


def ranking_metric(runs: pd.DataFrame, asked: str | None) -> str | None:
    """What the rows are ranked by: ``asked`` when they have it, except that an R_inv variant
    gives way to the other variant when more rows have that one (the paper's rows have only the
    published scoring's); else the first R_inv variant present, else the first metric present."""
    present = metrics_present(runs)
    if asked in RANKING_DEFAULTS:
        counts = {m: int(runs[m].notna().sum()) if m in runs.columns else 0 for m in RANKING_DEFAULTS}
        best = max(RANKING_DEFAULTS, key=lambda m: (counts[m], m == asked))
        return best if counts[best] else next(iter(present), None)
    if asked in present:
        return asked
    return next((m for m in (*RANKING_DEFAULTS, *present) if m in present), None)


def _add_rank_and_paper_columns(view: LeaderboardView, base: LeaderboardView, runs: pd.DataFrame) -> None:
    """Rank (1 = best on the sort metric; equal values share a rank) first, and after the info
    columns whether a measured row's protocol is the paper's."""
    table = view.table
    if base.sort_metric:
        values = table[base.metric_headers[base.sort_metric]]
        ascending = not METRICS[base.sort_metric].higher_is_better
        table.insert(0, RANK_COLUMN, values.rank(method="min", ascending=ascending).astype("Int64"))
    by_id = runs.set_index("run_id", drop=False) if not runs.empty else runs
    marks = [
        COMPARABLE if by_id.at[run_id, "results"] == MEASURED_LABEL
        and by_id.at[run_id, "protocol_id"] == PAPER_PROTOCOL.protocol_id else ""
        for run_id in view.run_ids
    ] if "protocol_id" in by_id.columns else [""] * len(table)
    if any(marks):
        table.insert(list(table.columns).index("Results") + 1, PAPER_COLUMN, marks)


def _apart_table(runs: pd.DataFrame, choices: Mapping[str, str]) -> pd.DataFrame:
    """Rows of other protocols: protocol, model, results and their metrics, never ranked."""
    if runs.empty:
        return pd.DataFrame()
    view = leaderboard_view(runs, sort_metric=None)
    labels = [choices.get(p, p) for p in protocol_ids(runs).reindex(runs.index)]
    order = dict(zip(runs["run_id"], labels, strict=True))
    table = view.table.assign(**{PROTOCOL_COLUMN: [order[r] for r in view.run_ids]})
    columns = [PROTOCOL_COLUMN, *[c for c in table.columns if c != PROTOCOL_COLUMN]]
    return table[columns].sort_values([PROTOCOL_COLUMN, "Model"], kind="stable").reset_index(drop=True)


def _grouped(
    base: LeaderboardView, runs: pd.DataFrame, query: LeaderboardQuery
) -> tuple[LeaderboardView, dict[str, str]]:
    """Metric columns ordered by group, narrowed to the chosen groups (the sort metric always
    stays), with the sort metric's n and the evaluation runs behind each row."""
    table = base.table
    wanted = [
        m
        for m in group_order(list(base.metric_headers))
        if not query.groups or METRICS[m].group in query.groups or m == base.sort_metric
    ]
    by_id = runs.set_index("run_id", drop=False) if not runs.empty else runs
    columns = [c for c in INFO_COLUMNS if c in table.columns]
    extra: dict[str, object] = {}
    for metric in wanted:
        header = base.metric_headers[metric]
        columns += [c for c in (header, f"{header} CI") if c in table.columns]
        n_column = f"{metric}_n"
        if metric == base.sort_metric and n_column in by_id.columns and by_id[n_column].notna().any():
            extra[N_COLUMN] = pd.array(
                [_count(by_id.at[run_id, n_column]) for run_id in base.run_ids], dtype="Int64"
            )
            columns.append(N_COLUMN)
    shown = table.assign(**extra)[columns] if extra else table[columns]
    if "evaluated_by" in by_id.columns and by_id["evaluated_by"].notna().any():
        shown = shown.assign(
            **{EVALUATED_BY_COLUMN: [by_id.at[run_id, "evaluated_by"] or "" for run_id in base.run_ids]}
        )
        shown[EVALUATED_BY_COLUMN] = shown[EVALUATED_BY_COLUMN].fillna("")
    headers = {m: base.metric_headers[m] for m in wanted}
    view = LeaderboardView(
        shown.reset_index(drop=True), headers, base.provenance, base.kinds, base.sort_metric, base.run_ids
    )
    return view, {header: group_label(METRICS[m].group) for m, header in headers.items()}


def _count(value: object) -> object:
    return None if value is None or pd.isna(value) else int(value)


def _tie_group(runs: pd.DataFrame, metric: str) -> TieGroup | None:
    """The tie group on ``metric`` of the rows of one protocol by their 95% intervals.

    A published number comes without an interval: it is read as exact, so a measured row whose
    interval contains it ties with it (and is separable when it does not); two published numbers
    are never judged against each other (undecided)."""
    rows = runs[runs[metric].notna()] if metric in runs else runs.iloc[0:0]
    if rows.empty:
        return None
    published = (rows["results"] == REPORTED_LABEL).to_numpy()
    values = rows[metric].astype(float)
    low = rows.get(f"{metric}_ci_low", pd.Series(np.nan, index=rows.index)).astype(float)
    high = rows.get(f"{metric}_ci_high", pd.Series(np.nan, index=rows.index)).astype(float)
    frame = pd.DataFrame(
        {
            "run": rows["run_id"].astype(str),
            "value": values,
            "ci_low": low.where(~published, values),
            "ci_high": high.where(~published, values),
        }
    )
    group = tie_group(frame, metric)
    reported = set(rows.loc[published, "run_id"].astype(str))
    if group.best in reported:
        entries = [
            entry.model_copy(update={"status": "undecided", "method": None})
            if entry.run in reported and entry.status != "best" else entry
            for entry in group.entries
        ]
        members = [e.run for e in entries if e.status in ("best", "tied")]
        decided = any(e.method is not None for e in entries)
        group = group.model_copy(update={"entries": entries, "members": members if decided else []})
    return group if group.members else None


def _empty_message(total: int, query: LeaderboardQuery) -> str:
    if total == 0:
        return "No runs to show yet. Run `scigen init` to load the paper's reported results."
    if query.scope:
        return (
            f"No measured run has numbers for {_scope_words(query.scope)} yet: per-subject and per-type "
            f"numbers come from evaluated runs. Run {GENERATE_HINT}, then {EVALUATE_HINT}; or clear the filter."
        )
    if query.source:
        return (
            f"No measured run has figures from source {query.source}. Run "
            f"`scigen generate --model reference --run NAME --source {query.source}`, then {EVALUATE_HINT}."
        )
    return "No run matches these filters. Clear one of them to see more."


def sources_of(problem_uids: Sequence[str]) -> set[str]:
    """The problem sources (``scigenbench``, ``seephys``, ``custom`` ...) of some uids."""
    return {split_uid(uid)[0] for uid in problem_uids}


# --------------------------------------------------------------------------- domains (pure)


@dataclass(frozen=True)
class DomainCell:
    """One clicked cell: a run's figures in one subject or image type."""

    run_label: str
    run_name: str
    scope: str
    scope_value: str
    n: int | None
    query_params: dict[str, str]
    """What to open the Explorer with: ``run``, ``subject`` and/or ``type``."""


@dataclass(frozen=True)
class DomainGrid:
    """A metric by subject (or image type) x run, measured runs only."""

    metric: str | None
    scope: str
    values: pd.DataFrame
    """Index: scope values (taxonomy order); columns: run labels (best first); NaN = no number."""
    counts: pd.DataFrame
    """Same shape: the n behind each value (images, quizzes or figures, as the metric counts)."""
    cells: pd.DataFrame
    """Long form for the table and CSV: Run, <scope label>, <metric header>, CI, n, Explorer."""
    run_names: dict[str, str]
    """Run label -> run name (the Explorer's ``run`` parameter)."""
    metrics: dict[str, str]
    """Metrics with per-scope numbers (name -> label), for the picker."""

    @property
    def spec(self) -> MetricSpec | None:
        return METRICS.get(self.metric) if self.metric else None

    @property
    def empty(self) -> bool:
        return self.values.empty


def explorer_query(run_name: str, scope: str, scope_value: str) -> dict[str, str]:
    """The Explorer's query parameters for one cell: ``run`` plus ``subject`` and/or ``type``.

    An image type brings its subject along (the Explorer narrows types by subject). The untyped
    bucket holds SeePhys items, which are Physics without a type: it opens the run's Physics
    figures.
    """
    params = {"run": run_name}
    if scope == "subject":
        params["subject"] = scope_value
    elif is_image_type(scope_value):
        params["subject"] = subject_of(scope_value).value
        params["type"] = scope_value
    else:
        params["subject"] = Subject.PHYSICS.value
    return params


def explorer_url(params: Mapping[str, str]) -> str:
    """A link to the Explorer with ``params``, relative to the app (works behind a base path)."""
    return f"{EXPLORER_URL_PATH}?{urlencode(dict(params))}"


def _scope_order(values: Sequence[str], scope: str) -> list[str]:
    known = list(SUBJECTS) if scope == "subject" else list(ALL_IMAGE_TYPES)
    present = set(values)
    return (
        [v for v in known if v in present]
        + sorted(present - set(known) - {UNTYPED_IMAGE_TYPE})
        + ([UNTYPED_IMAGE_TYPE] if UNTYPED_IMAGE_TYPE in present else [])
    )


def domain_grid(scoped: pd.DataFrame, metric: str | None, scope: str = "subject") -> DomainGrid:
    """``Store.scoped_metrics(scope=scope)`` (all metrics) as a grid of one metric.

    ``metric`` None or absent picks R_inv when present, else the first metric with numbers.
    Runs are ordered best first by their n-weighted mean over the grid's cells.
    """
    if scope not in SCOPE_LABELS:
        raise ValueError(f"unknown scope {scope!r}; expected one of {', '.join(SCOPE_LABELS)}")
    scoped = scoped if not scoped.empty else pd.DataFrame(columns=["run_id", "name", "metric", "scope_value"])
    available = [m for m in METRICS if m in set(scoped["metric"])]
    metrics = {m: METRICS[m].label for m in available}
    chosen = metric if metric in metrics else ("rinv" if "rinv" in metrics else next(iter(metrics), None))
    scope_label = SCOPE_LABELS[scope]
    if chosen is None:
        empty = pd.DataFrame()
        return DomainGrid(None, scope, empty, empty, pd.DataFrame(columns=["Run", scope_label]), {}, metrics)
    spec = METRICS[chosen]
    part = scoped[(scoped["metric"] == chosen) & scoped["value"].notna()].copy()
    runs = part.drop_duplicates("run_id")[["run_id", "name"]]
    labels = dict(
        zip(
            runs["run_id"],
            run_labels(runs["name"].astype(str).tolist(), [MEASURED_LABEL] * len(runs)),
            strict=True,
        )
    )
    part["label"] = part["run_id"].map(labels)
    weights = part["n"].astype("Float64").fillna(1).astype(float).clip(lower=1)
    score = (part["value"] * weights).groupby(part["label"]).sum() / weights.groupby(part["label"]).sum()
    order = list(score.sort_values(ascending=not spec.higher_is_better, kind="stable").index)
    rows = _scope_order(part["scope_value"].astype(str).tolist(), scope)
    values = part.pivot_table(index="scope_value", columns="label", values="value", aggfunc="first")
    values = values.reindex(index=rows, columns=order).rename_axis(index=scope_label, columns=None)
    counts = part.pivot_table(index="scope_value", columns="label", values="n", aggfunc="first")
    counts = counts.reindex(index=rows, columns=order).rename_axis(index=scope_label, columns=None)
    names = {labels[r]: str(n) for r, n in zip(runs["run_id"], runs["name"], strict=True)}
    header = metric_header(spec)
    part = part.assign(
        _row=part["scope_value"].map({v: i for i, v in enumerate(rows)}),
        _col=part["label"].map({v: i for i, v in enumerate(order)}),
    ).sort_values(["_col", "_row"])
    cells = pd.DataFrame(
        {
            "Run": part["label"],
            scope_label: part["scope_value"],
            header: part["value"].astype(float),
            f"{header} CI": [
                _interval(lo, hi) for lo, hi in zip(part["ci_low"], part["ci_high"], strict=True)
            ],
            N_COLUMN: part["n"].astype("Int64"),
            "Explorer": [
                explorer_url(explorer_query(names[label], scope, value))
                for label, value in zip(part["label"], part["scope_value"], strict=True)
            ],
        }
    ).reset_index(drop=True)
    return DomainGrid(chosen, scope, values, counts, cells, names, metrics)


def _interval(low: object, high: object) -> str:
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return ""
    return f"{float(low):.2f}–{float(high):.2f}"


def selection_points(event: object) -> list[Mapping[str, object]]:
    """The selected points of a ``st.plotly_chart(on_select="rerun")`` event (any mapping shape)."""
    if not isinstance(event, Mapping):
        return []
    selection = event.get("selection") or {}
    points = selection.get("points") if isinstance(selection, Mapping) else None
    return [p for p in points or [] if isinstance(p, Mapping)]


def selected_cell(event: object, grid: DomainGrid) -> DomainCell | None:
    """The grid cell a click (or box) selected: the first selected point that is a filled cell."""
    for point in selection_points(event):
        run_label, scope_value = point.get("x"), point.get("y")
        if run_label not in grid.run_names or scope_value not in grid.values.index:
            continue
        count = grid.counts.at[scope_value, run_label]
        if pd.isna(grid.values.at[scope_value, run_label]):
            continue
        name = grid.run_names[str(run_label)]
        return DomainCell(
            run_label=str(run_label),
            run_name=name,
            scope=grid.scope,
            scope_value=str(scope_value),
            n=None if pd.isna(count) else int(count),
            query_params=explorer_query(name, grid.scope, str(scope_value)),
        )
    return None


# --------------------------------------------------------------------------- judge radar (pure)


JUDGE_METRICS: tuple[str, ...] = tuple(name for name, _ in JUDGE_DIMENSIONS)


@dataclass(frozen=True)
class JudgeRadar:
    table: pd.DataFrame
    """The chosen runs: Run, Results, Kind, then one column per dimension (short label)."""
    options: list[str]
    """Labels of every run with judge scores, best mean first."""
    default: list[str]
    """Up to ``MAX_RADAR_RUNS``: the best measured runs (at most 3), then the best reported ones."""
    dimensions: dict[str, str]
    """Judge metric -> its column in ``table`` (C&F, L&P, R&O, SP, E&R)."""


def judge_radar_view(runs: pd.DataFrame, chosen: Sequence[str] | None = None) -> JudgeRadar:
    """Judge scores of ``chosen`` run labels (None: the default choice), at most six, in order."""
    runs = _with_run_columns(runs)
    dimensions = {m: METRICS[m].short for m in JUDGE_METRICS}
    present = [m for m in JUDGE_METRICS if m in runs.columns]
    scored = runs[runs[present].notna().any(axis=1)] if present else runs.iloc[0:0]
    scored = scored.assign(_mean=scored[present].mean(axis=1) if present else [])
    scored = scored.sort_values("_mean", ascending=False, kind="stable")
    options = scored["label"].tolist()
    measured = scored.loc[scored["results"] == MEASURED_LABEL, "label"].tolist()[:MEASURED_RADAR_DEFAULT]
    reported = scored.loc[scored["results"] == REPORTED_LABEL, "label"].tolist()
    default = (measured + reported)[:MAX_RADAR_RUNS]
    wanted = [c for c in dict.fromkeys(default if chosen is None else chosen) if c in set(options)]
    picked = (
        scored.set_index("label", drop=False).loc[wanted[:MAX_RADAR_RUNS]] if wanted else scored.iloc[0:0]
    )
    table = pd.DataFrame(
        {
            "Run": picked["label"].tolist(),
            "Results": picked["results"].tolist(),
            "Kind": picked["generator_kind"].astype(object).fillna("—").tolist(),
            **{
                short: (picked[m].astype(float).tolist() if m in picked.columns else [math.nan] * len(picked))
                for m, short in dimensions.items()
            },
        }
    )
    return JudgeRadar(table, options, default, dimensions)


# --------------------------------------------------------------------------- correlations (pure)


@dataclass(frozen=True)
class CorrelationView:
    x: str
    y: str
    results: str
    points: pd.DataFrame
    """One row per run with both metrics: Run, Results, Kind, <x header>, <y header>."""
    correlation: Correlation | None
    fit: tuple[float, float] | None
    """Least-squares line y = slope * x + intercept, when there is a correlation."""
    caption: str
    """What the numbers say (or why there are none), computed from them."""

    @property
    def x_header(self) -> str:
        return metric_header(METRICS[self.x])

    @property
    def y_header(self) -> str:
        return metric_header(METRICS[self.y])


def runs_of(runs: pd.DataFrame, results: str) -> pd.DataFrame:
    """Rows of ``reported`` or ``measured`` runs, or all of them for ``all``."""
    runs = _with_run_columns(runs)
    return runs if results == ALL_RESULTS else runs[runs["results"] == results]


def correctness_default(metrics: Mapping[str, str]) -> str | None:
    """The R_inv variant the chosen runs have (strict first), for a picker's default."""
    return next((m for m in RANKING_DEFAULTS if m in metrics), None)


def correlation_metrics(runs: pd.DataFrame, results: str) -> dict[str, str]:
    """Metrics (name -> label) with a value among the chosen runs, for the pickers."""
    return {m: METRICS[m].label for m in metrics_present(runs_of(runs, results))}


def _runs_word(results: str, n: int) -> str:
    kind = "" if results == ALL_RESULTS else f"{results} "
    return f"{n} {kind}run{'s' if n != 1 else ''}"


def _p_value(p: float) -> str:
    return f"{p:.2g}" if p < 0.01 else f"{p:.2f}"


def correlation_caption(correlation: Correlation, x_metric: str, y_metric: str, results: str) -> str:
    """The finding in words, from the numbers: r and p of both tests, and whether x predicts y."""
    x, y = METRICS[x_metric], METRICS[y_metric]
    target = f"correctness ({y.label})" if y.group == "correctness" else y.label
    numbers = (
        f"Across {_runs_word(results, correlation.n)}, {x.label} vs {y.label}: Pearson r = "
        f"{correlation.pearson_r:.2f} (p = {_p_value(correlation.pearson_p)}), Spearman ρ = "
        f"{correlation.spearman_r:.2f} (p = {_p_value(correlation.spearman_p)})."
    )
    if correlation.pearson_p >= SIGNIFICANCE and correlation.spearman_p >= SIGNIFICANCE:
        return (
            f"{numbers} Neither is significant at the 5% level: {x.label} does not predict {target} "
            "across these runs."
        )
    # "Better" follows each metric's declared direction, so FID (lower is better) reads right.
    same_way = (correlation.pearson_r > 0) == (x.higher_is_better == y.higher_is_better)
    return (
        f"{numbers} Significant at the 5% level: a better {x.label} goes with a "
        f"{'better' if same_way else 'worse'} {target} across these runs."
    )


def correlation_view(
    runs: pd.DataFrame, x: str = "fid", y: str = "rinv", results: str = REPORTED_LABEL
) -> CorrelationView:
    """Scatter data, Pearson/Spearman and fitted line of metric ``y`` against ``x`` over the runs
    of ``results`` (reported, measured or all) that have both."""
    for name in (x, y):
        if name not in METRICS:
            raise KeyError(f"unknown metric {name!r}; known: {', '.join(METRICS)}")
    chosen = runs_of(runs, results)
    x_header, y_header = metric_header(METRICS[x]), metric_header(METRICS[y])
    both = (
        chosen.dropna(subset=[c for c in (x, y) if c in chosen.columns])
        if {x, y} <= set(chosen.columns)
        else chosen.iloc[0:0]
    )
    points = pd.DataFrame(
        {
            "Run": both["label"].tolist(),
            "Results": both["results"].tolist(),
            "Kind": both["generator_kind"].astype(object).fillna("—").tolist(),
            x_header: both[x].astype(float).tolist() if x in both else [],
            y_header: both[y].astype(float).tolist() if y in both else [],
        }
    )
    try:
        found = correlate(
            points[x_header],
            points[y_header],
            x_name=METRICS[x].label,
            y_name=METRICS[y].label,
            runs=points["Run"],
        )
    except CorrelationError as exc:
        hint = (
            ""
            if len(points) >= MIN_RUNS
            else f" Evaluate more runs ({EVALUATE_HINT}) or look at the reported runs."
        )
        return CorrelationView(x, y, results, points, None, None, f"No correlation: {exc}.{hint}")
    slope, intercept = np.polyfit(points[x_header].to_numpy(float), points[y_header].to_numpy(float), 1)
    return CorrelationView(
        x,
        y,
        results,
        points,
        found,
        (float(slope), float(intercept)),
        correlation_caption(found, x, y, results),
    )


# --------------------------------------------------------------------------- cached accessors


def leaderboard_options() -> LeaderboardOptions:
    return _leaderboard_options(*cache_key())


@st.cache_data(show_spinner=False, max_entries=8)
def _leaderboard_options(home: str, version: str) -> LeaderboardOptions:
    store = open_store(home)
    return leaderboard_options_from(store.leaderboard(), store.problem_facets())


def leaderboard(query: LeaderboardQuery) -> ResultsLeaderboard:
    return _leaderboard(*cache_key(), query)


@st.cache_data(show_spinner=False, max_entries=128)
def _leaderboard(home: str, version: str, query: LeaderboardQuery) -> ResultsLeaderboard:
    store = open_store(home)
    runs = store.leaderboard()
    scoped = store.scoped_metrics(scope=query.scope[0]) if query.scope else None
    sources = _run_sources(home, version) if query.source else None
    return results_leaderboard(runs, query, scoped=scoped, run_sources=sources)


@st.cache_data(show_spinner=False, max_entries=8)
def _run_sources(home: str, version: str) -> dict[str, set[str]]:
    """run_id -> problem sources of its figures, for every measured leaderboard row."""
    store = open_store(home)
    runs = store.leaderboard()
    found: dict[str, set[str]] = {}
    for run_id, kind in zip(runs["run_id"], runs["kind"], strict=True):
        if kind == "generation":
            found[run_id] = sources_of(list(store.generation_statuses(run_id)))
        elif kind == "evaluation":
            found[run_id] = sources_of(list(store.evaluation_statuses(run_id)))
    return found


def protocols_with(runs: pd.DataFrame, metrics: Sequence[str], *, measured_only: bool = False) -> dict[str, str]:
    """:func:`protocol_choices` over the rows with a value of any of ``metrics`` (measured rows only
    when asked: the paper publishes no breakdowns)."""
    runs = _with_run_columns(runs)
    present = [m for m in metrics if m in runs.columns]
    keep = runs[present].notna().any(axis=1) if present else pd.Series(False, index=runs.index)
    if measured_only:
        keep &= runs["results"] == MEASURED_LABEL
    return protocol_choices(runs[keep])


def domain_protocols(scope: str = "subject") -> dict[str, str]:
    return _domain_protocols(*cache_key(), scope)


@st.cache_data(show_spinner=False, max_entries=8)
def _domain_protocols(home: str, version: str, scope: str) -> dict[str, str]:
    store = open_store(home)
    scoped = store.scoped_metrics(scope=scope)
    runs = _with_run_columns(store.leaderboard())
    with_breakdowns = runs[runs["run_id"].isin(set(scoped["run_id"]))] if not scoped.empty else runs.iloc[0:0]
    return protocol_choices(with_breakdowns)


def domains(metric: str | None, scope: str = "subject", protocol: str | None = None) -> DomainGrid:
    return _domains(*cache_key(), metric, scope, protocol)


@st.cache_data(show_spinner=False, max_entries=64)
def _domains(home: str, version: str, metric: str | None, scope: str, protocol: str | None) -> DomainGrid:
    store = open_store(home)
    scoped = store.scoped_metrics(scope=scope)
    if protocol is not None and not scoped.empty:  # only the runs of one protocol share a grid
        _, same, _ = within_protocol(store.leaderboard(), protocol)
        scoped = scoped[scoped["run_id"].isin(set(same["run_id"]))]
    return domain_grid(scoped, metric, scope)


def judge_protocols() -> dict[str, str]:
    return _judge_protocols(*cache_key())


@st.cache_data(show_spinner=False, max_entries=8)
def _judge_protocols(home: str, version: str) -> dict[str, str]:
    return protocols_with(open_store(home).leaderboard(), JUDGE_METRICS)


def judge_radar(chosen: Sequence[str] | None = None, protocol: str | None = None) -> JudgeRadar:
    return _judge_radar(*cache_key(), None if chosen is None else tuple(chosen), protocol)


@st.cache_data(show_spinner=False, max_entries=64)
def _judge_radar(home: str, version: str, chosen: tuple[str, ...] | None, protocol: str | None) -> JudgeRadar:
    runs = open_store(home).leaderboard()
    if protocol is not None:  # one protocol's runs only: judges and problem sets differ otherwise
        runs = within_protocol(runs, protocol)[1]
    return judge_radar_view(runs, chosen)


def correlation_protocols() -> dict[str, str]:
    return _correlation_protocols(*cache_key())


@st.cache_data(show_spinner=False, max_entries=8)
def _correlation_protocols(home: str, version: str) -> dict[str, str]:
    return protocol_choices(open_store(home).leaderboard())


def _protocol_rows(home: str, protocol: str | None) -> pd.DataFrame:
    runs = open_store(home).leaderboard()
    return runs if protocol is None else within_protocol(runs, protocol)[1]


def correlation_choices(results: str, protocol: str | None = None) -> dict[str, str]:
    return _correlation_choices(*cache_key(), results, protocol)


@st.cache_data(show_spinner=False, max_entries=8)
def _correlation_choices(home: str, version: str, results: str, protocol: str | None) -> dict[str, str]:
    return correlation_metrics(_protocol_rows(home, protocol), results)


def correlation(x: str, y: str, results: str, protocol: str | None = None) -> CorrelationView:
    return _correlation(*cache_key(), x, y, results, protocol)


@st.cache_data(show_spinner=False, max_entries=64)
def _correlation(home: str, version: str, x: str, y: str, results: str, protocol: str | None) -> CorrelationView:
    return correlation_view(_protocol_rows(home, protocol), x, y, results)
