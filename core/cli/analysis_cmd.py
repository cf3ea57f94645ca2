"""``scigen leaderboard`` and ``scigen correlate``: the store's numbers, ranked and related.

Reported runs (a paper's published table) and measured runs (computed in this workspace) are
never mixed silently: the leaderboard has an ``origin`` column, ranks and tie groups are computed
within each origin, and ``correlate`` uses one origin only (measured, or ``--reported``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from core.cli import CliError

if TYPE_CHECKING:
    import pandas as pd

    from core.store import Store

GENERATOR_KINDS = ("code", "pixel", "baseline")
LEADERBOARD_FORMATS = ("table", "csv", "json")
CORRELATE_FORMATS = ("table", "json")
BY_SCOPE = {"subject": "subject", "type": "image_type"}
ORIGINS = ("measured", "reported")
DEFAULT_METRIC = "rinv"
# Run facts shown with the numbers; the rest of a leaderboard row is metric columns.
RUN_INFO = (
    "run_id", "name", "kind", "generator_kind", "access", "model", "provenance", "created_at", "evaluated_by",
    "protocol_id", "spec_name", "spec_json",
)
EXPORT_INFO = (
    "origin",
    "rank",
    "run_id",
    "name",
    "kind",
    "generator_kind",
    "access",
    "model",
    "provenance",
    "tie",
    "tie_method",
    "protocol",
    "ranked_by",
)
R_INV_VARIANTS = ("rinv", "perfect_image_rate")
"""Strict R_inv and the paper's: a group of runs is ranked by the one more of its runs have."""


def register(subparsers: argparse._SubParsersAction) -> None:
    board = subparsers.add_parser(
        "leaderboard",
        help="rank runs by a metric, with 95%% intervals and tie groups",
        description=(
            "Rank the stored runs by a metric (default rinv). The origin column says whether a run's "
            "numbers were measured in this workspace or reported in a paper; runs are ranked within "
            "their origin, never across. Intervals are 95% bootstrap intervals clustered by problem. "
            "tie: 'tied' = not separable from the best run (paired bootstrap interval of best - run "
            "includes 0 when both have per-figure data, else overlapping stored intervals; reported "
            "runs have no intervals, so no tie group)."
        ),
    )
    origin = board.add_mutually_exclusive_group()
    origin.add_argument("--reported", action="store_true", help="only reported (published) runs")
    origin.add_argument("--measured", action="store_true", help="only runs measured in this workspace")
    board.add_argument(
        "--kind", choices=GENERATOR_KINDS, default=None, help="only runs of this generator kind"
    )
    board.add_argument(
        "--by",
        choices=tuple(BY_SCOPE),
        default=None,
        help="per-subject or per-image-type aggregates of measured runs instead of overall numbers",
    )
    board.add_argument("--metric", default=None, help="metric to rank by, e.g. rinv, quiz_acc, judge_cf, fid")
    board.add_argument(
        "--format", choices=LEADERBOARD_FORMATS, default="table", help="output format (default: table)"
    )
    board.set_defaults(handler=run_leaderboard)

    corr = subparsers.add_parser(
        "correlate",
        help="Pearson and Spearman correlation of two metrics across runs",
        description=(
            "Correlate two metrics over the runs that have both (at least 3), with p-values "
            "(scipy.stats). Uses measured runs, or the reported ones with --reported; never both. "
            "JSON keys: x, y, n, pearson_r, pearson_p, spearman_r, spearman_p, runs, origin."
        ),
    )
    corr.add_argument("x", metavar="X", help="a metric name, e.g. rinv")
    corr.add_argument("y", metavar="Y", help="a metric name, e.g. fid")
    corr.add_argument("--reported", action="store_true", help="correlate reported (published) runs")
    corr.add_argument(
        "--kind", choices=GENERATOR_KINDS, default=None, help="only runs of this generator kind"
    )
    corr.add_argument(
        "--format", choices=CORRELATE_FORMATS, default="table", help="output format (default: table)"
    )
    corr.set_defaults(handler=run_correlate)


# --------------------------------------------------------------------------------------------
# shared


def _open_store(args: argparse.Namespace) -> Store:
    from core.store import Store  # imported late: listing the verbs must not need the store
    from core.workspace import Workspace

    return Store.open(Workspace.from_env(getattr(args, "home", None)))


def metric_columns(frame: pd.DataFrame) -> list[str]:
    """The metric columns of a ``Store.leaderboard()`` frame (not run facts, intervals or counts)."""
    columns = [str(c) for c in frame.columns if c not in RUN_INFO and c not in EXPORT_INFO]
    suffixes = ("_ci_low", "_ci_high", "_n")
    return [c for c in columns if not any(c.endswith(s) and c[: -len(s)] in columns for s in suffixes)]


def present_metrics(frame: pd.DataFrame) -> list[str]:
    """Metric columns with at least one value."""
    return [m for m in metric_columns(frame) if frame[m].notna().any()]


def known_metrics(present: list[str]) -> list[str]:
    from core.metrics import METRICS

    return list(METRICS) + sorted(set(present) - set(METRICS))


def resolve_metric(name: str, present: list[str]) -> str:
    """A metric's name from what a user typed (name or label, any case, '-' for '_')."""
    from core.metrics import METRICS

    wanted = name.strip().lower().replace("-", "_").replace(" ", "_")
    known = known_metrics(present)
    for metric in known:
        label = METRICS[metric].label.lower().replace(" ", "_") if metric in METRICS else metric
        if wanted in (metric.lower(), label):
            return metric
    raise CliError(f"unknown metric {name!r}; known metrics: {', '.join(known)}")


def higher_is_better(metric: str) -> bool:
    """From the metric's declaration; undeclared ones: higher is better, except counts (n_missing)."""
    from core.evaluation.stats import COUNT_METRICS
    from core.metrics import METRICS

    if metric in METRICS:
        return METRICS[metric].higher_is_better
    return metric not in COUNT_METRICS


def _runs(store: Store, *, origin: str | None, generator_kind: str | None) -> pd.DataFrame:
    """Leaderboard rows with an origin column, filtered, without runs that have no numbers."""
    frame = store.leaderboard()
    frame.insert(0, "origin", ["reported" if k == "reported" else "measured" for k in frame["kind"]])
    if origin is not None:
        frame = frame[frame["origin"] == origin]
    if generator_kind is not None:
        frame = frame[frame["generator_kind"] == generator_kind]
    metrics = metric_columns(frame)
    if metrics:
        frame = frame[frame[metrics].notna().any(axis=1)]
    else:
        frame = frame.iloc[0:0]
    return frame.reset_index(drop=True)


def _origin_words(origin: str | None) -> str:
    return {"reported": "reported ", "measured": "measured "}.get(origin or "", "")


def _missing(value: object) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def _fmt(value: object, metric: str = "") -> str:
    from core.evaluation.stats import COUNT_METRICS

    if _missing(value):
        return "–"
    number = float(value)  # type: ignore[arg-type]
    if metric in COUNT_METRICS:
        return f"{number:.0f}"
    if number != 0 and abs(number) < 0.1:
        return f"{number:.3g}"
    return f"{number:.2f}"


def _render_table(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(header), *(line(row) for row in rows)])


def _print_records(frame: pd.DataFrame, fmt: str) -> None:
    if fmt == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    else:
        print(
            json.dumps(
                json.loads(frame.to_json(orient="records", force_ascii=False)), indent=2, ensure_ascii=False
            )
        )


# --------------------------------------------------------------------------------------------
# figure tables for paired tie decisions


def _figure_tables(store: Store, run_ids: list[str], metric: str) -> dict[str, pd.DataFrame]:
    """Figure tables of the runs whose per-figure data can give ``metric`` (run_id -> table)."""
    from core.evaluation.stats import build_figure_table, figure_metrics

    tables: dict[str, pd.DataFrame] = {}
    for run_id in run_ids:
        items = store.run_items(run_id)
        if items is None or not items.has_figures:
            continue
        try:
            table = build_figure_table(**items.frames())
        except ValueError as exc:
            print(f"note: per-figure data of run {run_id} not used for ties: {exc}", file=sys.stderr)
            continue
        if metric in figure_metrics(table):
            tables[run_id] = table
    return tables


def _scope_part(table: pd.DataFrame, column: str, value: str) -> pd.DataFrame:
    from core.evaluation.stats import UNTYPED_IMAGE_TYPE

    if column == "image_type" and value == UNTYPED_IMAGE_TYPE:
        return table[table["image_type"].isna()]
    return table[table[column] == value]


# --------------------------------------------------------------------------------------------
# leaderboard


def _protocol_groups(frame: pd.DataFrame) -> list[pd.DataFrame]:
    """Rows of one protocol each (rows stored without one: one group per origin); groups without
    reported rows first. Runs of different protocols are never ranked against each other."""
    ids = frame["protocol_id"] if "protocol_id" in frame.columns else pd.Series(None, index=frame.index)
    keys = [p if isinstance(p, str) else f"({o})" for p, o in zip(ids, frame["origin"], strict=True)]
    groups = [frame[[k == key for k in keys]] for key in dict.fromkeys(keys)]
    return sorted(groups, key=lambda part: bool((part["origin"] == "reported").any()))


def group_metric(part: pd.DataFrame, metric: str) -> str:
    """What a protocol's rows are ranked by: ``metric``, except that an R_inv variant gives way to
    the other one when more of the rows have it (the paper's rows have only its own)."""
    if metric not in R_INV_VARIANTS:
        return metric
    counts = {m: int(part[m].notna().sum()) if m in part.columns else 0 for m in R_INV_VARIANTS}
    return max(R_INV_VARIANTS, key=lambda m: (counts[m], m == metric))


def _rank(frame: pd.DataFrame, metric: str, store: Store) -> pd.DataFrame:
    """Sort within each protocol, add rank, tie, protocol and ranked_by columns."""
    import pandas as pd

    from core.evaluation.stats import tie_group

    parts: list[pd.DataFrame] = []
    for part in _protocol_groups(frame):
        ranked_by = group_metric(part, metric)
        best_first = higher_is_better(ranked_by)
        part = part.sort_values(
            [ranked_by, "name"], ascending=[not best_first, True], na_position="last", kind="stable"
        )
        has_value = part[ranked_by].notna()
        part.insert(1, "rank", pd.array([None] * len(part), dtype="Int64"))
        part.loc[has_value, "rank"] = range(1, int(has_value.sum()) + 1)
        measured = (part["origin"] == "measured").all()
        tables = _figure_tables(store, part["run_id"].tolist(), ranked_by) if measured else {}
        runs = pd.DataFrame(
            {
                "run": part["run_id"],
                "value": part[ranked_by],
                "ci_low": part.get(f"{ranked_by}_ci_low"),
                "ci_high": part.get(f"{ranked_by}_ci_high"),
            }
        )
        group = tie_group(runs, ranked_by, higher_is_better=best_first, figure_tables=tables)
        # No comparison decided (e.g. reported runs: no intervals): no tie group at all.
        status = {entry.run: entry for entry in group.entries} if group.members else {}
        part["tie"] = [status[r].status if r in status else None for r in part["run_id"]]
        part["tie_method"] = [status[r].method if r in status else None for r in part["run_id"]]
        labels = part["protocol"] if "protocol" in part.columns else pd.Series(None, index=part.index)
        part["protocol"] = [p if isinstance(p, str) else "no protocol recorded" for p in labels]
        part["ranked_by"] = ranked_by
        parts.append(part)
    return (
        pd.concat(parts, ignore_index=True) if parts
        else frame.assign(rank=None, tie=None, tie_method=None, protocol=None, ranked_by=None)
    )


def run_leaderboard(args: argparse.Namespace) -> int:
    origin = "reported" if args.reported else "measured" if args.measured else None
    store = _open_store(args)
    if args.by is not None:
        return _leaderboard_by(args, store)
    frame = _runs(store, origin=origin, generator_kind=args.kind)
    metrics = present_metrics(frame)
    metric = resolve_metric(args.metric, metrics) if args.metric else None
    if frame.empty:
        what = f"{_origin_words(origin)}runs" + (f" of kind {args.kind}" if args.kind else "")
        hint = " (scigen init loads the paper's reported table)" if origin != "measured" else ""
        if args.format == "table":
            print(f"no {what} with numbers in the store{hint}")
        else:
            _print_records(frame.iloc[0:0][[c for c in frame.columns if c in EXPORT_INFO]], args.format)
        return 0
    if metric is None:
        metric = DEFAULT_METRIC if DEFAULT_METRIC in metrics else metrics[0]
    if metric not in metrics:
        raise CliError(
            f"no {_origin_words(origin)}run has a value for {metric!r}; metrics present: {', '.join(metrics)}"
        )
    ranked = _rank(frame, metric, store)
    ordered_metrics = [metric, *(m for m in metrics if m != metric)]
    if args.format != "table":
        columns = [c for c in EXPORT_INFO if c in ranked.columns]
        for name in ordered_metrics:
            columns += [
                c for c in (name, f"{name}_ci_low", f"{name}_ci_high", f"{name}_n") if c in ranked.columns
            ]
        _print_records(ranked[columns], args.format)
        return 0
    groups = [ranked[ranked["protocol"] == label] for label in dict.fromkeys(ranked["protocol"])]
    for position, part in enumerate(groups):
        ranked_by = part["ranked_by"].iloc[0]
        shown = [ranked_by, *(m for m in metrics if m != ranked_by and part[m].notna().any())]
        print(("\n" if position else "") + f"protocol: {part['protocol'].iloc[0]}")
        print(_leaderboard_table(part, ranked_by, shown, footer=ranked if position == len(groups) - 1 else None))
    return 0


def _leaderboard_table(
    ranked: pd.DataFrame, metric: str, metrics: list[str], *, footer: pd.DataFrame | None = None
) -> str:
    """One protocol's rows as text; ``footer`` (every row shown) adds the notes once, at the end."""
    has_ci = f"{metric}_ci_low" in ranked.columns
    header = ["rank", "name", "origin", "kind", "access", metric]
    if has_ci:
        header.append("95% CI")
    header += ["tie", *metrics[1:]]
    rows: list[list[str]] = []
    for record in ranked.to_dict("records"):
        rank = record["rank"]
        row = [
            "–" if _missing(rank) else str(rank),
            str(record["name"]),
            str(record["origin"]),
            record["generator_kind"] if isinstance(record["generator_kind"], str) else "–",
            record["access"] if isinstance(record["access"], str) else "–",
            _fmt(record[metric], metric),
        ]
        if has_ci:
            low, high = record.get(f"{metric}_ci_low"), record.get(f"{metric}_ci_high")
            row.append("–" if _fmt(low) == "–" else f"[{_fmt(low)}, {_fmt(high)}]")
        row.append(
            {"best": "best", "tied": "tied", "separable": "", "undecided": "?"}.get(record["tie"] or "", "")
        )
        row += [_fmt(record[m], m) for m in metrics[1:]]
        rows.append(row)
    numeric = {0, 5, *range(len(header) - len(metrics) + 1, len(header))}
    direction = "higher" if higher_is_better(metric) else "lower"
    lines = [_render_table(header, rows, numeric), f"ranked by {metric} ({direction} is better)"]
    if footer is None:
        return "\n".join(lines)
    lines.append(
        "\nruns are ranked only within their protocol (problem set, quiz set, answerer, judges, "
        "missing-image rule); 95% CI: bootstrap over problems (quizzes of one image resampled together)"
    )
    origins = set(footer["origin"])
    if "measured" in origins:
        lines.append("measured: computed in this workspace")
    if "reported" in origins:
        provenances = sorted(
            {p for p in footer.loc[footer["origin"] == "reported", "provenance"] if isinstance(p, str)}
        )
        lines.append(
            "reported: published numbers" + (f" from {'; '.join(provenances)}" if provenances else "")
        )
    lines.append(
        "tie: 'tied' = not separable from the best (paired bootstrap interval of best - run over shared "
        "problems includes 0; without per-figure data, overlapping 95% intervals); blank = separable; "
        "'?' = undecided; reported runs have no intervals, so no tie group"
    )
    return "\n".join(lines)


def _leaderboard_by(args: argparse.Namespace, store: Store) -> int:
    import pandas as pd

    from core.evaluation.stats import UNTYPED_IMAGE_TYPE, tie_group
    from core.problems.taxonomy import ALL_IMAGE_TYPES, SUBJECTS

    if args.reported:
        raise CliError("--by needs measured runs: reported runs have only overall numbers")
    scope = BY_SCOPE[args.by]
    runs = _runs(store, origin="measured", generator_kind=args.kind)
    # Per-scope numbers of the leaderboard's rows (evaluation numbers merged into generation runs).
    long = store.scoped_metrics(scope=scope).drop(columns=["name", "generator_kind"])
    long = long[long["run_id"].isin(runs["run_id"])]
    present = sorted(set(long["metric"])) or present_metrics(runs)
    metric = resolve_metric(args.metric or DEFAULT_METRIC, present)
    rows = long[long["metric"] == metric].merge(runs[["run_id", "name", "generator_kind"]], on="run_id")
    column = "subject" if scope == "subject" else "image_type"
    if rows.empty:
        if args.format == "table":
            print(f"no measured run has per-{args.by} aggregates of {metric}")
        else:
            empty = pd.DataFrame(
                columns=[column, "rank", "run_id", "name", "value", "ci_low", "ci_high", "n", "tie"]
            )
            _print_records(empty, args.format)
        return 0
    order = list(SUBJECTS if scope == "subject" else ALL_IMAGE_TYPES) + [UNTYPED_IMAGE_TYPE]
    position = {value: i for i, value in enumerate(order)}
    best_first = higher_is_better(metric)
    tables = _figure_tables(store, sorted(set(rows["run_id"])), metric)
    parts: list[pd.DataFrame] = []
    for value in sorted(set(rows["scope_value"]), key=lambda v: (position.get(v, len(order)), v)):
        part = rows[rows["scope_value"] == value].sort_values(
            ["value", "name"], ascending=[not best_first, True], na_position="last", kind="stable"
        )
        part = part.assign(rank=range(1, len(part) + 1))
        group = tie_group(
            pd.DataFrame(
                {
                    "run": part["run_id"],
                    "value": part["value"],
                    "ci_low": part["ci_low"],
                    "ci_high": part["ci_high"],
                }
            ),
            metric,
            higher_is_better=best_first,
            figure_tables={r: _scope_part(t, column, value) for r, t in tables.items()},
        )
        status = {entry.run: entry.status for entry in group.entries} if group.members else {}
        parts.append(part.assign(tie=[status.get(r) for r in part["run_id"]]))
    ranked = pd.concat(parts, ignore_index=True).rename(columns={"scope_value": column})
    ranked["n"] = ranked["n"].astype("Int64")
    columns = [column, "rank", "run_id", "name", "generator_kind", "value", "ci_low", "ci_high", "n", "tie"]
    if args.format != "table":
        _print_records(ranked[columns].assign(metric=metric), args.format)
        return 0
    header = [column, "rank", "name", metric, "95% CI", "n", "tie"]
    body = [
        [
            str(r[column]),
            str(r["rank"]),
            str(r["name"]),
            _fmt(r["value"], metric),
            "–" if _fmt(r["ci_low"]) == "–" else f"[{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]",
            "–" if _missing(r["n"]) else str(r["n"]),
            {"best": "best", "tied": "tied", "undecided": "?"}.get(r["tie"] or "", ""),
        ]
        for r in ranked.to_dict("records")
    ]
    print(_render_table(header, body, {1, 3, 5}))
    direction = "higher" if best_first else "lower"
    print(
        f"\nmeasured runs, {metric} per {args.by} ({direction} is better); 95% CI: bootstrap over problems; "
        "tie: 'tied' = not separable from the best of that group; blank = separable; '?' = undecided"
    )
    return 0


# --------------------------------------------------------------------------------------------
# correlate


def run_correlate(args: argparse.Namespace) -> int:
    from core.evaluation.correlation import CorrelationError, correlate_metrics

    origin = "reported" if args.reported else "measured"
    store = _open_store(args)
    frame = _runs(store, origin=origin, generator_kind=args.kind)
    present = present_metrics(frame)
    x = resolve_metric(args.x, present)
    y = resolve_metric(args.y, present)
    hint = "" if args.reported else "; --reported correlates the paper's reported runs"
    for metric in (x, y):
        if metric not in present:
            raise CliError(
                f"no {origin} run has a value for {metric!r}"
                + (f"; metrics present: {', '.join(present)}" if present else "")
                + hint
            )
    try:
        result = correlate_metrics(frame, x, y, label="name")
    except CorrelationError as exc:
        raise CliError(f"{exc} ({origin} runs{hint})") from None
    payload = {**result.model_dump(), "origin": origin}
    if args.format == "json":
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 0
    print(f"{x} vs {y} over {result.n} {origin} runs")
    print(f"  Pearson r    = {result.pearson_r:+.3f}   p = {result.pearson_p:.3g}")
    print(f"  Spearman rho = {result.spearman_r:+.3f}   p = {result.spearman_p:.3g}")
    print(f"  runs: {', '.join(result.runs)}")
    return 0
