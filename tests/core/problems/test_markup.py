"""Readable Markdown for published problem texts."""

import pytest

from core.problems.markup import to_markdown


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("A mass {eq}m = 2\\ kg{/eq} hangs.", "A mass $m = 2\\ kg$ hangs."),
        ("Let {eq}x\n\n{/eq} be real.", "Let $x$ be real."),
        (
            "{eq}\\displaystyle\n\nF\n\n{eq} through S",
            "$\\displaystyle F$ through S",
        ),  # {eq} used as the closer
        ("Find {eq}\\lim_{t \\to \\infty} f(t)", "Find $\\lim_{t \\to \\infty} f(t)$"),  # never closed
        ("Stray {/eq}closer", "Stray closer"),
        ("Empty {eq} {/eq}here", "Empty here"),
        ("Speed \\( v_0 \\) and", "Speed $v_0$ and"),
        ("So \\[ E = mc^2 \\] holds", "So\n\n$$\nE = mc^2\n$$\n\nholds"),
        ("Keep $x^2$ and $$y$$ as is", "Keep $x^2$ and\n\n$$\ny\n$$\n\nas is"),
    ],
)
def test_math_delimiters(raw, expected):
    assert to_markdown(raw) == expected


def test_environment_becomes_display_math():
    raw = "Game:\n\n{eq}\\begin{bmatrix}\n\n3, 1 & 0, 0\\\\\n\n0, 0 & 1, 3\n\n\\end{bmatrix}"
    assert to_markdown(raw) == "Game:\n\n$$\n\\begin{bmatrix} 3, 1 & 0, 0\\\\ 0, 0 & 1, 3 \\end{bmatrix}\n$$"


def test_currency_dollars_are_escaped():
    raw = "Oil costs $60 per barrel and {eq}\\eta{/eq} = 1; later $70."
    assert to_markdown(raw) == "Oil costs \\$60 per barrel and $\\eta$ = 1; later \\$70."
    assert to_markdown("from $5 to $10 each") == "from \\$5 to \\$10 each"
    assert to_markdown("a price of \\$3") == "a price of \\$3"


def test_seephys_literal_backslash_n():
    assert to_markdown("Evaluate\\n\\[\\n\\int_0^1 x\\,dx\\n\\]") == "Evaluate\n\n$$\n\\int_0^1 x\\,dx\n$$"
    assert to_markdown("\\n(1) first;\\n(2) second") == "(1) first;  \n(2) second"
    # a run-on "\n" + command is repaired; real \n... commands stay
    assert to_markdown("$\\nvarepsilon_{\\nmathrm{r}}=2$") == "$\\varepsilon_{ \\mathrm{r}}=2$"
    assert to_markdown("$\\nabla \\cdot E = \\rho$ and $\\nu$") == "$\\nabla \\cdot E = \\rho$ and $\\nu$"


def test_html_placeholders_and_tags():
    raw = 'C:<span class="tex-span">\\</span>folder1\n\n<image>\n\n<img>/c/pic.png</img>'
    assert to_markdown(raw) == "C:\\folder1\n\n*[image]*\n\n*[image: /c/pic.png]*"
    assert to_markdown("the field <y, -x> here") == "the field &lt;y, -x> here"
    assert (
        to_markdown("<think>\nlet me see\n</think>\n42")
        == "**Reasoning:**\n\nlet me see\n\n**Answer:**\n\n42"
    )


def test_code_stays_verbatim():
    raw = 'Grid:\n\n[asy]\nsize(300);\nlabel("$A$",(0,5));\n[/asy]'
    assert to_markdown(raw) == 'Grid:\n\n```\nsize(300);\nlabel("$A$",(0,5));\n```'
    code = "```cpp\n#include <vector>\nint x = a ~ b;\n```"
    assert to_markdown("Code:\n" + code) == "Code:\n\n" + code


def test_line_breaks_and_tildes():
    assert to_markdown("Input\n3\n1 2 3\n\nOutput\n6") == "Input  \n3  \n1 2 3\n\nOutput  \n6"
    assert to_markdown("about ~5 m to ~6 m") == "about \\~5 m to \\~6 m"


def test_empty_and_plain():
    assert to_markdown("") == "" and to_markdown(None) == ""
    assert to_markdown("Plain text.") == "Plain text."
