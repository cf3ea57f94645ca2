"""TeX renders in the sandbox: bodies and whole documents, line mapping, figure facts, the format
cache, concurrency, and the path where TeX is absent."""

from __future__ import annotations

import io
import time
from concurrent.futures import wait

import pytest
from PIL import Image

from core.sandbox.tex import (
    FORMAT_NAME,
    PREAMBLE,
    TexRenderer,
    TexUnavailable,
    assemble,
    build_format,
    find_tex,
)
from core.sandbox.tex_job import parse_text_layer
from core.sandbox.tex_log import diagnose

needs_tex = pytest.mark.skipif(find_tex() is None, reason="TeX is not installed here")

ARROW = r"""\begin{tikzpicture}
\draw[->] (0,0) -- (3,1) node[right] {$F = 12$ N};
\draw (0,-1) node {$v_0 = 10^6$ m};
\node at (0,1) {Block A};
\end{tikzpicture}"""


# ---------------------------------------------------------------- documents (no TeX needed)
def test_a_body_gets_the_preamble_and_keeps_its_line_numbers() -> None:
    code = "\\usetikzlibrary{mindmap}\n\\begin{tikzpicture}\n\\draw (0,0) -- (1,1);\n\\end{tikzpicture}"
    document = assemble(code)
    lines = document.source.split("\n")
    assert not document.whole_document
    assert document.source.startswith(PREAMBLE + "\n\\endofdump\n")
    assert lines[document.line_map.index(1)] == "\\usetikzlibrary{mindmap}"
    begin = lines.index("\\begin{document}")
    assert document.line_map[begin] is None and begin < document.line_map.index(2)
    assert lines[document.line_map.index(3)] == "\\draw (0,0) -- (1,1);"
    assert lines[-2] == "\\end{document}" and document.line_map[-1] is None
    assert len(document.line_map) == len(lines) - 1  # the source ends with a newline


def test_a_whole_document_is_compiled_as_given() -> None:
    code = "\\documentclass{article}\n\\begin{document}\nx\n\\end{document}"
    document = assemble(code)
    assert document.whole_document
    assert document.source == code + "\n"
    assert document.line_map == [1, 2, 3, 4]


def test_the_log_maps_errors_to_the_models_lines() -> None:
    document = assemble("\\begin{tikzpicture}\n\\draw (0,0) -- (1,1);\n\\foo\n\\end{tikzpicture}")
    file_line = document.line_map.index(3) + 1
    log = f"(./figure.tex\n./figure.tex:{file_line}: Undefined control sequence.\nl.{file_line} \\foo\n\n"
    found = diagnose(log, "", document.line_map, "\\begin{tikzpicture}\n\\draw (0,0) -- (1,1);\n\\foo\n"
                     "\\end{tikzpicture}", produced_pdf=False)
    assert found is not None
    assert (found.error_class, found.error_line) == ("syntax_error", 3)
    assert found.excerpt is not None
    assert "line 3: Undefined control sequence." in found.excerpt and "l.3 \\foo" in found.excerpt
    assert "> 3 | \\foo" in found.excerpt


@pytest.mark.parametrize(
    ("log", "stderr", "error_class"),
    [
        ("! TeX capacity exceeded, sorry [main memory size=5000000].\nl.2 x\n", "", "memory_limit"),
        ("! Dimension too large.\nl.2 x\n", "", "output_too_large"),
        ("runsystem(rm -rf /)...disabled.\n", "", "forbidden"),
        ("! LaTeX Error: File `/etc/passwd.tex' not found.\nl.2 x\n", "", "forbidden"),
        ("! I can't find file `../secret'.\nl.2 x\n", "", "forbidden"),
        ("", "pdflatex: Not writing to /tmp/x.txt (openout_any = p).", "forbidden"),
        ("! LaTeX Error: File `nosuch.sty' not found.\nl.2 x\n", "", "syntax_error"),
        ("No pages of output.\n", "", "no_figure"),
    ],
)
def test_log_rules(log: str, stderr: str, error_class: str) -> None:
    found = diagnose(log, stderr, [None, 1, 2], "a\nb", produced_pdf=False)
    assert found is not None and found.error_class == error_class


def test_a_clean_log_with_a_pdf_is_no_error() -> None:
    assert diagnose("Output written on figure.pdf (1 page, 900 bytes).\n", "", [1], "x", produced_pdf=True) is None


def test_text_layer_lines_and_page_size() -> None:
    words = [("Block", 1, 2, 12, 10.8), ("A", 14, 2, 30, 10.8),  # one label
             ("Block", 3, 1, 14, 9.8), ("B", 16, 1, 20, 9.8),  # a second one, overlapping the first
             ("Up", 50, 30, 58.8, 40), ("text", 50, 10, 58.8, 28)]  # rotated 90 degrees
    body = "".join(f'<word xMin="{a}" yMin="{b}" xMax="{c}" yMax="{d}">{w}</word>' for w, a, b, c, d in words)
    xhtml = f'<html xmlns="http://www.w3.org/1999/xhtml"><body><doc><page width="100.5" height="50">{body}</page></doc></body></html>'
    width, height, texts = parse_text_layer(xhtml)
    assert (width, height) == (100.5, 50.0)
    assert [(t["text"], t["rotation"]) for t in texts] == [("Block A", 0.0), ("Block B", 0.0), ("Up text", 90.0)]
    assert texts[0]["_height"] == pytest.approx(8.8)
    assert (texts[0]["xMin"], texts[0]["xMax"]) == (1.0, 30.0)
    assert (texts[2]["yMin"], texts[2]["yMax"]) == (10.0, 40.0)


def test_absent_tex_is_one_clear_line(tmp_path) -> None:
    with pytest.raises(TexUnavailable) as raised:
        TexRenderer(path=str(tmp_path), cache_dir=tmp_path / "cache")
    message = str(raised.value)
    assert "\n" not in message and message.startswith("TeX is not installed here (pdftex")


# ---------------------------------------------------------------- real renders
@needs_tex
def test_a_tikz_body_renders_with_facts(tex: TexRenderer) -> None:
    result = tex.render(ARROW, dpi=150)
    assert result.ok, result.one_line()
    image = Image.open(io.BytesIO(result.png))
    assert image.size == (result.facts.width_px, result.facts.height_px)
    texts = {box.text: box for box in result.facts.texts}
    assert set(texts) == {"Block A", "F = 12 N", "v0 = 106 m"}, texts  # scripts join their base
    block = texts["Block A"]
    assert 9.0 <= block.font_size_pt <= 11.0  # the standalone class's 10 pt
    assert 0 <= block.x0 < block.x1 <= image.width and 0 <= block.y0 < block.y1 <= image.height
    assert texts["F = 12 N"].x0 > block.x1  # the force label sits right of the block's
    assert not result.facts.overlaps and not result.facts.outside_canvas
    assert "tex_paranoid_files" in result.isolation and "mount_namespace" in result.isolation


@needs_tex
def test_overlapping_labels_are_facts(tex: TexRenderer) -> None:
    result = tex.render("\\begin{tikzpicture}\\draw (0,0) circle (1);\\node at (0,0) {Label one};"
                        "\\node at (0.2,0.05) {Label two};\\end{tikzpicture}")
    assert result.ok, result.one_line()
    assert [box.text for box in result.facts.texts] == ["Label one", "Label two"]
    assert len(result.facts.overlaps) == 1 and result.facts.overlaps[0].fraction_of_smaller > 0.5


@needs_tex
def test_a_whole_document_renders_cropped_to_the_drawing(tex: TexRenderer) -> None:
    code = ("\\documentclass{article}\n\\usepackage{tikz}\n\\begin{document}\n\\thispagestyle{empty}\n"
            "\\begin{tikzpicture}\\draw (0,0) rectangle (2,1) node[midway] {Box};\\end{tikzpicture}\n"
            "\\end{document}\n")
    result = tex.render(code, dpi=100)
    assert result.ok, result.one_line()
    # An A4/letter page at 100 dpi is ~830 px wide; the crop keeps the 2 cm drawing and a margin.
    assert result.facts.width_px < 120 and result.facts.height_px < 80
    assert [box.text for box in result.facts.texts] == ["Box"]


@needs_tex
def test_head_lines_load_packages_and_errors_keep_the_models_line(tex: TexRenderer) -> None:
    ok = tex.render("\\usetikzlibrary{mindmap}\n\\usepackage{tikz-cd}\n\\begin{tikzcd}A \\arrow[r] & B\\end{tikzcd}")
    assert ok.ok, ok.one_line()
    broken = tex.render("\\usetikzlibrary{mindmap}\n\\begin{tikzpicture}\n\\draw (0,0) -- (1,1);\n"
                        "\\draw (0,0) circel (1);\n\\end{tikzpicture}")
    assert broken.error_class == "syntax_error" and broken.error_line == 4, broken.one_line()
    assert "> 4 |" in broken.traceback_tail


@needs_tex
def test_an_error_in_a_whole_document_names_its_line(tex: TexRenderer) -> None:
    code = "\\documentclass{standalone}\n\\usepackage{tikz}\n\\begin{document}\n\\tikz\\draw (0,0) -- (1,\n\\end{document}\n"
    result = tex.render(code)
    assert result.error_class == "syntax_error"
    # TeX notices the unclosed coordinate where the paragraph ends: at \end{document} or the
    # blank line after it, never inside the preamble.
    assert result.error_line in (4, 5, 6)


@needs_tex
def test_a_missing_package_is_a_syntax_error_on_its_line(tex: TexRenderer) -> None:
    result = tex.render("\\usepackage{nosuchpackage}\n\\begin{tikzpicture}\\draw (0,0)--(1,1);\\end{tikzpicture}")
    assert result.error_class == "syntax_error" and result.error_line == 1
    assert "nosuchpackage.sty is not installed here" in result.error


@needs_tex
def test_axis_numbers_are_tick_labels(tex: TexRenderer) -> None:
    code = r"""\begin{tikzpicture}
\begin{axis}[width=6cm, height=4cm, xlabel={time (s)}, ylabel={speed (m/s)}, title={Run 42}]
\addplot[domain=0:4, samples=5] {2*x};
\end{axis}
\end{tikzpicture}"""
    result = tex.render(code)
    assert result.ok, result.one_line()
    roles = {box.text: box.role for box in result.facts.texts}
    assert roles["Run 42"] == "text" and roles["time (s)"] == "text"
    assert roles["speed (m/s)"] == "text"
    ticks = [box.text for box in result.facts.texts if box.role == "tick_label"]
    assert {"0", "2", "4", "8"} <= set(ticks) and len(ticks) >= 8  # both axes' numbers
    vertical = next(box for box in result.facts.texts if box.text == "speed (m/s)")
    assert vertical.rotation == 90.0


@needs_tex
def test_an_empty_picture_is_blank(tex: TexRenderer) -> None:
    result = tex.render("\\begin{tikzpicture}\\path (0,0) -- (1,1);\\end{tikzpicture}")
    assert result.error_class == "blank_figure", result.one_line()


@needs_tex
def test_preamble_packages_all_work(tex: TexRenderer) -> None:
    code = r"""\begin{tikzpicture}
\draw (0,0) to[R=$R_1$] (2,0) to[battery1, l=$\SI{9}{\volt}$] (2,2) -- (0,2) -- (0,0);
\node at (4,1) {\chemfig{H-O-H}};
\begin{axis}[at={(6cm,0)}, width=4cm, height=3cm]\addplot[domain=0:1, samples=20] {x^2};\end{axis}
\end{tikzpicture}"""
    result = tex.render(code)
    assert result.ok, (result.one_line(), result.traceback_tail)
    joined = " ".join(box.text for box in result.facts.texts)
    assert "9 V" in joined and "R1" in joined and "H O H" in joined


@needs_tex
def test_renders_run_concurrently_and_fast(tex: TexRenderer) -> None:
    tex.render(ARROW)  # warm
    started = time.monotonic()
    futures = [tex.submit(ARROW.replace("Block A", f"Block {i}")) for i in range(6)]
    wait(futures)
    elapsed = time.monotonic() - started
    results = [future.result() for future in futures]
    assert all(result.ok for result in results), [r.one_line() for r in results]
    assert [sorted(box.text for box in r.facts.texts) for r in results] == [
        ["Block " + str(i), "F = 12 N", "v0 = 106 m"] for i in range(6)]
    # Six renders on two workers; each is ~0.2 s with the prebuilt format (a cold preamble is ~1.5 s).
    assert elapsed < 6 * 1.0


@needs_tex
def test_the_format_is_built_once_and_reused(tex: TexRenderer, tmp_path) -> None:
    engine = find_tex()
    assert engine is not None
    folder = build_format(engine, tex.format_dir.parent)
    assert folder == tex.format_dir
    fmt = folder / f"{FORMAT_NAME}.fmt"
    stamp = fmt.stat().st_mtime_ns
    assert build_format(engine, tex.format_dir.parent) == folder
    assert fmt.stat().st_mtime_ns == stamp


@needs_tex
def test_check_reports_engine_format_and_layers(tex: TexRenderer) -> None:
    report = tex.check()
    assert report.layer("tex_engine").detail.startswith("pdfTeX")
    assert report.layer("tex_format").active
    for name in ("mount_namespace", "network_namespace", "unprivileged_user", "tex_no_shell_escape",
                 "tex_paranoid_files", "rlimit_cpu", "wall_timeout"):
        assert report.layer(name).active, report.layer(name)
