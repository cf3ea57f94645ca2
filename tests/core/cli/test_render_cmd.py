"""``scigen render`` through the same entry point a user calls."""

from __future__ import annotations

import base64
import json

import pytest

import core.sandbox.pool as pool_module
from core.sandbox import RenderPool, SandboxConfig

GOOD = "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.title('cli')\nplt.savefig('figure.png')\n"
BAD = "import matplotlib.pyplot as plt\n\nplt.plot(undefined_name)\n"


@pytest.fixture(scope="module")
def sandbox_pool():
    with RenderPool(SandboxConfig(workers=1, preload=("numpy", "matplotlib.pyplot", "PIL.PngImagePlugin"))) as pool:
        yield pool


@pytest.fixture
def scigen(scigen_with, monkeypatch, sandbox_pool):
    """``scigen ARGS`` with only the render verb, on this module's sandbox pool."""
    monkeypatch.setattr(pool_module, "_DEFAULT_POOL", sandbox_pool)
    return scigen_with("core.cli.render_cmd")


def test_help(scigen, capsys):
    with pytest.raises(SystemExit) as excinfo:
        scigen("render", "--help")
    assert excinfo.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--out", "--timeout", "--memory-mb", "--dpi", "--svg", "--json", "--check"):
        assert flag in out


def test_render_writes_the_png(scigen, tmp_path):
    script = tmp_path / "plot.py"
    script.write_text(GOOD)
    out = tmp_path / "figures" / "out.png"
    status, stdout, _ = scigen("render", script, "--out", out, "--timeout", "20", "--dpi", "50", "--svg")
    assert status == 0
    assert out.read_bytes().startswith(b"\x89PNG")
    assert out.with_suffix(".svg").read_text().lstrip().startswith("<?xml")
    assert "ok 320x240" in stdout


def test_failure_exits_nonzero_with_one_line(scigen, tmp_path):
    script = tmp_path / "broken.py"
    script.write_text(BAD)
    status, stdout, stderr = scigen("render", script, "--out", tmp_path / "x.png")
    assert status == 1
    assert not (tmp_path / "x.png").exists()
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "runtime_error: NameError" in lines[0] and "(line 3)" in lines[0]


def test_json_prints_the_whole_result(scigen, tmp_path):
    script = tmp_path / "plot.py"
    script.write_text(GOOD)
    status, stdout, _ = scigen("render", script, "--json")
    assert status == 0
    data = json.loads(stdout)
    assert data["status"] == "ok" and data["capture"] == "savefig"
    assert base64.urlsafe_b64decode(data["png"]).startswith(b"\x89PNG")  # pydantic writes base64url
    assert any(t["text"] == "cli" for t in data["facts"]["texts"])
    assert (tmp_path / "plot.png").exists()  # default output next to the script


def test_check_lists_layers(scigen):
    status, stdout, _ = scigen("render", "--check")
    assert status == 0
    assert "network_namespace" in stdout and "audit_hooks" in stdout and "layers active" in stdout


def test_bad_input_is_a_one_line_cli_error(scigen, tmp_path):
    status, _, stderr = scigen("render", tmp_path / "missing.py")
    assert status == 2 and "no such file" in stderr
    status, _, stderr = scigen("render")
    assert status == 2 and "--check" in stderr
    binary = tmp_path / "binary.py"
    binary.write_bytes(b"\xff\xfe\x00")
    status, _, stderr = scigen("render", binary)
    assert status == 2 and "UTF-8" in stderr


# ---------------------------------------------------------------- TikZ files
TIKZ = "\\begin{tikzpicture}\n\\draw[->] (0,0) -- (2,0) node[right] {$v_0$};\n\\end{tikzpicture}\n"


@pytest.fixture(scope="module")
def tex_renderer(tmp_path_factory):
    from core.sandbox.tex import TexRenderer, find_tex

    if find_tex() is None:
        pytest.skip("TeX is not installed here")
    with TexRenderer(SandboxConfig(workers=1), cache_dir=tmp_path_factory.mktemp("tex-cache")) as renderer:
        yield renderer


@pytest.fixture
def scigen_tex(scigen, monkeypatch, tex_renderer):
    import core.sandbox.tex as tex_module

    monkeypatch.setattr(tex_module, "_DEFAULT", tex_renderer)
    return scigen


def test_a_tex_file_renders_with_the_tikz_backend(scigen_tex, tmp_path):
    figure = tmp_path / "arrow.tex"
    figure.write_text(TIKZ)
    status, stdout, _ = scigen_tex("render", figure, "--dpi", "100")
    assert status == 0, stdout
    assert (tmp_path / "arrow.png").read_bytes().startswith(b"\x89PNG")
    status, stdout, _ = scigen_tex("render", figure, "--json")
    assert [t["text"] for t in json.loads(stdout)["facts"]["texts"]] == ["v0"]


def test_a_broken_tex_file_names_the_line(scigen_tex, tmp_path):
    figure = tmp_path / "broken.tex"
    figure.write_text(TIKZ.replace("\\draw[->]", "\\drwa[->]"))
    status, _, stderr = scigen_tex("render", figure)
    lines = stderr.strip().splitlines()
    assert status == 1 and len(lines) == 1
    assert "syntax_error: Undefined control sequence." in lines[0] and "(line 2)" in lines[0]


def test_check_reports_the_tex_engine_format_and_layers(scigen_tex):
    status, stdout, _ = scigen_tex("render", "--check")
    assert status == 0
    tex_part = stdout.split("TeX (TikZ):")[1]
    assert "tex_engine: pdfTeX" in tex_part and ".fmt" in tex_part and "tex_paranoid_files" in tex_part
    assert "network_namespace" in tex_part


def test_without_tex_the_tex_path_says_so_in_one_line(scigen, monkeypatch, tmp_path):
    import core.sandbox.tex as tex_module

    monkeypatch.setattr(tex_module, "_DEFAULT", None)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no pdftex, no poppler
    figure = tmp_path / "arrow.tex"
    figure.write_text(TIKZ)
    status, _, stderr = scigen("render", figure)
    assert status == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "TeX is not installed here" in lines[0]
    status, stdout, _ = scigen("render", "--check")  # Python renders still report and work
    assert status == 0
    assert "audit_hooks" in stdout and stdout.strip().splitlines()[-1].startswith("TeX is not installed here")
    script = tmp_path / "plot.py"
    script.write_text(GOOD)
    status, _, _ = scigen("render", script, "--dpi", "50")
    assert status == 0
