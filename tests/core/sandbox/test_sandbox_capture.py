"""Accepting code as models write it: which figure is captured, fonts, unicode, mathtext, libraries."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from core.sandbox import AVAILABLE_LIBRARIES, ErrorClass
from core.sandbox.rules import CAPTURE_RULE


def png_size(png: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(png)).size


def title_texts(result) -> list[str]:
    return [t.text for t in result.facts.texts if t.role == "title"]


def test_plt_show_does_not_lose_the_figure(pool):
    result = pool.render("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.title('shown')\nplt.show()\n")
    assert result.ok, result.one_line()
    assert result.capture == "last_figure"
    assert title_texts(result) == ["shown"]
    assert "plt.show() ignored (headless)" in result.notes


@pytest.mark.parametrize("target", ["figure.png", "out/../any_name.png", "diagram", "plot.PNG"])
def test_savefig_to_any_file_name(pool, target):
    code = f"import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.title('saved')\nplt.savefig({target!r})\n"
    if target.startswith("out/"):
        code = "import os\nos.makedirs('out', exist_ok=True)\n" + code
    result = pool.render(code)
    assert result.ok, result.one_line()
    assert result.capture == "savefig"
    assert title_texts(result) == ["saved"]
    assert result.saved_as[-1].endswith(target if target != "diagram" else "diagram.png")


def test_savefig_to_a_file_object_and_reading_the_file_back(pool):
    code = (
        "import io\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\nbuf = io.BytesIO()\n"
        "plt.savefig(buf, format='png')\nprint(buf.getvalue()[:4])\n"
        "plt.savefig('figure.png')\nprint(plt.imread('figure.png').shape)\n"
    )
    result = pool.render(code)
    assert result.ok, result.one_line()
    assert "b'\\x89PNG'" in result.stdout
    assert "(480, 640, 4)" in result.stdout


def test_uncalled_draw_function_is_called(pool):
    code = (
        "import matplotlib.pyplot as plt\n\n"
        "def helper(ax, label):\n    ax.set_title(label)\n\n"
        "def draw_diagram():\n    fig, ax = plt.subplots()\n    ax.plot([0, 1], [1, 0])\n"
        "    helper(ax, 'from draw_diagram')\n    fig.savefig('figure.png')\n"
    )
    result = pool.render(code)
    assert result.ok, result.one_line()
    assert result.capture == "called:draw_diagram"
    assert title_texts(result) == ["from draw_diagram"]
    assert any("draw_diagram()" in note for note in result.notes)


def test_main_is_preferred_and_main_guard_runs(pool):
    guarded = "import matplotlib.pyplot as plt\n\ndef main():\n    plt.plot([1, 2])\n    plt.title('guarded')\n\n" \
              "if __name__ == '__main__':\n    main()\n"
    result = pool.render(guarded)
    assert result.ok and result.capture == "last_figure" and title_texts(result) == ["guarded"]

    uncalled = "import matplotlib.pyplot as plt\n\ndef plot_extra():\n    plt.plot([1]); plt.title('extra')\n\n" \
               "def main():\n    plt.plot([1, 2]); plt.title('main')\n"
    result = pool.render(uncalled)
    assert result.ok and result.capture == "called:main" and title_texts(result) == ["main"]


def test_several_figures_last_saved_wins(pool):
    code = (
        "import matplotlib.pyplot as plt\n"
        "a = plt.figure(); plt.plot([1, 2]); plt.title('A'); a.savefig('a.png')\n"
        "b = plt.figure(); plt.plot([2, 1]); plt.title('B')\n"
    )
    result = pool.render(code)
    assert result.ok and result.capture == "savefig" and title_texts(result) == ["A"]


def test_several_figures_without_saving_last_drawn_wins(pool):
    code = (
        "import matplotlib.pyplot as plt\n"
        "a = plt.figure(); plt.plot([1, 2]); plt.title('A')\n"
        "b = plt.figure(); plt.plot([2, 1]); plt.title('B')\n"
        "c = plt.figure()\n"  # created last but empty
    )
    result = pool.render(code)
    assert result.ok and result.capture == "last_figure" and title_texts(result) == ["B"]


def test_close_before_save_and_clear_after_save(pool):
    closed = "import matplotlib.pyplot as plt\nfig = plt.figure()\nplt.plot([1, 2])\nplt.title('closed')\n" \
             "plt.close('all')\nfig.savefig('figure.png')\n"
    result = pool.render(closed)
    assert result.ok and title_texts(result) == ["closed"]

    closed_unsaved = "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.title('kept')\nplt.close()\n"
    result = pool.render(closed_unsaved)
    assert result.ok and title_texts(result) == ["kept"]

    cleared = "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.title('as saved')\nplt.savefig('f.png')\n" \
              "plt.clf()\nplt.close('all')\n"
    result = pool.render(cleared)
    assert result.ok and title_texts(result) == ["as saved"]


def test_saving_another_format_still_gives_a_png(pool):
    result = pool.render("import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.title('pdf')\nplt.savefig('f.pdf')\n")
    assert result.ok and result.png.startswith(b"\x89PNG") and title_texts(result) == ["pdf"]


def test_savefig_options_and_forced_dpi(pool):
    code = "import matplotlib.pyplot as plt\nfig = plt.figure(figsize=(4, 3))\nplt.plot([1, 2])\n" \
           "fig.savefig('figure.png', dpi=50)\n"
    result = pool.render(code)
    assert png_size(result.png) == (200, 150)
    assert (result.facts.width_px, result.facts.height_px) == (200, 150)
    forced = pool.render(code, dpi=120)
    assert png_size(forced.png) == (480, 360) and forced.facts.dpi == 120
    tight = pool.render(code.replace("dpi=50", "dpi=100, bbox_inches='tight'"))
    width, height = png_size(tight.png)
    assert width < 400 and height < 300
    assert (tight.facts.width_px, tight.facts.height_px) == (width, height)


def test_svg_on_request(pool):
    result = pool.render("import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.title('vector')\n", svg=True)
    assert result.ok and result.svg is not None and result.svg.lstrip().startswith("<?xml")
    assert "<svg" in result.svg


def test_schemdraw_drawing_never_drawn_is_drawn(pool):
    code = "import schemdraw\nimport schemdraw.elements as elm\n" \
           "with schemdraw.Drawing(show=False) as d:\n    d += elm.Resistor().label('5 Ω')\n"
    result = pool.render(code)
    assert result.ok, result.one_line()
    assert result.capture == "schemdraw"
    assert "5 Ω" in [t.text for t in result.facts.texts]


def test_unicode_and_mathtext_render_with_bundled_fonts(pool):
    code = (
        "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([0, 1])\n"
        "ax.set_title('μ = 3 µm, 30°, 5 Ω, H₂O, x²')\n"
        "ax.set_xlabel(r'$\\alpha_1 + \\frac{\\sqrt{x}}{2}$')\n"
        "ax.text(0.5, 0.5, 'serif', family='serif')\n"
        "from matplotlib import font_manager\n"
        "print(font_manager.findfont('DejaVu Sans'))\nprint(font_manager.findfont('Arial'))\n"
        "fig.savefig('figure.png')\n"
    )
    result = pool.render(code)
    assert result.ok, result.one_line()
    assert "missing from font" not in result.stderr.lower() and "glyph" not in result.stderr.lower()
    assert all("mpl-data" in line for line in result.stdout.strip().splitlines())
    texts = [t.text for t in result.facts.texts]
    assert "μ = 3 µm, 30°, 5 Ω, H₂O, x²" in texts
    assert any(t.startswith("$\\alpha_1") for t in texts)


def test_fonts_and_output_are_deterministic(pool):
    code = "import matplotlib.pyplot as plt\nimport numpy as np\nx = np.linspace(0, 1, 50)\n" \
           "plt.plot(x, np.sin(9 * x))\nplt.title('same bytes')\nplt.savefig('figure.png')\n"
    first, second = pool.render(code), pool.render(code)
    assert first.ok and first.png == second.png


@pytest.mark.parametrize("library,code", [
    ("numpy", "import numpy as np\nimport matplotlib.pyplot as plt\nplt.plot(np.arange(5) ** 2)\n"),
    ("scipy", "from scipy import stats, integrate\nimport numpy as np\nimport matplotlib.pyplot as plt\n"
              "x = np.linspace(-3, 3, 50)\nplt.plot(x, stats.norm.pdf(x))\nplt.title(str(round(integrate.quad(np.sin, 0, 1)[0], 3)))\n"),
    ("sympy", "import sympy as sp\nimport numpy as np\nimport matplotlib.pyplot as plt\nx = sp.symbols('x')\n"
              "f = sp.lambdify(x, sp.diff(x ** 3, x))\nt = np.linspace(0, 2, 20)\nplt.plot(t, f(t))\n"
              "plt.title('$' + sp.latex(sp.diff(x ** 3, x)) + '$')\n"),
    ("networkx", "import networkx as nx\nimport matplotlib.pyplot as plt\nG = nx.cycle_graph(5)\n"
                 "nx.draw(G, pos=nx.circular_layout(G), with_labels=True)\n"),
    ("schemdraw", "import schemdraw\nimport schemdraw.elements as elm\nd = schemdraw.Drawing()\n"
                  "d += elm.Resistor().label('10 Ω')\nd += elm.Capacitor().down().label('2 μF')\nd.save('circuit.png')\n"),
    ("rdkit", "from rdkit import Chem\nfrom rdkit.Chem import Draw\nimport matplotlib.pyplot as plt\n"
              "img = Draw.MolToImage(Chem.MolFromSmiles('c1ccccc1O'))\nplt.imshow(img)\nplt.axis('off')\n"),
    ("matplotlib_venn", "from matplotlib_venn import venn2\nimport matplotlib.pyplot as plt\n"
                        "venn2(subsets=(3, 2, 1), set_labels=('A', 'B'))\n"),
    ("matplotlib", "import matplotlib.pyplot as plt\nfrom mpl_toolkits.mplot3d import Axes3D\n"
                   "ax = plt.figure().add_subplot(projection='3d')\nax.plot([0, 1], [0, 1], [0, 1])\n"),
])
def test_offered_libraries_work_inside(pool, library, code):
    assert library in AVAILABLE_LIBRARIES
    result = pool.render(code)
    assert result.ok, (result.one_line(), result.traceback_tail)
    pixels = np.asarray(Image.open(io.BytesIO(result.png)).convert("L"))
    assert pixels.min() < 200  # something dark was drawn


def test_libraries_outside_the_list_are_not_available(pool):
    result = pool.render("import pandas\n")
    assert result.error_class == ErrorClass.runtime_error
    assert "not available in the sandbox" in result.error


def test_capture_rule_is_documented():
    for phrase in ("savefig", "plt.show()", "plt.close()", "draw*", "main", "no_figure", "blank_figure"):
        assert phrase in CAPTURE_RULE
