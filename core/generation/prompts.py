"""The prompts of the model-driven generators, as versioned constants.

A run's spec records ``prompt_version``; the generator looks its prompts up by that version, so a
resumed run keeps the prompt that started it, and every stored figure says which prompt made it.
Never edit a released version in place: add a new version and point ``PROMPT_VERSION`` /
``PIXEL_PROMPT_VERSION`` at it.

ImgCoder (understand -> plan -> code): the model first writes a four-part Plan (Image Content,
Layout, Labels, Drawing Considerations), then ONE self-contained Python script using only the
sandbox's libraries. Repairs send back the error class, a trimmed traceback in the script's line
numbers and the lines around the error. The optional visual critique asks a vision model for
``APPROVE`` or a short list of problems. The pixel illustrator prompt asks a text-to-image model
for the same figure in textbook line-art style.

Only the problem's question is ever put into a prompt: never its answer, elements, quizzes or
multimodal question (the figure must not be built from what evaluation will check).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.sandbox.spec import AVAILABLE_LIBRARIES

__all__ = [
    "IMGCODER_PROMPTS",
    "LIBRARY_HINTS",
    "PIXEL_PROMPTS",
    "PIXEL_PROMPT_VERSION",
    "PLAN_PARTS",
    "PROMPT_VERSION",
    "REPAIR_HINTS",
    "TIKZ_PROMPT_VERSION",
    "TIKZ_REPAIR_HINTS",
    "ImgCoderPrompts",
    "PixelPrompts",
    "library_list",
]

PLAN_PARTS: tuple[str, ...] = ("Image Content", "Layout", "Labels", "Drawing Considerations")
"""The four parts of an ImgCoder plan, in order (the parser reports which ones it found)."""

# What each offered library is good for; a library the sandbox adds later is listed without a hint.
LIBRARY_HINTS: dict[str, str] = {
    "matplotlib": "pyplot, patches, lines, mpl_toolkits.mplot3d for 3-D solids",
    "numpy": "arrays and maths",
    "scipy": "numerical helpers (integrate, interpolate, special functions)",
    "sympy": "exact geometry and algebra when placing points",
    "networkx": "graphs, trees, networks and flow diagrams (draw with networkx.draw_networkx on an axes)",
    "schemdraw": "circuit diagrams: schemdraw.Drawing(canvas=ax, show=False) on a Matplotlib axes, then d.draw()",
    "rdkit": "molecules: rdkit.Chem + rdkit.Chem.Draw.rdMolDraw2D.MolDraw2DCairo, "
    "then ax.imshow the PNG it returns",
    "matplotlib_venn": "Venn diagrams (venn2, venn3) on a Matplotlib axes",
}


def library_list(libraries: tuple[str, ...] = AVAILABLE_LIBRARIES) -> str:
    """The sandbox's libraries as prompt bullet lines."""
    lines = []
    for name in libraries:
        hint = LIBRARY_HINTS.get(name)
        lines.append(f"- {name}" + (f": {hint}" if hint else ""))
    return "\n".join(lines)


@dataclass(frozen=True)
class ImgCoderPrompts:
    """Every text ImgCoder sends to a model, for one prompt version.

    Templates use ``str.format`` fields: ``system`` {libraries} {timeout_s}; ``user`` {question};
    ``repair`` {error_class} {error_message} {traceback} {excerpt} {hint};
    ``critique`` {question}; ``revision`` {problems}.
    """

    version: str
    system: str
    user: str
    repair: str
    critique: str
    revision: str
    backend: str = "matplotlib"
    """The drawing backend the prompts ask for (``core.generation.backends``)."""
    libraries_text: str | None = None
    """The {libraries} text; None: the sandbox's Python libraries (:func:`library_list`)."""
    hints: dict[str, str] | None = None
    """One sentence of advice per failure class; None: :data:`REPAIR_HINTS`."""
    log_heading: str = "Traceback (line numbers are those of your script)"
    excerpt_heading: str = "The script around line {line}"

    def system_prompt(self, *, timeout_s: float, libraries: tuple[str, ...] = AVAILABLE_LIBRARIES) -> str:
        listed = self.libraries_text if self.libraries_text is not None else library_list(libraries)
        return self.system.format(libraries=listed, timeout_s=f"{timeout_s:g}")

    def hint(self, error_class: str) -> str:
        return (self.hints if self.hints is not None else REPAIR_HINTS).get(error_class, "")

    def user_prompt(self, question: str) -> str:
        return self.user.format(question=question.strip())


_SYSTEM_V1 = """\
You are ImgCoder, a scientific illustrator who draws the figure that goes with a textbook \
problem by writing Python plotting code.

You receive the text of one science or mathematics problem. Draw the figure a textbook would \
print next to it: the situation exactly as the problem states it, before anything is solved.

Work in two steps.

Step 1 - Plan. Write a section headed "Plan" with these four parts, in this order:
1. Image Content: every entity the problem mentions (objects, points, lines, components, \
molecules, organisms, axes, curves ...) and how they relate (connected to, resting on, \
inscribed in, in series with, bonded to ...).
2. Layout: the coordinate system and units you draw in, and where each entity goes \
(coordinates, sizes, angles), chosen so that given lengths, angles and proportions are faithful.
3. Labels: every given value and name in the problem (lengths, angles, masses, charges, \
resistances, temperatures, concentrations, point and component names ...) and the element each \
one attaches to.
4. Drawing Considerations: what must NOT be shown (the answer, derived values, steps of the \
solution) and the domain conventions to follow (circuit symbols, force arrows starting at the \
point of application, right-angle marks, dashed hidden edges of solids, standard chemical notation ...).

Step 2 - Code. Write ONE self-contained Python script in a single ```python fenced block.

Rules:
- Draw only the initial setting given in the problem: the objects, their configuration and the \
given quantities.
- Label every given value next to the element it belongs to, with the problem's numbers and \
units exactly as stated. A quantity the problem asks for may be marked with its symbol or "?" \
only - never with its value.
- Never reveal the answer, a derivation, formulas being worked out or intermediate results.
- Textbook style: white background, black lines with at most a few muted colours, clean thin \
strokes, no decoration, no title that repeats the question, a legend only when the figure needs one.
- Geometry and physical layouts: call ax.set_aspect("equal") so lengths and angles are not \
distorted, and hide the axes (ax.axis("off")) unless the problem is about a graph or a \
coordinate plane, in which case draw and label the axes.
- Labels: prefer plain text such as "30°", "m = 2 kg", "R1 = 5 Ω"; use Matplotlib mathtext \
($...$) only where plain text cannot say it; never use usetex. Keep labels legible and clear of \
each other and of the lines.
- One figure: create exactly one Matplotlib figure (subplots only when the problem itself has \
several panels) and end with fig.savefig("figure.png", dpi=150, bbox_inches="tight").
- Self-contained: use only the Python standard library and these libraries:
{libraries}
  No other files, no network, no input(), no random data unless seeded. The script must finish \
in under {timeout_s} seconds.

Reply in exactly this form and write nothing after the code block:

Plan
Image Content: ...
Layout: ...
Labels: ...
Drawing Considerations: ...

```python
# the complete script
```
"""

_USER_V1 = """\
Problem:
{question}

Write the Plan, then the script."""

_REPAIR_V1 = """\
Your script failed when it was run.

Error class: {error_class}
Error: {error_message}
{traceback}{excerpt}{hint}
Fix it. Reply with a short Plan (only what changes) and then ONE complete, corrected script in a \
single ```python block - the whole script, not a diff. All the rules above still apply."""

_CRITIQUE_V1 = """\
You review a figure drawn for a textbook problem. The problem:

{question}

Look at the image and check:
1. Every entity of the problem is drawn, in the configuration the text describes.
2. Every given value and name is labelled, correctly, on the element it belongs to.
3. Nothing is shown that must not be: the answer, a derived value, steps of the solution.
4. Labels are legible and do not overlap each other or the drawing.

If the figure is correct and complete, reply with exactly one word: APPROVE
Otherwise reply with "PROBLEMS:" followed by at most five short bullet points, each naming one \
concrete fix."""

_REVISION_V1 = """\
The script ran, and a reviewer looked at the rendered figure. The reviewer found these problems:

{problems}

Revise the script to fix them. Reply with a short Plan (only what changes) and then ONE \
complete script in a single ```python block. All the rules above still apply."""


IMGCODER_PROMPTS: dict[str, ImgCoderPrompts] = {
    "imgcoder-v1": ImgCoderPrompts(
        version="imgcoder-v1",
        system=_SYSTEM_V1,
        user=_USER_V1,
        repair=_REPAIR_V1,
        critique=_CRITIQUE_V1,
        revision=_REVISION_V1,
    ),
}
PROMPT_VERSION = "imgcoder-v1"
"""The ImgCoder prompt version new specs get (stored in the spec as ``prompt_version``)."""

_TIKZ_PACKAGES = """- TikZ with the libraries arrows.meta, calc, positioning, shapes.geometric, shapes.misc, shapes.symbols, decorations.pathmorphing, decorations.pathreplacing, decorations.markings, patterns, angles, quotes, intersections, 3d, backgrounds, fit, matrix, trees, shadows, through, automata, graphs: geometry, mechanics, optics, fields, graphs and flowcharts
- pgfplots (compat 1.18, fillbetween, polar): function graphs and data plots in an axis environment
- circuitikz (siunitx option): circuit diagrams, e.g. to[R, l=$R_1$], to[battery1], to[C], to[nos]
- tikz-3dplot: solids seen in 3-D (\\tdplotsetmaincoords)
- chemfig: structural formulas (\\chemfig{...})
- siunitx: numbers with units, e.g. \\SI{4}{\\ohm}, \\SI{30}{\\degree}
- amsmath, amssymb, xcolor, booktabs, array, multirow (tables with the tabular environment)"""

_SYSTEM_TIKZ_V1 = _SYSTEM_V1.replace(
    "problem by writing Python plotting code.", "problem by writing TikZ (LaTeX) code."
).split("Step 2 - Code.")[0] + """Step 2 - Code. Write ONE TikZ picture in a single ```latex fenced block: a tikzpicture (or circuitikz) environment, optionally preceded by \\usetikzlibrary, \\tikzset or \\newcommand lines. Do not write \\documentclass, \\begin{{document}} or \\usepackage: the picture is compiled with a fixed standalone preamble that already loads

{libraries}

Rules:
- Draw only the initial setting given in the problem: the objects, their configuration and the given quantities.
- Label every given value next to the element it belongs to, with the problem's numbers and units exactly as stated (\\SI{{5.0}}{{kg}}, $30^\\circ$). A quantity the problem asks for may be marked with its symbol or "?" only - never with its value.
- Never reveal the answer, a derivation, formulas being worked out or intermediate results.
- Textbook style: black lines with at most a few muted colours, no decoration, no title that repeats the question.
- Geometry and physical layouts: keep lengths and angles in proportion (one unit per given unit, or a stated scale); draw axes only for graphs and coordinate planes.
- Labels: put them in nodes (node[above], node[midway, below], pic "angle" with quotes) so they stay clear of each other and of the lines.
- Self-contained: no \\input, \\include, \\includegraphics, external files or shell commands; nothing else is available. The picture must compile in under {timeout_s} seconds with pdflatex.

Reply in exactly this form and write nothing after the code block:

Plan
Image Content: ...
Layout: ...
Labels: ...
Drawing Considerations: ...

```latex
\\begin{{tikzpicture}}
% the complete picture
\\end{{tikzpicture}}
```
"""

_USER_TIKZ_V1 = """Problem:
{question}

Write the Plan, then the TikZ picture."""

_REPAIR_TIKZ_V1 = """Your TikZ picture failed to compile.

Error class: {error_class}
Error: {error_message}
{traceback}{excerpt}{hint}
Fix it. Reply with a short Plan (only what changes) and then ONE complete, corrected picture in a \
single ```latex block - the whole picture, not a diff. All the rules above still apply."""

_REVISION_TIKZ_V1 = """\
The picture compiled, and a reviewer looked at the rendered figure. The reviewer found these problems:

{problems}

Revise the picture to fix them. Reply with a short Plan (only what changes) and then ONE \
complete picture in a single ```latex block. All the rules above still apply."""

TIKZ_REPAIR_HINTS: dict[str, str] = {
    "syntax_error": "TeX stopped at the line shown: check the spelling of commands and keys, "
    "braces, semicolons at the end of each path, and use only the preamble's packages and libraries.",
    "timeout": "It ran past the time limit: fewer samples in plots, no loops without an end.",
    "memory_limit": "TeX's capacity was exceeded: no recursive macros, fewer samples and nodes.",
    "no_figure": "Nothing was drawn: put the drawing inside a tikzpicture environment.",
    "blank_figure": "The picture was empty: draw visible paths (\\draw, \\fill), not only \\path.",
    "forbidden": "It tried something the sandbox refuses (reading or writing files, shell "
    "escape): draw with TikZ only.",
    "output_too_large": "The picture was too large: keep it within about 20 x 15 cm.",
    "sandbox_error": "The renderer failed for reasons outside your code; send the same picture "
    "again if you believe it is correct.",
    "no_code": "Your reply had no TikZ code block. Reply with the Plan and then the complete "
    "picture inside a ```latex block.",
    "truncated": "Your reply was cut off at the output limit before the picture ended. Write a "
    "shorter picture: loops (\\foreach) instead of repeated lines, a short Plan.",
}
"""The repair advice for TikZ pictures."""

IMGCODER_PROMPTS["imgcoder-tikz-v1"] = ImgCoderPrompts(
    version="imgcoder-tikz-v1",
    system=_SYSTEM_TIKZ_V1,
    user=_USER_TIKZ_V1,
    repair=_REPAIR_TIKZ_V1,
    critique=_CRITIQUE_V1,
    revision=_REVISION_TIKZ_V1,
    backend="tikz",
    libraries_text=_TIKZ_PACKAGES,
    hints=TIKZ_REPAIR_HINTS,
    log_heading="TeX log (line numbers are those of your picture)",
    excerpt_heading="Your picture around line {line}",
)
TIKZ_PROMPT_VERSION = "imgcoder-tikz-v1"
"""The prompt version new TikZ specs get."""


REPAIR_HINTS: dict[str, str] = {
    "syntax_error": "The script does not compile; check brackets, quotes and indentation at the line shown.",
    "runtime_error": "Fix the cause at the line shown. If a module was not found, use only the "
    "libraries listed above.",
    "timeout": "It ran past the time limit: avoid long loops, huge grids, repeated solves and "
    "animations; compute only what the drawing needs.",
    "memory_limit": "It ran out of memory: use smaller arrays and a figure of at most about 10 x 8 inches.",
    "no_figure": "No Matplotlib figure was created: draw on fig, ax = plt.subplots() and save it "
    'with fig.savefig("figure.png").',
    "blank_figure": "The figure was empty: draw the entities on the axes you save, and make sure "
    "nothing is drawn outside the visible limits.",
    "forbidden": "It tried something the sandbox refuses (reading or writing files other than the "
    "figure, network, launching programs, native code): draw with the listed libraries only.",
    "output_too_large": "The image was too large: use a figure of at most about 10 x 8 inches at dpi 150.",
    "sandbox_error": "The renderer failed for reasons outside your script; send the same script "
    "again if you believe it is correct.",
    "no_code": "Your reply had no Python code block. Reply with the Plan and then the complete "
    "script inside a ```python block.",
    "truncated": "Your reply was cut off at the output limit before the script ended. Write a "
    "shorter script: brief comments, loops instead of repeated lines, a short Plan.",
}
"""One sentence of advice per failure class, appended to the repair message."""


@dataclass(frozen=True)
class PixelPrompts:
    """The illustrator prompt for text-to-image models; ``template`` takes {question}."""

    version: str
    template: str

    def prompt(self, question: str) -> str:
        return self.template.format(question=question.strip())


_PIXEL_V1 = """\
Scientific textbook illustration for the problem below. Draw the figure that accompanies the \
problem: the situation exactly as stated, before anything is solved.

Problem: {question}

Requirements:
- Depict every entity the problem mentions, in the configuration it describes (positions, \
connections, angles and proportions as given).
- Show every given value as a clean, legible text label (numbers with their units, point, \
component and species names) next to the element it belongs to, spelled exactly as in the problem.
- Do not show the solution: no answer, no derived values, no formulas being worked out.
- No decoration: no scenery, shading, people, logos, borders, captions or title.
- Flat textbook line-art style: thin black lines on a plain white background, at most a few \
muted colours, sans-serif labels."""

PIXEL_PROMPTS: dict[str, PixelPrompts] = {"pixel-v1": PixelPrompts(version="pixel-v1", template=_PIXEL_V1)}
PIXEL_PROMPT_VERSION = "pixel-v1"
"""The pixel prompt version new specs get (stored in the spec as ``prompt_version``)."""
