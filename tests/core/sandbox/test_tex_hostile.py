"""Hostile TeX: each attempt is contained with its error class, nothing leaks or lands outside the
working folder, and the next render is fine.

The layers that hold: TeX's own (shell escape off, paranoid openin/openout, no font generation,
first-line parsing off) and the kernel's (private read-only root without /etc, /work or /tmp,
own uid, rlimits on CPU/file size/memory, a wall-clock kill of the process group).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.sandbox import SandboxConfig
from core.sandbox.tex import TexRenderer

SIMPLE = r"""\begin{tikzpicture}
\draw[->] (0,0) -- (2,1) node[right] {after};
\end{tikzpicture}"""
PICTURE = r"\begin{tikzpicture}\draw (0,0) -- (1,1);\end{tikzpicture}"
SECRET = "canary-secret-7f3a"


def _next_render_is_fine(tex: TexRenderer) -> None:
    result = tex.render(SIMPLE)
    assert result.ok, result.one_line()
    assert [box.text for box in result.facts.texts] == ["after"]


def _no_leak(result, text: str = SECRET) -> None:
    for field in (result.error, result.traceback_tail, result.stdout, result.stderr):
        assert text not in (field or "")


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.tex"
    path.write_text(SECRET + "\n")
    return path


def test_write18_is_refused_and_reported(tex: TexRenderer, tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    result = tex.render(f"\\immediate\\write18{{touch {target}}}\n{PICTURE}")
    assert result.error_class == "forbidden" and "shell escape" in result.error
    assert result.error_line == 1
    assert not target.exists()
    _next_render_is_fine(tex)


def test_write18_in_a_shipped_out_write_is_refused(tex: TexRenderer, tmp_path: Path) -> None:
    target = tmp_path / "late"
    result = tex.render(f"\\begin{{tikzpicture}}\\write18{{touch {target}}}\\draw (0,0)--(1,1);\\end{{tikzpicture}}")
    assert result.error_class == "forbidden"
    assert not target.exists()
    _next_render_is_fine(tex)


def test_input_of_an_absolute_path_is_refused(tex: TexRenderer, secret_file: Path) -> None:
    result = tex.render(f"\\begin{{tikzpicture}}\n\\node {{\\input{{{secret_file}}}}};\n\\end{{tikzpicture}}")
    assert result.error_class == "forbidden" and str(secret_file) in result.error
    assert result.error_line == 2
    _no_leak(result)
    _next_render_is_fine(tex)


def test_input_of_etc_passwd_and_dotdot_paths_is_refused(tex: TexRenderer) -> None:
    for path in ("/etc/passwd", "../../../etc/passwd"):
        result = tex.render(f"\\input{{{path}}}\n{PICTURE}")
        assert result.error_class == "forbidden", (path, result.one_line())
        assert "root:" not in (result.traceback_tail or "")
    _next_render_is_fine(tex)


def test_openin_of_a_workspace_file_is_refused(tex: TexRenderer, secret_file: Path) -> None:
    code = (f"\\newread\\secret\n\\immediate\\openin\\secret={secret_file}\n\\immediate\\read\\secret to\\line\n"
            "\\begin{tikzpicture}\\node {\\line};\\end{tikzpicture}")
    result = tex.render(code)
    assert result.error_class == "forbidden" and result.error_line == 2
    _no_leak(result)
    _next_render_is_fine(tex)


def test_openout_outside_the_working_folder_is_refused(tex: TexRenderer, tmp_path: Path) -> None:
    for name in (str(tmp_path / "evil.txt"), "../evil.txt", ".hidden"):
        result = tex.render(f"\\newwrite\\out\n\\immediate\\openout\\out={name}\n\\immediate\\write\\out{{x}}\n{PICTURE}")
        assert result.error_class == "forbidden" and result.error_line == 2, (name, result.one_line())
    assert not (tmp_path / "evil.txt").exists()
    _next_render_is_fine(tex)


def test_an_endless_loop_times_out(tex: TexRenderer) -> None:
    result = tex.render("\\begin{tikzpicture}\n\\loop\\iftrue\\repeat\n\\end{tikzpicture}", timeout_s=2)
    assert result.error_class == "timeout"
    assert result.duration_s < 5
    _next_render_is_fine(tex)


def test_runaway_recursion_exceeds_tex_capacity(tex: TexRenderer) -> None:
    for code in ("\\def\\a{\\a x}\n\\a\n" + PICTURE, "\\def\\a{x\\a}\n\\begin{tikzpicture}\\node{\\a};\\end{tikzpicture}"):
        result = tex.render(code)
        assert result.error_class == "memory_limit", result.one_line()
        assert "TeX capacity exceeded" in result.error and result.error_line == 2
    _next_render_is_fine(tex)


def test_pgfplots_with_absurd_samples_is_stopped(tex: TexRenderer) -> None:
    code = "\\begin{tikzpicture}\\begin{axis}\\addplot[samples=100000000,domain=0:1]{x^2};\\end{axis}\\end{tikzpicture}"
    result = tex.render(code, timeout_s=2)
    assert result.error_class in ("timeout", "memory_limit"), result.one_line()
    _next_render_is_fine(tex)


def test_a_page_of_1e5_points_is_too_large(tex: TexRenderer) -> None:
    beyond = tex.render("\\begin{tikzpicture}\n\\draw (0,0) rectangle (100000pt,100000pt);\n\\end{tikzpicture}")
    assert beyond.error_class == "output_too_large" and beyond.error_line == 2
    page = tex.render("\\pdfpagewidth=100000pt \\pdfpageheight=100000pt\n" + PICTURE)
    assert page.error_class == "output_too_large"
    # The largest page TeX allows still exceeds the pixel budget: refused before rasterising.
    huge = tex.render("\\begin{tikzpicture}\\draw (0,0) rectangle (16000pt,16000pt);\\end{tikzpicture}")
    assert huge.error_class == "output_too_large" and "px" in huge.error
    _next_render_is_fine(tex)


def test_pdf_inclusion_of_host_files_is_refused(tex: TexRenderer, secret_file: Path) -> None:
    codes = [
        "\\begin{tikzpicture}\\node {\\includegraphics{/etc/hostname}};\\end{tikzpicture}",
        f"\\pdfximage{{{secret_file}}}\n{PICTURE}",
        f"\\immediate\\pdfobj stream file {{{secret_file}}}\n{PICTURE}",
        f"\\immediate\\pdfobj stream file {{/etc/passwd}}\n{PICTURE}",
    ]
    for code in codes:
        result = tex.render(code)
        assert result.error_class == "forbidden", (code, result.one_line())
        _no_leak(result)
    _next_render_is_fine(tex)


def test_specials_for_other_drivers_are_ignored(tex: TexRenderer) -> None:
    result = tex.render("\\begin{tikzpicture}\\draw (0,0)--(1,1);\\special{ps: (/etc/passwd) run}"
                        "\\special{dvi: launch}\\end{tikzpicture}")
    assert result.ok, result.one_line()
    assert any("special" in note for note in result.notes)
    _next_render_is_fine(tex)


def test_font_generation_never_runs(tex: TexRenderer) -> None:
    # ecrm1000 exists only as METAFONT source here: a bitmap would need mktexpk.
    bitmap = tex.render("\\font\\ec=ecrm1000\n\\begin{tikzpicture}\\node{\\ec Hi};\\end{tikzpicture}")
    assert bitmap.error_class == "syntax_error" and "fonts are never generated" in bitmap.error
    unknown = tex.render("\\font\\x=nosuchfont10\n\\begin{tikzpicture}\\node{\\x Hi};\\end{tikzpicture}")
    assert unknown.error_class == "syntax_error" and unknown.error_line == 1
    _next_render_is_fine(tex)


def test_log_flooding_hits_the_file_size_limit(tex: TexRenderer) -> None:
    code = ("\\newcount\\n\n\\loop\\message{" + "x" * 200 + "}\\advance\\n1 \\ifnum\\n<100000000\\repeat\n" + PICTURE)
    result = tex.render(code, output_mb=4, timeout_s=20)
    assert result.error_class == "output_too_large", result.one_line()
    assert len(result.stdout) + len(result.stderr) < 100_000
    _next_render_is_fine(tex)


def test_a_missing_package_is_named(tex: TexRenderer) -> None:
    result = tex.render("\\usepackage{evilpkg}\n" + PICTURE)
    assert result.error_class == "syntax_error" and result.error_line == 1 and "evilpkg.sty" in result.error
    _next_render_is_fine(tex)


def test_a_document_cannot_choose_its_own_format(tex: TexRenderer) -> None:
    # With first-line parsing on, "%&" would pick a format or a TCX translation file.
    result = tex.render("%&-translate-file=/etc/passwd\n" + PICTURE)
    assert result.ok, result.one_line()
    _next_render_is_fine(tex)


def test_tex_layers_hold_without_the_kernel_layers(tmp_path: Path, secret_file: Path) -> None:
    """With namespaces and user switching off, TeX's paranoid settings still refuse host files."""
    with TexRenderer(SandboxConfig(workers=1, spares=0, namespaces="off", drop_privileges=False),
                     cache_dir=tmp_path / "cache") as tex:
        result = tex.render(f"\\input{{{secret_file}}}\n{PICTURE}")
        assert result.error_class == "forbidden"
        _no_leak(result)
        target = tmp_path / "pwned"
        shell = tex.render(f"\\immediate\\write18{{touch {target}}}\n{PICTURE}")
        assert shell.error_class == "forbidden" and not target.exists()
        _next_render_is_fine(tex)
