"""Records the sandbox hands out: a render's result, its figure facts, the isolation report.

They are pydantic models because they cross boundaries (generation stores them, evaluation reads
the figure facts, the CLI prints them as JSON). Pixel coordinates are those of the saved PNG:
origin at the top-left corner, x to the right, y downwards.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorClass(StrEnum):
    """Why a render failed. The repair loop and the failure taxonomy key on these values."""

    syntax_error = "syntax_error"
    """The code does not compile (line number in ``error_line``)."""
    runtime_error = "runtime_error"
    """The code raised (or crashed); ``traceback_tail`` is mapped to the script's line numbers."""
    timeout = "timeout"
    """Wall-clock or CPU-time limit reached; the whole process group was killed."""
    memory_limit = "memory_limit"
    """The script ran out of its memory budget."""
    no_figure = "no_figure"
    """The script ran but created no Matplotlib figure (see the capture rule in ``core.sandbox``)."""
    blank_figure = "blank_figure"
    """A figure exists but nothing is drawn on it (no data or text artists, or every pixel equal)."""
    forbidden = "forbidden"
    """The script tried something the sandbox does not allow: network, files outside its working
    folder, launching programs, native code (ctypes), tampering with the renderer or the result."""
    output_too_large = "output_too_large"
    """The image (pixels or bytes) or a file the script wrote exceeds its limit, or the disk is full."""
    sandbox_error = "sandbox_error"
    """The sandbox itself failed (not the script's fault); retrying is reasonable."""


class TextBox(BaseModel):
    """One text artist that was drawn into the saved PNG."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="The string as given to Matplotlib (mathtext keeps its $...$).")
    x0: float = Field(description="Left edge in PNG pixels.")
    y0: float = Field(description="Top edge in PNG pixels (y grows downwards).")
    x1: float = Field(description="Right edge in PNG pixels.")
    y1: float = Field(description="Bottom edge in PNG pixels.")
    font_size_pt: float = Field(description="Font size in points.")
    font_size_px: float = Field(description="Font size in pixels at the saved resolution.")
    rotation: float = Field(default=0.0, description="Rotation in degrees, counter-clockwise.")
    role: str = Field(
        default="text",
        description="title, suptitle, suplabel, xlabel, ylabel, zlabel, tick_label, offset_text, "
        "legend, annotation, table, text, or other.",
    )
    axes_index: int | None = Field(
        default=None, description="Index in ``FigureFacts.axes`` of the axes holding it; None for figure text."
    )

    @property
    def area(self) -> float:
        return max(0.0, self.x1 - self.x0) * max(0.0, self.y1 - self.y0)


class AxesBox(BaseModel):
    """One visible axes of the figure."""

    model_config = ConfigDict(frozen=True)

    index: int = Field(description="Position in the figure's axes list.")
    x0: float = Field(description="Left edge in PNG pixels.")
    y0: float = Field(description="Top edge in PNG pixels.")
    x1: float = Field(description="Right edge in PNG pixels.")
    y1: float = Field(description="Bottom edge in PNG pixels.")
    axis_on: bool = Field(description="False when the axes' frame and ticks are hidden (``axis('off')``).")


class TextOverlap(BaseModel):
    """Two drawn texts whose boxes intersect."""

    model_config = ConfigDict(frozen=True)

    first: int = Field(description="Index into ``FigureFacts.texts`` (the smaller index).")
    second: int = Field(description="Index into ``FigureFacts.texts``.")
    area_px: float = Field(description="Intersection area in square pixels.")
    fraction_of_smaller: float = Field(description="Intersection area / area of the smaller box, 0..1.")


class TextOutside(BaseModel):
    """A drawn text whose box extends beyond the canvas."""

    model_config = ConfigDict(frozen=True)

    index: int = Field(description="Index into ``FigureFacts.texts``.")
    fraction_outside: float = Field(description="Share of the box's area outside the canvas, 0..1.")
    sides: list[Literal["left", "top", "right", "bottom"]] = Field(description="Canvas edges it crosses.")


class FigureFacts(BaseModel):
    """What was drawn, measured on the saved PNG (later evaluators use it for occlusion, label
    coverage and answer-leak checks)."""

    model_config = ConfigDict(frozen=True)

    width_px: int = Field(description="PNG width in pixels.")
    height_px: int = Field(description="PNG height in pixels.")
    dpi: float = Field(description="Resolution the PNG was rendered at.")
    axes_count: int = Field(description="Number of visible axes (colorbars and insets included).")
    axes: list[AxesBox] = Field(default_factory=list, description="The visible axes' boxes.")
    texts: list[TextBox] = Field(default_factory=list, description="Every visible, non-empty text drawn.")
    overlaps: list[TextOverlap] = Field(default_factory=list, description="Pairs of intersecting text boxes.")
    outside_canvas: list[TextOutside] = Field(
        default_factory=list, description="Texts extending beyond the PNG's edges."
    )
    drawn_artists: int = Field(
        default=0, description="Data and text artists on the figure (0 means nothing was drawn)."
    )
    uniform_pixels: bool = Field(default=False, description="True when every pixel has the same colour.")


class RenderResult(BaseModel):
    """The outcome of running one script in the sandbox. In JSON the PNG is base64url-encoded."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    status: Literal["ok", "error"] = Field(description="ok: a PNG was captured; error: see error_class.")
    error_class: ErrorClass | None = Field(default=None, description="Why it failed; None when ok.")
    error: str | None = Field(default=None, description="One line: what went wrong.")
    error_line: int | None = Field(
        default=None, description="Line of the script the error points at (1-based), when known."
    )
    traceback_tail: str | None = Field(
        default=None, description="The last traceback lines; frames of the script are named script.py."
    )
    png: bytes | None = Field(default=None, description="The captured figure as PNG.")
    svg: str | None = Field(default=None, description="The same figure as SVG, when asked for.")
    facts: FigureFacts | None = Field(default=None, description="Introspection of the captured figure.")
    capture: str | None = Field(
        default=None,
        description="How the figure was chosen: savefig, last_figure, or called:<function>.",
    )
    saved_as: list[str] = Field(default_factory=list, description="File names the script passed to savefig.")
    notes: list[str] = Field(default_factory=list, description="Things the sandbox did on the script's behalf.")
    stdout: str = Field(default="", description="Captured standard output, trimmed in the middle if long.")
    stderr: str = Field(default="", description="Captured standard error, trimmed in the middle if long.")
    duration_s: float = Field(default=0.0, description="Wall-clock time from start to result.")
    cpu_s: float = Field(default=0.0, description="CPU time the script's process used.")
    max_rss_mb: float = Field(default=0.0, description="Peak resident memory of the script's process.")
    isolation: list[str] = Field(default_factory=list, description="Isolation layers active for this render.")
    timings: dict[str, float] = Field(
        default_factory=dict,
        description="Seconds from dispatch to each phase: received, exec_start, exec_end, captured.",
    )

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def one_line(self) -> str:
        """``ok 800x600`` or ``<error_class>: <reason>`` (what the CLI prints)."""
        if self.ok:
            size = f" {self.facts.width_px}x{self.facts.height_px}" if self.facts else ""
            return f"ok{size}"
        where = f" (line {self.error_line})" if self.error_line else ""
        return f"{self.error_class}: {self.error or ''}{where}"


class IsolationLayer(BaseModel):
    """One layer of the sandbox and whether it is active on this machine."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="Short name, e.g. network_namespace.")
    active: bool = Field(description="Whether the layer is in force.")
    detail: str = Field(default="", description="How it is done, or why it is not active.")


class IsolationReport(BaseModel):
    """The layers of a running pool, verified by a probe job from inside the sandbox."""

    model_config = ConfigDict(frozen=True)

    layers: list[IsolationLayer] = Field(description="Every layer, active or not.")

    @property
    def active(self) -> list[str]:
        return [layer.name for layer in self.layers if layer.active]

    @property
    def inactive(self) -> list[str]:
        return [layer.name for layer in self.layers if not layer.active]

    @property
    def all_active(self) -> bool:
        return not self.inactive

    def layer(self, name: str) -> IsolationLayer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)
