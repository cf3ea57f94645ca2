"""The shareable static report: ONE self-contained HTML file that opens offline.

Sections: leaderboard with intervals (measured and reported apart), domain heatmap (per-subject
aggregates of measured runs), judge radar, correlation R_inv vs FID, downstream results, a
thumbnail gallery with pass/fail, and when/what it was made from. Plotly figures are inlined with
plotly.js embedded once (no CDN); thumbnails are inlined as base64 data URIs; every text is
escaped. ``build_report`` returns the HTML; ``write_report`` writes it.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from PIL import Image, UnidentifiedImageError

from core.evaluation.correlation import CorrelationError, correlate_metrics
from core.export import report_charts
from core.export.scaling import fit_scaling, fits_table, scaling_points
from core.metrics import JUDGE_DIMENSIONS, METRICS
from core.store import Store
from core.workspace import Workspace

DEFAULT_TITLE = "SciGen Studio report"
THUMBNAIL_PX = 160
GALLERY_LIMIT = 24
"""Figures shown per run (keeps the file small); the count shown says how many there are."""
HEATMAP_METRICS = ("rinv", "quiz_acc", "mmq_correct", "pass_at_k", "pass_at_1")
RADAR_LIMIT = 12
_JPEG_ABOVE_BYTES = 24_000


class ReportError(ValueError):
    """A report that cannot be made as asked (e.g. an unknown run name)."""


@dataclass
class ReportSummary:
    path: Path
    bytes: int
    figures: int
    thumbnails: int
    runs: int
    notes: list[str] = field(default_factory=list)


@dataclass
class _Page:
    """HTML parts in order; Plotly figures get plotly.js inlined in the first one only."""

    parts: list[str] = field(default_factory=list)
    figures: int = 0
    thumbnails: int = 0
    runs: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, markup: str) -> None:
        self.parts.append(markup)

    def text(self, tag: str, value: str, cls: str = "") -> None:
        attribute = f' class="{cls}"' if cls else ""
        self.parts.append(f"<{tag}{attribute}>{html.escape(value)}</{tag}>")

    def note(self, value: str) -> None:
        self.notes.append(value)
        self.text("p", value, "note")

    def figure(self, figure: go.Figure) -> None:
        self.parts.append(figure.to_html(
            full_html=False, include_plotlyjs=self.figures == 0, div_id=f"figure-{self.figures + 1}",
            config={"displaylogo": False, "responsive": True},
        ))
        self.figures += 1


# --------------------------------------------------------------------------------- data


def _select_runs(board: pd.DataFrame, names: Sequence[str] | None) -> pd.DataFrame:
    if not names:
        return board
    known = set(board["name"].astype(str)) if not board.empty else set()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ReportError(
            f"unknown run(s) {', '.join(map(repr, unknown))}; runs on the leaderboard: "
            f"{', '.join(sorted(known)) or 'none (run scigen init / scigen generate first)'}"
        )
    return board[board["name"].isin(list(names))]


def _interval_cell(row: pd.Series, metric: str) -> str:
    value = row.get(metric)
    if value is None or pd.isna(value):
        return "—"
    text = f"{value:.2f}"
    low, high, n = row.get(f"{metric}_ci_low"), row.get(f"{metric}_ci_high"), row.get(f"{metric}_n")
    if low is not None and high is not None and pd.notna(low) and pd.notna(high):
        text += f" [{low:.2f}, {high:.2f}]"
    if n is not None and pd.notna(n):
        text += f" (n={int(n)})"
    return text


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('—' if pd.isna(v) else str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _leaderboard_table(rows: pd.DataFrame) -> pd.DataFrame:
    metrics = [m for m in METRICS if m in rows.columns and rows[m].notna().any()]
    table = pd.DataFrame({"Run": rows["name"].astype(str), "Kind": rows["generator_kind"].fillna("—")})
    for metric in metrics:
        spec = METRICS[metric]
        header = f"{spec.label}{f' ({spec.unit})' if spec.unit else ''} {'↑' if spec.higher_is_better else '↓'}"
        table[header] = [_interval_cell(row, metric) for _, row in rows.iterrows()]
    return table


def thumbnail_data_uri(path: Path, size: int = THUMBNAIL_PX) -> str | None:
    """A small PNG (JPEG when the PNG is big) of the image at ``path`` as a data URI; None if unreadable."""
    try:
        with Image.open(path) as image:
            image.thumbnail((size, size))
            picture = image.convert("RGBA") if image.mode in ("P", "LA") else image.copy()
    except (OSError, UnidentifiedImageError):
        return None
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    mime = "image/png"
    if buffer.tell() > _JPEG_ABOVE_BYTES:
        flat = Image.new("RGB", picture.size, "white")
        flat.paste(picture, mask=picture.getchannel("A") if "A" in picture.getbands() else None)
        buffer = io.BytesIO()
        flat.save(buffer, format="JPEG", quality=80)
        mime = "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def _quiz_verdicts(store: Store, run_id: str) -> dict[str, tuple[int, int]]:
    """problem_uid -> (quizzes right, quizzes asked) from the run's merged evaluation, if any."""
    items = store.run_items(run_id)
    if items is None or items.quiz_answers.empty:
        return {}
    grouped = items.quiz_answers.groupby("problem_uid")["correct"]
    return {uid: (int(right), int(total)) for uid, right, total in
            zip(grouped.sum().index, grouped.sum(), grouped.count(), strict=True)}


# --------------------------------------------------------------------------------- sections


def _leaderboard_section(page: _Page, board: pd.DataFrame) -> None:
    page.text("h2", "Leaderboard")
    if board.empty:
        page.note("No runs yet: run `scigen init` for the paper's results, `scigen generate` for your own.")
        return
    measured, reported = board[board["results"] == "measured"], board[board["results"] == "reported"]
    page.text("h3", "Measured in this workspace")
    if measured.empty:
        page.note("No measured runs selected.")
    else:
        page.add(_table(_leaderboard_table(measured)))
        page.text("p", "Values with a 95% interval [low, high] and the number of items n where measured.", "caption")
    page.text("h3", "Reported (published)")
    if reported.empty:
        page.note("No reported runs selected.")
    else:
        page.add(_table(_leaderboard_table(reported)))
        page.text("p", "Published numbers: " + "; ".join(sorted(set(reported["provenance"].dropna()))), "caption")
    chosen = _largest_protocol(board, ("rinv", "perfect_image_rate", "quiz_acc", "pass_at_k"))
    if chosen is not None:
        runs, metric = chosen
        page.text("p", f"{METRICS[metric].label} of the runs of one protocol{_protocol_words(runs)}.", "caption")
        page.figure(report_charts.metric_bar(runs, metric))


def _heatmap_section(page: _Page, store: Store, selected_ids: set[str]) -> None:
    page.text("h2", "Domains")
    scoped = store.scoped_metrics(None, "subject")
    scoped = scoped[scoped["run_id"].isin(selected_ids)]
    metric = next((m for m in HEATMAP_METRICS if (scoped["metric"] == m).any()), None)
    if metric is None:
        page.note("Per-subject numbers appear once measured runs exist (scigen generate, then scigen evaluate).")
        return
    page.figure(report_charts.domain_heatmap(scoped, metric))


def _radar_section(page: _Page, board: pd.DataFrame) -> None:
    page.text("h2", "Judge radar")
    dimensions = [name for name, _ in JUDGE_DIMENSIONS if name in board.columns]
    rows = board.dropna(subset=dimensions, how="all") if dimensions else board.iloc[0:0]
    if rows.empty:
        page.note("No judge scores among the selected runs (scigen evaluate with the judge evaluator).")
        return
    if len(rows) > RADAR_LIMIT:
        rows = rows.sort_values(dimensions[0], ascending=False).head(RADAR_LIMIT)
        page.note(f"The {RADAR_LIMIT} runs with the highest {METRICS[dimensions[0]].label} are drawn.")
    page.figure(report_charts.judge_radar(rows, dimensions))


def _largest_protocol(
    board: pd.DataFrame, metrics: tuple[str, ...], *, also: tuple[str, ...] = ()
) -> tuple[pd.DataFrame, str] | None:
    """(runs, metric): the runs of the one protocol with the most runs having ``metric`` (the first
    of ``metrics`` that gives most) and every ``also``. Runs of different protocols are never
    charted or correlated together."""
    protocols = board["protocol_id"].fillna("") if "protocol_id" in board.columns else pd.Series("", index=board.index)
    best: tuple[int, pd.DataFrame, str] | None = None
    for _, part in board.groupby(protocols, sort=False):
        for metric in metrics:
            if {metric, *also} <= set(part.columns):
                n = len(part[[metric, *also]].dropna())
                if n and (best is None or n > best[0]):
                    best = (n, part, metric)
    return (best[1], best[2]) if best else None


def _protocol_words(runs: pd.DataFrame) -> str:
    labels = runs["protocol"].dropna() if "protocol" in runs.columns else pd.Series(dtype=object)
    return f" ({labels.iloc[0]})" if not labels.empty else ""


def _correlation_section(page: _Page, board: pd.DataFrame) -> None:
    page.text("h2", "Correlations")
    chosen = _largest_protocol(board, ("rinv", "perfect_image_rate"), also=("fid",))
    if chosen is None:
        page.note("Correlating R_inv with FID needs runs of one protocol that have both.")
        return
    runs, metric = chosen
    try:
        correlation = correlate_metrics(runs, metric, "fid")
    except CorrelationError as exc:
        page.note(f"No correlation: {exc}.")
        return
    page.text("p", (
        f"{METRICS[metric].label} vs FID over {correlation.n} runs{_protocol_words(runs)}: "
        f"Pearson r = {correlation.pearson_r:.3f} (p = {correlation.pearson_p:.3g}), "
        f"Spearman ρ = {correlation.spearman_r:.3f} (p = {correlation.spearman_p:.3g})."
    ))
    page.figure(report_charts.correlation_scatter(runs, metric, "fid", correlation))


def _downstream_section(page: _Page, store: Store) -> None:
    frame = store.downstream_results()
    if frame.empty:
        return
    page.text("h2", "Downstream utility")
    reported = frame[frame["train_samples"].isna()]
    if not reported.empty:
        wide = reported.pivot_table(index="source", columns="benchmark", values="accuracy", aggfunc="first", sort=False)
        models = ", ".join(sorted(set(reported["base_model"].dropna())))
        page.add(_table(wide.reset_index().rename(columns={"source": "Training images"})))
        page.text("p", f"Accuracy (%) of {models or 'a model'} fine-tuned on each source's images; "
                       + "; ".join(sorted(set(reported["provenance"]))), "caption")
    points = scaling_points(frame)
    if not points.empty:
        fits = fit_scaling(frame)
        page.figure(report_charts.scaling_figure(points, fits))
        page.add(_table(fits_table(fits).round(3)))


def _gallery_section(page: _Page, store: Store, workspace: Workspace, runs: pd.DataFrame, limit: int) -> None:
    page.text("h2", "Gallery")
    generation_runs = runs[runs["kind"] == "generation"]
    if generation_runs.empty:
        page.note("No generated figures among the selected runs (scigen generate makes some).")
        return
    for run in generation_runs.itertuples(index=False):
        figures = store.generations(run.run_id)
        verdicts = _quiz_verdicts(store, run.run_id)
        shown = figures.head(limit)
        page.text("h3", f"{run.name} — {len(figures)} figures" + (f", first {limit} shown" if len(figures) > limit else ""))
        cards: list[str] = []
        for item in shown.itertuples(index=False):
            uri = None
            if item.status == "ok" and isinstance(item.image_path, str) and item.image_path:
                uri = thumbnail_data_uri(workspace.home / item.image_path)
            if item.status != "ok":
                verdict, label = "fail", f"failed: {item.error_class or 'error'}"
            elif item.problem_uid in verdicts:
                right, total = verdicts[item.problem_uid]
                verdict = "pass" if right == total else "fail"
                label = f"{verdict}: quizzes {right}/{total}"
            else:
                verdict, label = "pass", "rendered (not evaluated)"
            image = (f'<img src="{uri}" alt="{html.escape(item.problem_uid)}" width="{THUMBNAIL_PX}">'
                     if uri else '<div class="noimage">no image</div>')
            page.thumbnails += uri is not None
            cards.append(
                f'<figure class="card {verdict}">{image}<figcaption>'
                f"<code>{html.escape(item.problem_uid)}</code><br>"
                f'<span class="badge {verdict}">{html.escape(label)}</span></figcaption></figure>'
            )
        page.add(f'<div class="gallery">{"".join(cards)}</div>')


def _provenance_section(page: _Page, runs: pd.DataFrame, generated_at: datetime) -> None:
    from core.version import code_version

    page.text("h2", "Provenance")
    page.text("p", f"Generated {generated_at:%Y-%m-%d %H:%M} UTC by SciGen Studio (code {code_version()}).")
    if runs.empty:
        return
    table = pd.DataFrame({
        "Run": runs["name"].astype(str), "Kind": runs["kind"], "Generator": runs["spec_name"].fillna("—"),
        "Model": runs["model"].fillna("—"), "Created": runs["created_at"].astype(str).str.slice(0, 16),
        "Provenance": runs["provenance"].fillna("measured in this workspace"),
    })
    page.add(_table(table))


# --------------------------------------------------------------------------------- assembly

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem}h2{border-bottom:1px solid #ddd;padding-bottom:.3rem;margin-top:2.2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0;display:block;overflow-x:auto}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;white-space:nowrap}th{background:#f4f4f4}
.caption,.note{color:#666;font-size:.85rem}.note{font-style:italic}
.gallery{display:flex;flex-wrap:wrap;gap:.6rem}
.card{margin:0;padding:.4rem;border:2px solid #ccc;border-radius:6px;width:172px;font-size:.75rem}
.card.pass{border-color:#2ca02c}.card.fail{border-color:#d62728}
.card img{display:block;max-width:160px;max-height:160px}.noimage{width:160px;height:100px;background:#eee}
.badge{font-weight:600}.badge.pass{color:#2ca02c}.badge.fail{color:#d62728}code{word-break:break-all}
"""


def build_report(
    store: Store, workspace: Workspace, *, runs: Sequence[str] | None = None, title: str = DEFAULT_TITLE,
    gallery_limit: int = GALLERY_LIMIT, generated_at: datetime | None = None,
) -> tuple[str, _Page]:
    """The report's HTML and what went into it. ``runs``: run names to include (default: all)."""
    generated_at = generated_at or datetime.now(UTC)
    board = _select_runs(store.leaderboard(), runs)
    if not board.empty:
        board = board.assign(results=["reported" if k == "reported" else "measured" for k in board["kind"]])
    all_runs = store.list_runs()
    selected = all_runs[all_runs["run_id"].isin(set(board["run_id"]))] if not board.empty else all_runs.iloc[0:0]
    page = _Page(runs=len(board))
    page.text("h1", title)
    page.text("p", f"Generated {generated_at:%Y-%m-%d %H:%M} UTC · {len(board)} runs "
                   f"({int((board.get('results') == 'measured').sum()) if not board.empty else 0} measured)", "caption")
    _leaderboard_section(page, board)
    _heatmap_section(page, store, set(board["run_id"]) if not board.empty else set())
    _radar_section(page, board)
    _correlation_section(page, board)
    _downstream_section(page, store)
    _gallery_section(page, store, workspace, selected, gallery_limit)
    _provenance_section(page, selected, generated_at)
    document = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(page.parts) + "\n</body></html>\n"
    )
    return document, page


def write_report(store: Store, workspace: Workspace, out: str | Path, **options) -> ReportSummary:
    """Build the report and write it to ``out`` (folders created)."""
    document, page = build_report(store, workspace, **options)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document, encoding="utf-8")
    return ReportSummary(path=out, bytes=len(document.encode("utf-8")), figures=page.figures,
                         thumbnails=page.thumbnails, runs=page.runs, notes=page.notes)
