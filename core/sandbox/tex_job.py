"""What a TeX render does inside its sandboxed process: pdflatex, then the PNG and the text layer.

The process is a spare forked by a TeX warm parent (``SandboxConfig(engine="tex")``), already in
its private root and tmpfs working folder under its own user id (see :mod:`core.sandbox.harness`).
It sets the render's rlimits (pdflatex and the poppler tools inherit them), then runs

1. ``pdftex`` with the prebuilt format, shell escape off, ``openin_any``/``openout_any`` paranoid,
   first-line format parsing off and font generation off (:func:`tex_environment`);
2. ``pdftotext -raw -bbox`` for the page size and every text's box (the figure facts);
3. ``pdftoppm`` for the PNG (after checking the page's pixel count), cropped to the ink.

Every program gets a scrubbed environment and no file descriptors beyond stdin/out/err, so the
signed result channel stays this process's alone. Errors are read from the log by
:mod:`core.sandbox.tex_log`.
"""

from __future__ import annotations

import math
import os
import re
import resource
import signal
import subprocess
import time
import xml.etree.ElementTree as ElementTree
from typing import Any, NoReturn

from core.sandbox.harness import ChildSetup, _make_emitter, _set_limits, register_job_runner
from core.sandbox.protocol import KIND_RESULT, pack_result
from core.sandbox.tex_log import MAIN_NAME, diagnose

_MB = 1024 * 1024
_LOG_READ_BYTES = 256 * 1024
# pdftotext measures a line from the font's ascent to its descent: for Latin Modern that box is
# 0.88 of the font size (measured at 10 and 14.4 pt).
LINE_HEIGHT_PER_PT = 0.88
# Margin kept around the ink when cropping, in points (standalone's own border).
CROP_MARGIN_PT = 4.0
_INK_THRESHOLD = 250
# TeX writes degrees as a superscript \circ, which the text layer reads as U+25E6 (white bullet).
_DEGREE_CIRCLE = re.compile(r"(?<=[\d.)])\s?\u25e6")

TEX_LAYERS: tuple[dict[str, Any], ...] = (
    {"name": "tex_no_shell_escape", "active": True,
     "detail": "shell_escape=f and -no-shell-escape: \\write18 is refused and reported"},
    {"name": "tex_paranoid_files", "active": True,
     "detail": "openin_any=p, openout_any=p: no absolute paths, no '..', no dot files"},
    {"name": "tex_no_font_generation", "active": True,
     "detail": "MKTEXPK/MKTEXTFM/MKTEXMF/MKTEXFMT=0, first-line format parsing off"},
    {"name": "tex_prebuilt_format", "active": True,
     "detail": "the fixed preamble is loaded from a prebuilt, read-only format"},
)


def tex_environment(workdir: str, format_dir: str | None) -> dict[str, str]:
    """The whole environment of pdflatex (kpathsea reads these before texmf.cnf)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": workdir,
        "LC_ALL": "C",
        "TZ": "UTC",
        "SOURCE_DATE_EPOCH": "0",  # the same PDF bytes for the same source
        "FORCE_SOURCE_DATE": "1",
        "openin_any": "p",
        "openout_any": "p",
        "shell_escape": "f",
        "shell_escape_commands": "",
        "parse_first_line": "f",  # a document cannot pick its own format or translation file
        "MKTEXPK": "0",
        "MKTEXTFM": "0",
        "MKTEXMF": "0",
        "MKTEXFMT": "0",
        "TEXMFHOME": "/nonexistent",
        "TEXMFVAR": "/nonexistent",
        "TEXMFCONFIG": "/nonexistent",
        "TEXMFOUTPUT": workdir,
        "max_print_line": "1000",  # whole messages on one log line, so paths are not broken
        "error_line": "254",
        "half_error_line": "238",
    }
    if format_dir:
        env["TEXFORMATS"] = format_dir + ":"  # ours first, then the system's (for whole documents)
    return env


def _run(argv: list[str], env: dict[str, str], workdir: str, stderr_path: str) -> int:
    """Run one program; its return code (negative: killed by that signal)."""
    with open(stderr_path, "ab") as err:
        process = subprocess.run(  # noqa: S603 - fixed argv, no shell
            argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=err, close_fds=True, check=False,
        )
    return process.returncode


def _read_text(path: str, limit: int = _LOG_READ_BYTES) -> str:
    """The file's head and tail (a flooded log is only worth its start and end)."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            if size <= 2 * limit:
                data = handle.read()
            else:
                head = handle.read(limit)
                handle.seek(size - limit)
                data = head + b"\n...\n" + handle.read()
    except OSError:
        return ""
    return data.decode("utf-8", "replace")


def parse_text_layer(xhtml: str) -> tuple[float, float, list[dict[str, Any]]]:
    """(page width pt, page height pt, texts) from ``pdftotext -raw -bbox`` output of page 1.

    Words come in the order TeX drew them; consecutive words on one baseline with a word gap
    between them form one text (a node's label), so overlapping labels stay apart. Each text has
    its box in points (origin top-left) and a rotation (0, or 90/-90 for vertical text)."""
    root = ElementTree.fromstring(xhtml.replace('xmlns="http://www.w3.org/1999/xhtml"', ""))
    page = root.find(".//page")
    if page is None:
        return 0.0, 0.0, []
    texts: list[dict[str, Any]] = []
    for word in page.iter("word"):
        text = (word.text or "").strip()
        if not text:
            continue
        box = {k: float(word.get(k, 0.0)) for k in ("xMin", "yMin", "xMax", "yMax")}
        last = texts[-1] if texts else None
        joint = _continues(last, box) if last is not None else None
        if last is not None and joint is not None:
            rotation, separator = joint
            last["text"] += separator + text
            for k in ("xMin", "yMin"):
                last[k] = min(last[k], box[k])
            for k in ("xMax", "yMax"):
                last[k] = max(last[k], box[k])
            last["rotation"] = rotation
            last["_end"] = box
        else:
            texts.append({"text": text, **box, "rotation": 0.0, "_base": box, "_end": box})
    for entry in texts:
        entry["text"] = _DEGREE_CIRCLE.sub("°", entry["text"])
        base = entry.pop("_base")
        entry.pop("_end")
        if entry["rotation"] == 0.0:  # the font size is read from the baseline words, not the scripts
            entry["_height"] = base["yMax"] - base["yMin"]
        elif entry["rotation"] == 90.0:
            entry["_height"] = base["xMax"] - base["xMin"]
        else:  # a slanted glyph's upright box: its longer side is roughly the line height
            entry["_height"] = max(base["xMax"] - base["xMin"], base["yMax"] - base["yMin"])
    return float(page.get("width", 0.0)), float(page.get("height", 0.0)), texts


def _continues(last: dict[str, Any], box: dict[str, float]) -> tuple[float, str] | None:
    """(rotation, separator) if ``box`` is the next word of ``last``'s text, else None: a word
    on the same baseline after a word gap (" "), or a sub-/superscript touching it ("")."""
    same = 0.3  # pt: one baseline, one font
    base, end = last["_base"], last["_end"]
    height = base["yMax"] - base["yMin"]
    width = base["xMax"] - base["xMin"]
    gap = box["xMin"] - end["xMax"]
    if last["rotation"] == 0.0:
        if abs(base["yMin"] - box["yMin"]) < same and abs(base["yMax"] - box["yMax"]) < same:
            if -0.05 * height <= gap <= 0.6 * height:
                return 0.0, " "
        overlap = min(base["yMax"], box["yMax"]) - max(base["yMin"], box["yMin"])
        smaller = (box["yMax"] - box["yMin"]) < height - same
        if smaller and overlap > 0 and -0.1 * height <= gap <= 0.25 * height:
            return 0.0, ""
    if last["rotation"] in (0.0, 90.0) and abs(base["xMin"] - box["xMin"]) < same \
            and abs(base["xMax"] - box["xMax"]) < same:
        if -0.05 * width <= end["yMin"] - box["yMax"] <= 0.6 * width:
            return 90.0, " "
    # Text on a slanted baseline (``sloped`` labels) comes glyph by glyph: a glyph near the last
    # one's, of the same size, continues it; a gap wider than half a glyph is a word space.
    if last["rotation"] != 90.0 and len(last["text"]) < 40:
        size = max(end["yMax"] - end["yMin"], end["xMax"] - end["xMin"])
        new_size = max(box["yMax"] - box["yMin"], box["xMax"] - box["xMin"])
        if abs(size - new_size) < 0.35 * size:
            dx = (box["xMin"] + box["xMax"] - end["xMin"] - end["xMax"]) / 2
            dy = (box["yMin"] + box["yMax"] - end["yMin"] - end["yMax"]) / 2
            slanted = abs(dy) > 0.15 * size and abs(dx) > 0.15 * size
            distance = (dx * dx + dy * dy) ** 0.5
            if slanted and dx > 0 and distance < 1.1 * size:
                angle = round(math.degrees(math.atan2(-dy, dx)), 1)
                return angle, (" " if distance > 0.75 * size else "")
    return None


_NUMBER = re.compile(r"^[-\u2212]?\d+(?:[.,]\d+)?(?:\s?[·x×]\s?10\^?[-\u2212]?\d+)?$")


def tick_labels(lines: list[dict[str, Any]]) -> set[int]:
    """Indices of texts that are an axis scale: at least three plain numbers in one row (same
    baseline) or one column (same right edge), as pgfplots and hand-drawn axes place them."""
    numbers = [i for i, line in enumerate(lines) if _NUMBER.match(line["text"].strip())]
    found: set[int] = set()
    for key in (lambda line: round(line["yMax"], 0), lambda line: round(line["xMax"], 0)):
        groups: dict[float, list[int]] = {}
        for index in numbers:
            groups.setdefault(key(lines[index]), []).append(index)
        for members in groups.values():
            if len(members) >= 3:
                found.update(members)
    return found


def _facts(lines: list[dict[str, Any]], dpi: float, offset: tuple[int, int], size: tuple[int, int],
           ink: bool) -> dict[str, Any]:
    scale = dpi / 72.0
    ticks = tick_labels(lines)
    texts = []
    for index, line in enumerate(lines):
        height_pt = line["_height"]
        size_pt = round(height_pt / LINE_HEIGHT_PER_PT, 2)
        texts.append({
            "text": line["text"],
            "x0": round(line["xMin"] * scale - offset[0], 2), "y0": round(line["yMin"] * scale - offset[1], 2),
            "x1": round(line["xMax"] * scale - offset[0], 2), "y1": round(line["yMax"] * scale - offset[1], 2),
            "font_size_pt": size_pt, "font_size_px": round(size_pt * scale, 2),
            "role": "tick_label" if index in ticks else "text",
            "rotation": line["rotation"],
        })
    return {
        "width_px": size[0], "height_px": size[1], "dpi": dpi, "axes_count": 0, "axes": [],
        "texts": texts, "drawn_artists": len(texts) + (1 if ink else 0), "uniform_pixels": not ink,
    }


def _crop_to_ink(png_path: str, dpi: float) -> tuple[bytes, tuple[int, int], tuple[int, int], bool]:
    """(PNG bytes cropped to the ink plus a margin, crop offset, size, any ink at all)."""
    import io

    from PIL import Image, ImageOps

    with Image.open(png_path) as opened:
        image = opened.convert("RGB")
    ink_mask = ImageOps.invert(image.convert("L")).point(lambda v: 255 if v > 255 - _INK_THRESHOLD else 0)
    box = ink_mask.getbbox()
    if box is None:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue(), (0, 0), image.size, False
    margin = int(round(CROP_MARGIN_PT * dpi / 72.0))
    left, top = max(0, box[0] - margin), max(0, box[1] - margin)
    right, bottom = min(image.width, box[2] + margin), min(image.height, box[3] + margin)
    cropped = image.crop((left, top, right, bottom))
    buffer = io.BytesIO()
    cropped.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue(), (left, top), cropped.size, True


def run_tex_job(setup: ChildSetup, workdir: str, job: dict[str, Any], key: bytes) -> NoReturn:
    """Compile ``job['source']`` (the assembled document) and send one signed result frame."""
    emit = _make_emitter(key)
    clock = time.monotonic
    timings = {"received": clock()}
    limits: dict[str, Any] = job["limits"]
    header: dict[str, Any] = {"status": "error"}
    png: bytes | None = None
    try:
        _set_limits(setup, limits)  # pdflatex and the poppler tools inherit them
        header = compile_in(workdir, job, limits, timings)
        png = header.pop("_png", None)
    except BaseException as exc:  # noqa: BLE001 - a failure of the sandbox itself
        header = {"status": "error", "error_class": "sandbox_error", "error": f"{type(exc).__name__}: {exc}"[:500]}
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    header["child_cpu_s"] = round(usage.ru_utime + usage.ru_stime + own.ru_utime + own.ru_stime, 4)
    header["child_max_rss_mb"] = round(max(usage.ru_maxrss, own.ru_maxrss) / 1024, 1)
    timings["captured"] = clock()
    header["timings"] = timings
    emit(KIND_RESULT, pack_result(header, png if header.get("status") == "ok" else None, None))
    os._exit(0)


def _signal_error(returncode: int, limits: dict[str, Any]) -> dict[str, Any] | None:
    if returncode >= 0:
        return None
    number = -returncode
    if number == signal.SIGXCPU:
        return {"error_class": "timeout", "error": f"CPU-time limit of {limits['cpu_s']} s reached"}
    if number == signal.SIGXFSZ:
        return {"error_class": "output_too_large",
                "error": f"a file (the log or the PDF) exceeded {limits['output_mb']} MB"}
    if number in (signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGKILL):
        return {"error_class": "memory_limit",
                "error": f"TeX was killed ({signal.Signals(number).name}) at its memory budget "
                         f"({limits['memory_mb']} MB)"}
    return {"error_class": "runtime_error", "error": f"TeX was killed by {signal.Signals(number).name}"}


def compile_in(workdir: str, job: dict[str, Any], limits: dict[str, Any], timings: dict[str, float]) -> dict[str, Any]:
    """pdflatex, text layer and PNG for one job in ``workdir``: the result header (the PNG under
    ``_png``). Inside the sandbox the caller has set the rlimits; the bench also runs it outside."""
    source: str = job["source"]
    code: str = job["code"]
    line_map: list[int | None] = job["line_map"]
    dpi = float(job.get("dpi") or 150.0)
    with open(os.path.join(workdir, MAIN_NAME), "w", encoding="utf-8") as handle:
        handle.write(source)
    env = tex_environment(workdir, job.get("format_dir"))
    stderr_path = os.path.join(workdir, "tools.err")
    argv = ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
            "-file-line-error", f"-fmt={job.get('format_name') or 'pdflatex'}", MAIN_NAME]
    timings["exec_start"] = time.monotonic()
    returncode = _run(argv, env, workdir, stderr_path)
    timings["exec_end"] = time.monotonic()
    log = _read_text(os.path.join(workdir, "figure.log"))
    stderr = _read_text(stderr_path, 64 * 1024)
    pdf_path = os.path.join(workdir, "figure.pdf")
    produced = os.path.isfile(pdf_path) and os.path.getsize(pdf_path) > 0
    killed = _signal_error(returncode, limits)
    diagnosis = diagnose(log, stderr, line_map, code, produced)
    if diagnosis is not None and (killed is None or diagnosis.error_class == "forbidden"):
        return {"status": "error", "error_class": diagnosis.error_class, "error": diagnosis.error,
                "error_line": diagnosis.error_line, "traceback_tail": diagnosis.excerpt}
    if killed is not None:
        return {"status": "error", **killed}
    if returncode != 0 or not produced:
        return {"status": "error", "error_class": "no_figure",
                "error": f"pdflatex exited with status {returncode} without a page"}
    return _rasterise(workdir, env, stderr_path, pdf_path, dpi, limits, log)


def _rasterise(workdir: str, env: dict[str, str], stderr_path: str, pdf_path: str, dpi: float,
               limits: dict[str, Any], log: str) -> dict[str, Any]:
    layer_path = os.path.join(workdir, "layer.html")
    returncode = _run(["pdftotext", "-raw", "-bbox", "-f", "1", "-l", "1", pdf_path, layer_path],
                      env, workdir, stderr_path)
    if returncode != 0:
        return {"status": "error", "error_class": "sandbox_error", "error": "pdftotext could not read the PDF"}
    width_pt, height_pt, lines = parse_text_layer(_read_text(layer_path, 8 * _MB))
    width_px, height_px = math.ceil(width_pt * dpi / 72.0), math.ceil(height_pt * dpi / 72.0)
    if width_px * height_px > int(limits["max_pixels"]):
        return {"status": "error", "error_class": "output_too_large",
                "error": f"the page is {width_pt:.0f} x {height_pt:.0f} pt = {width_px} x {height_px} px "
                         f"at {dpi:g} dpi (limit {limits['max_pixels']} px)"}
    returncode = _run(["pdftoppm", "-r", f"{dpi:g}", "-png", "-singlefile", "-f", "1", "-l", "1",
                       pdf_path, os.path.join(workdir, "figure")], env, workdir, stderr_path)
    killed = _signal_error(returncode, limits)
    if killed is not None:
        return {"status": "error", **killed}
    png_path = os.path.join(workdir, "figure.png")
    if returncode != 0 or not os.path.isfile(png_path):
        return {"status": "error", "error_class": "sandbox_error", "error": "pdftoppm could not rasterise the PDF"}
    png, offset, size, ink = _crop_to_ink(png_path, dpi)
    facts = _facts(lines, dpi, offset, size, ink)
    if not ink:
        return {"status": "error", "error_class": "blank_figure", "error": "nothing is drawn on the page",
                "facts": facts}
    if len(png) > int(limits["output_mb"]) * _MB:
        return {"status": "error", "error_class": "output_too_large",
                "error": f"the PNG is {len(png) / _MB:.1f} MB (limit {limits['output_mb']} MB)"}
    pages = _page_count(log)
    notes = [f"the document has {pages} pages; the first is shown"] if pages and pages > 1 else []
    if "Non-PDF special ignored" in log:
        notes.append("\\special commands for other drivers were ignored")
    return {"status": "ok", "capture": "tex:page1", "facts": facts, "notes": notes, "_png": png}


def _page_count(log: str) -> int | None:
    found = re.search(r"Output written on \S+ \((\d+) pages?", log)
    return int(found.group(1)) if found else None


register_job_runner("tex", run_tex_job)
