"""Finding the figure a script meant, rendering it once, and measuring what was drawn.

The rule it implements is ``core.sandbox.rules.CAPTURE_RULE`` (kept there so the host can show
it without importing Matplotlib).
"""

from __future__ import annotations

import functools
import inspect
import io
import math
import os
import re
import sys
import types
from dataclasses import dataclass, field
from typing import Any

import matplotlib
import numpy as np
from matplotlib import pyplot as plt
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text

_ENTRY_NAME = re.compile(
    r"^(main|(draw|plot|make|create|render|build|generate|visuali[sz]e|sketch|figure|diagram)"
    r"(_\w*|[A-Z0-9]\w*)?)$",
    re.IGNORECASE,
)


class OutputTooLarge(ValueError):
    """Raised inside the script when a canvas would exceed the pixel limit."""


@dataclass
class PngCapture:
    figure: Figure
    png: bytes
    svg: bytes | None
    facts: dict[str, Any]


@dataclass
class SaveRecord:
    figure: Figure
    kwargs: dict[str, Any]
    capture: PngCapture | None
    """None when the script saved in another format (then the PNG is rendered at the end)."""


@dataclass
class CaptureState:
    """Per-render state; a fresh one is made in each script's process."""

    created: list[Figure] = field(default_factory=list)
    last_save: SaveRecord | None = None
    saved_as: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    forced_dpi: float | None = None
    want_svg: bool = False
    max_pixels: int = 40_000_000
    show_calls: int = 0


STATE = CaptureState()


class _Recorder:
    """Collects what the real drawing pass of one PNG render draws."""

    def __init__(self) -> None:
        self.active = False
        self.texts: dict[int, tuple[Text, Any]] = {}
        self.renderer: RendererAgg | None = None
        self.axes: list[dict[str, Any]] = []

    def start(self) -> None:
        self.active, self.texts, self.renderer, self.axes = True, {}, None, []

    def stop(self) -> None:
        self.active = False


_RECORDER = _Recorder()

_orig_figure_init = Figure.__init__
_orig_savefig = Figure.savefig
_orig_text_draw = Text.draw
_orig_canvas_draw = FigureCanvasAgg.draw
_orig_renderer_init = RendererAgg.__init__
_text_window_extent = Text.get_window_extent


def _is_real_pass(renderer: object) -> bool:
    # Matplotlib's layout passes (tight bbox, constrained layout) disable drawing by shadowing the
    # renderer's draw_* methods on the instance; only the pass that paints pixels counts.
    return isinstance(renderer, RendererAgg) and "draw_text" not in vars(renderer)


@functools.wraps(_orig_figure_init)
def _figure_init(self: Figure, *args: Any, **kwargs: Any) -> None:
    _orig_figure_init(self, *args, **kwargs)
    STATE.created.append(self)


@functools.wraps(_orig_text_draw)
def _text_draw(self: Text, renderer: Any) -> None:
    _orig_text_draw(self, renderer)
    if not _RECORDER.active or not _is_real_pass(renderer):
        return
    if not self.get_visible() or self.get_text() == "":
        return
    try:
        box = _text_window_extent(self, renderer)
    except Exception:
        return
    _RECORDER.texts[id(self)] = (self, box)


@functools.wraps(_orig_canvas_draw)
def _canvas_draw(self: FigureCanvasAgg) -> None:
    if _RECORDER.active:
        _RECORDER.texts = {}
    _orig_canvas_draw(self)
    if _RECORDER.active:
        renderer = self.renderer
        _RECORDER.renderer = renderer
        height = renderer.height
        _RECORDER.axes = []
        for index, ax in enumerate(self.figure.axes):
            if not ax.get_visible():
                continue
            box = ax.get_window_extent(renderer)
            _RECORDER.axes.append({
                "index": index, "x0": _r(box.x0), "y0": _r(height - box.y1), "x1": _r(box.x1),
                "y1": _r(height - box.y0), "axis_on": bool(ax.axison),
            })


@functools.wraps(_orig_renderer_init)
def _renderer_init(self: RendererAgg, width: float, height: float, dpi: float) -> None:
    limit = STATE.max_pixels
    if width * height > limit:
        raise OutputTooLarge(
            f"a canvas of {int(width)}x{int(height)} pixels exceeds the limit of {limit:,} pixels"
        )
    _orig_renderer_init(self, width, height, dpi)


def _resolve_format(fname: Any, fmt: str | None) -> tuple[str, str | None]:
    """(format, path or None) as Matplotlib's savefig would decide them."""
    path = None
    if isinstance(fname, (str, bytes, os.PathLike)):
        path = os.fsdecode(os.fspath(fname))
        if fmt is None:
            ext = os.path.splitext(path)[1][1:]
            if ext:
                fmt = ext
            else:
                fmt = matplotlib.rcParams["savefig.format"]
                path = f"{path}.{fmt}"
    if fmt is None:
        fmt = matplotlib.rcParams["savefig.format"]
    return str(fmt).lower(), path


def _savefig(self: Figure, fname: Any, *, transparent: bool | None = None, **kwargs: Any) -> None:
    fmt, path = _resolve_format(fname, kwargs.get("format"))
    STATE.saved_as.append(path if path is not None else f"<{type(fname).__name__}>")
    options = dict(kwargs, transparent=transparent)
    if fmt != "png":
        _orig_savefig(self, fname, transparent=transparent, **kwargs)
        STATE.last_save = SaveRecord(self, options, None)
        return
    capture = render_png(self, options)
    STATE.last_save = SaveRecord(self, options, capture)
    if path is not None:
        with open(path, "wb") as handle:
            handle.write(capture.png)
    else:
        fname.write(capture.png)


_savefig.__doc__ = _orig_savefig.__doc__
_savefig.__wrapped__ = _orig_savefig  # type: ignore[attr-defined]


def _pyplot_savefig(fname: Any, **kwargs: Any) -> None:
    # Matplotlib's version also redraws the canvas afterwards (for interactive windows); headless
    # that is only a second full draw.
    return plt.gcf().savefig(fname, **kwargs)


def _pyplot_show(*args: Any, **kwargs: Any) -> None:
    STATE.show_calls += 1


def install() -> None:
    """Patch Matplotlib once, in the warm parent, before the tamper snapshot is taken."""
    Figure.__init__ = _figure_init  # type: ignore[method-assign]
    Figure.savefig = _savefig  # type: ignore[method-assign]
    Text.draw = _text_draw  # type: ignore[method-assign]
    FigureCanvasAgg.draw = _canvas_draw  # type: ignore[method-assign]
    RendererAgg.__init__ = _renderer_init  # type: ignore[method-assign]
    plt.savefig = _pyplot_savefig
    plt.show = _pyplot_show


def reset(*, forced_dpi: float | None, want_svg: bool, max_pixels: int) -> CaptureState:
    global STATE
    STATE = CaptureState(forced_dpi=forced_dpi, want_svg=want_svg, max_pixels=max_pixels)
    return STATE


def _r(value: float) -> float:
    return round(float(value), 2)


def render_png(figure: Figure, options: dict[str, Any]) -> PngCapture:
    """Render ``figure`` to PNG once (honouring savefig options) and measure it."""
    kwargs = {k: v for k, v in options.items() if k not in ("format",)}
    if STATE.forced_dpi is not None:
        kwargs["dpi"] = STATE.forced_dpi
    buffer = io.BytesIO()
    _RECORDER.start()
    try:
        _orig_savefig(figure, buffer, format="png", **kwargs)
        facts = _measure(figure)
    finally:
        _RECORDER.stop()
    svg = None
    if STATE.want_svg:
        svg_buffer = io.BytesIO()
        _orig_savefig(figure, svg_buffer, format="svg", **kwargs)
        svg = svg_buffer.getvalue()
    return PngCapture(figure, buffer.getvalue(), svg, facts)


def _roles(figure: Figure) -> tuple[dict[int, str], dict[int, int]]:
    """Role of each known text artist, and the index of the axes holding it."""
    roles: dict[int, str] = {}
    holder: dict[int, int] = {}
    axes_index = {id(ax): i for i, ax in enumerate(figure.axes)}
    current: list[int | None] = [None]

    def mark(artist: Any, role: str) -> None:
        if artist is not None:
            roles.setdefault(id(artist), role)
            if current[0] is not None:
                holder.setdefault(id(artist), current[0])

    def walk_figure(fig: Any) -> None:
        mark(getattr(fig, "_suptitle", None), "suptitle")
        mark(getattr(fig, "_supxlabel", None), "suplabel")
        mark(getattr(fig, "_supylabel", None), "suplabel")
        for legend in fig.legends:
            for text in legend.texts:
                mark(text, "legend")
            mark(legend.get_title(), "legend")
        for text in fig.texts:
            mark(text, "annotation" if isinstance(text, Annotation) else "text")
        for sub in getattr(fig, "subfigs", []):
            walk_figure(sub)

    def walk_axes(ax: Any) -> None:
        for attr in ("title", "_left_title", "_right_title"):
            mark(getattr(ax, attr, None), "title")
        for name, axis in getattr(ax, "_axis_map", {}).items():
            mark(axis.label, f"{name}label" if name in ("x", "y", "z") else "label")
            mark(getattr(axis, "offsetText", None), "offset_text")
            for tick in list(getattr(axis, "majorTicks", [])) + list(getattr(axis, "minorTicks", [])):
                mark(getattr(tick, "label1", None), "tick_label")
                mark(getattr(tick, "label2", None), "tick_label")
        legend = ax.get_legend()
        if legend is not None:
            for text in legend.texts:
                mark(text, "legend")
            mark(legend.get_title(), "legend")
        for text in ax.texts:
            mark(text, "annotation" if isinstance(text, Annotation) else "text")
        for table in ax.tables:
            for cell in table.get_celld().values():
                mark(cell.get_text(), "table")
        for child in getattr(ax, "child_axes", []):
            walk_axes(child)

    walk_figure(figure)
    for ax in figure.axes:
        current[0] = axes_index[id(ax)]
        walk_axes(ax)
    return roles, holder


def count_drawn_artists(figure: Figure) -> int:
    """Data and text artists on the figure; 0 means an empty canvas (or only empty axes)."""

    def figure_level(fig: Any) -> int:
        count = (len(fig.lines) + len(fig.patches) + len(fig.texts) + len(fig.images)
                 + len(fig.legends) + len(fig.artists))
        for name in ("_suptitle", "_supxlabel", "_supylabel"):
            text = getattr(fig, name, None)
            count += bool(text is not None and text.get_text())
        return count + sum(figure_level(sub) for sub in getattr(fig, "subfigs", []))

    def axes_level(ax: Any) -> int:
        count = (len(ax.lines) + len(ax.patches) + len(ax.collections) + len(ax.images)
                 + len(ax.texts) + len(ax.tables) + len(ax.artists))
        count += ax.get_legend() is not None
        count += sum(bool(ax.get_title(loc)) for loc in ("left", "center", "right"))
        count += bool(ax.get_xlabel()) + bool(ax.get_ylabel())
        return count + sum(axes_level(child) for child in getattr(ax, "child_axes", []))

    return figure_level(figure) + sum(axes_level(ax) for ax in figure.axes)


def _measure(figure: Figure) -> dict[str, Any]:
    renderer = _RECORDER.renderer
    if renderer is None:
        raise RuntimeError("the figure was not drawn by the Agg renderer")
    width, height, dpi = int(renderer.width), int(renderer.height), float(renderer.dpi)
    roles, holder = _roles(figure)
    axes_index = {id(ax): i for i, ax in enumerate(figure.axes)}
    texts = []
    for text, box in _RECORDER.texts.values():
        coords = (box.x0, box.y0, box.x1, box.y1)
        if not all(math.isfinite(c) for c in coords):
            continue
        size_pt = float(text.get_fontsize())
        texts.append({
            "text": text.get_text(),
            "x0": _r(box.x0), "y0": _r(height - box.y1), "x1": _r(box.x1), "y1": _r(height - box.y0),
            "font_size_pt": _r(size_pt), "font_size_px": _r(size_pt * dpi / 72.0),
            "rotation": _r(text.get_rotation()),
            "role": roles.get(id(text), "other"),
            "axes_index": holder.get(id(text), axes_index.get(id(text.axes))),
        })
    pixels = np.asarray(renderer.buffer_rgba()).view(np.uint32)
    uniform = bool(pixels.size == 0 or (pixels == pixels.flat[0]).all())
    return {
        "width_px": width, "height_px": height, "dpi": dpi,
        "axes_count": len(_RECORDER.axes), "axes": list(_RECORDER.axes), "texts": texts,
        "drawn_artists": count_drawn_artists(figure), "uniform_pixels": uniform,
    }


def _callable_without_arguments(function: types.FunctionType) -> bool:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return False
    return all(
        p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in signature.parameters.values()
    )


def find_entry_function(namespace: dict[str, Any], script_path: str) -> types.FunctionType | None:
    """A drawing function the script defined (in its own file) but perhaps never called."""
    candidates = [
        value for name, value in namespace.items()
        if isinstance(value, types.FunctionType)
        and value.__code__.co_filename == script_path
        and _ENTRY_NAME.match(name)
        and _callable_without_arguments(value)
    ]
    for function in candidates:
        if function.__name__ == "main":
            return function
    if not candidates:
        return None
    return max(candidates, key=lambda f: f.__code__.co_firstlineno)


def _undrawn_schemdraw(namespace: dict[str, Any]) -> Any:
    schemdraw = sys.modules.get("schemdraw")
    if schemdraw is None:
        return None
    drawings = [v for v in namespace.values() if isinstance(v, schemdraw.Drawing)]
    return drawings[-1] if drawings else None


def _from_state() -> tuple[str, PngCapture] | None:
    record = STATE.last_save
    if record is not None:
        if record.capture is not None:
            return "savefig", record.capture
        return "savefig", render_png(record.figure, record.kwargs)
    for figure in reversed(STATE.created):
        if count_drawn_artists(figure) > 0:
            return "last_figure", render_png(figure, {})
    return None


def choose_and_render(namespace: dict[str, Any], script_path: str) -> tuple[str, PngCapture] | None:
    """Apply the capture rule; None when the script made no figure at all."""
    found = _from_state()
    if found is not None:
        return found
    entry = find_entry_function(namespace, script_path)
    how = None
    if entry is not None:
        STATE.notes.append(f"called {entry.__name__}() because the script drew nothing at top level")
        entry()
        how = f"called:{entry.__name__}"
    else:
        drawing = _undrawn_schemdraw(namespace)
        if drawing is not None:
            STATE.notes.append("drew the schemdraw Drawing the script never drew")
            drawing.draw(show=False)
            how = "schemdraw"
    if how is not None:
        found = _from_state()
        if found is not None:
            return how, found[1]
    if STATE.created:
        return how or "last_figure", render_png(STATE.created[-1], {})
    return None
