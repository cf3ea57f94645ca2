"""ImgCoder with the TikZ backend against the loopback model server and the real TeX sandbox:
the repair loop sends TeX's error with the line of the picture; specs, prompts and the parser; and
the reference generator on the sample's gold TikZ figures."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from core.generation import GeneratorSpec, complete_spec, create_generator
from core.generation.backends import backend_names, get_backend
from core.generation.backends.tikz import parse_tikz_reply
from core.generation.imgcoder import ImgCoder
from core.generation.prompts import PROMPT_VERSION, TIKZ_PROMPT_VERSION
from core.models import ModelClient, ModelProfile, ProfileConfig
from core.models.fake_server import FakeOpenAIServer, ScriptedReply
from core.problems.sample import load_sample
from core.sandbox import SandboxConfig
from core.sandbox.tex import TexRenderer, find_tex
from tests.core.generation.generation_testkit import PLAN, QUESTION, context, make_problem, run

pytestmark = pytest.mark.usefixtures("model_env")

GOOD_PICTURE = r"""\begin{tikzpicture}
\draw[thick] (0,0) -- (4,0) -- (4,2.3) -- cycle;
\draw[fill=blue!15] (1.8,1.05) rectangle +(0.8,0.5) node[midway] {$m = 2$ kg};
\node at (0.9,0.2) {$30^\circ$};
\end{tikzpicture}"""
# Line 3 calls a control sequence that does not exist.
BROKEN_PICTURE = GOOD_PICTURE.replace(r"\draw[fill=blue!15]", r"\drwa[fill=blue!15]")


def tikz_reply(code: str, plan: str = PLAN) -> str:
    return f"{plan}\n\n```latex\n{code}\n```\n"


@pytest.fixture(scope="module")
def tex_renderer(tmp_path_factory) -> Iterator[TexRenderer]:
    if find_tex() is None:
        pytest.skip("TeX is not installed here")
    with TexRenderer(SandboxConfig(workers=2), cache_dir=tmp_path_factory.mktemp("tex-cache")) as renderer:
        yield renderer


@pytest.fixture
def setup(make_server: Callable[..., FakeOpenAIServer], make_client: Callable[..., ModelClient],
          fake_profile: Callable[..., ModelProfile]) -> Callable[..., tuple[FakeOpenAIServer, ModelClient]]:
    def make(*script: object) -> tuple[FakeOpenAIServer, ModelClient]:
        server = make_server(script=script, reply="no more replies")
        return server, make_client(fake_profile(server))

    return make


def imgcoder(**params: object) -> ImgCoder:
    params.setdefault("model", "fake")
    params.setdefault("timeout_s", 10.0)
    generator = create_generator(GeneratorSpec.create("imgcoder", backend="tikz", **params))
    assert isinstance(generator, ImgCoder)
    return generator


def test_an_undefined_control_sequence_goes_back_with_its_line_and_is_fixed(setup, tex_renderer) -> None:
    server, client = setup(tikz_reply(BROKEN_PICTURE), tikz_reply(GOOD_PICTURE))
    result = run(imgcoder().generate(make_problem(), context(None, client, tex_renderer=tex_renderer)))
    assert result.ok and not result.first_attempt_ok, result.error_message
    first, second = result.attempts
    assert first.status == "failed" and first.error_class == "syntax_error"
    assert first.error_message == "Undefined control sequence. (line 3)"
    assert second.purpose == "repair" and second.status == "ok"
    assert result.code == GOOD_PICTURE and result.image is not None
    assert {"m = 2 kg", "30°"} <= {box.text for box in result.facts.texts}
    requests = [r for r in server.requests if r.path == "/v1/chat/completions"]
    assert len(requests) == 2
    system = requests[0].body["messages"][0]["content"]
    assert "TikZ" in system and "```latex" in system and "circuitikz" in system and "```python" not in system
    assert requests[0].body["messages"][1]["content"].startswith(f"Problem:\n{QUESTION}")
    feedback = requests[1].body["messages"][-1]["content"]
    assert "Error class: syntax_error" in feedback and "Undefined control sequence. (line 3)" not in feedback
    assert "TeX log (line numbers are those of your picture)" in feedback
    assert "line 3: Undefined control sequence." in feedback
    assert ">> 3 | \\drwa[fill=blue!15]" in feedback
    assert "```latex block" in feedback


def test_a_forbidden_picture_is_classified_and_repaired(setup, tex_renderer) -> None:
    hostile = "\\input{/etc/passwd}\n" + GOOD_PICTURE
    server, client = setup(tikz_reply(hostile), tikz_reply(GOOD_PICTURE))
    result = run(imgcoder().generate(make_problem(), context(None, client, tex_renderer=tex_renderer)))
    assert result.ok and result.attempts[0].error_class == "forbidden"
    feedback = [r for r in server.requests if r.path == "/v1/chat/completions"][1].body["messages"][-1]["content"]
    assert "draw with TikZ only" in feedback


def test_a_python_reply_is_no_tikz_code(setup, tex_renderer) -> None:
    server, client = setup(f"{PLAN}\n\n```python\nimport matplotlib\n```\n", tikz_reply(GOOD_PICTURE))
    result = run(imgcoder().generate(make_problem(), context(None, client, tex_renderer=tex_renderer)))
    assert result.ok and result.attempts[0].error_class == "no_code"


def test_a_truncated_picture_is_classified(setup, tex_renderer) -> None:
    cut = ScriptedReply(content=f"{PLAN}\n```latex\n\\begin{{tikzpicture}}\n\\draw (0,0) --", finish_reason="length")
    server, client = setup(cut, tikz_reply(GOOD_PICTURE))
    result = run(imgcoder().generate(make_problem(), context(None, client, tex_renderer=tex_renderer)))
    assert result.ok and result.attempts[0].error_class == "truncated"


# ---------------------------------------------------------------- specs and prompts
def test_backends_are_registered_by_name() -> None:
    assert backend_names() == ["matplotlib", "tikz"]
    with pytest.raises(ValueError, match="unknown backend 'svg'"):
        get_backend("svg")
    with pytest.raises(ValueError, match="unknown backend 'svg'"):
        create_generator(GeneratorSpec.create("imgcoder", model="fake", backend="svg"))


def test_a_tikz_spec_gets_the_tikz_prompts_and_a_matplotlib_spec_stays_as_before() -> None:
    config = ProfileConfig(None, {"fake": ModelProfile(name="fake", model="openai/fake")}, {}, {})
    tikz = complete_spec(GeneratorSpec.create("imgcoder", model="fake", backend="tikz"), config=config)
    assert tikz.param("backend") == "tikz" and tikz.param("prompt_version") == TIKZ_PROMPT_VERSION
    plain = complete_spec(GeneratorSpec.create("imgcoder", model="fake"), config=config)
    assert "backend" not in plain.params and plain.param("prompt_version") == PROMPT_VERSION
    with pytest.raises(ValueError, match="written for the matplotlib backend, not tikz"):
        create_generator(GeneratorSpec.create("imgcoder", model="fake", backend="tikz", prompt_version=PROMPT_VERSION))


@pytest.mark.parametrize(
    ("reply_text", "truncated", "code", "error_class"),
    [
        ("Plan\nx\n```tex\n\\begin{tikzpicture}\\draw (0,0);\\end{tikzpicture}\n```", False,
         "\\begin{tikzpicture}\\draw (0,0);\\end{tikzpicture}", None),
        ("```latex\n\\tikzset{a/.style=red}\n```\nthen\n```latex\n\\begin{circuitikz}\\draw (0,0);\\end{circuitikz}\n```\n"
         "```latex\n\\tikzset{b/.style=blue}\n```", False, "\\begin{circuitikz}\\draw (0,0);\\end{circuitikz}", None),
        ("Plan: a line.\n\\begin{tikzpicture}\n\\draw (0,0) -- (1,1);\n\\end{tikzpicture}\nDone.", False,
         "\\begin{tikzpicture}\n\\draw (0,0) -- (1,1);\n\\end{tikzpicture}", None),
        ("Plan\n```latex\n\\begin{tikzpicture}\n\\draw (0,0)", True, None, "truncated"),
        ("Plan\n```latex\n\\begin{tikzpicture}\n\\draw (0,0);\n\\end{tikzpicture}", False,
         "\\begin{tikzpicture}\n\\draw (0,0);\n\\end{tikzpicture}", None),
        ("I would draw a triangle.", False, None, "no_code"),
    ],
)
def test_parse_tikz_reply(reply_text: str, truncated: bool, code: str | None, error_class: str | None) -> None:
    parsed = parse_tikz_reply(reply_text, truncated=truncated)
    assert (parsed.code, parsed.error_class) == (code, error_class), parsed.notes


# ---------------------------------------------------------------- reference
def test_reference_renders_the_samples_gold_tikz(tex_renderer) -> None:
    problem = next(p for p in load_sample() if p.id == "sample-physics-circuit-1")
    generator = create_generator(GeneratorSpec.create("reference", backend="tikz"))
    result = run(generator.generate(problem, context(None, tex_renderer=tex_renderer)))
    assert result.ok, result.error_message
    # siunitx writes \ohm as the ohm sign (U+2126); the quiz matcher folds it to omega (NFKC).
    assert {"R1 = 4 \u2126", "12 V"} <= {box.text for box in result.facts.texts}
    assert result.code.startswith("% A 12 V battery")
    assert result.attempts[0].parse_notes == ["the problem's reference tikz figure"]


def test_reference_without_a_gold_tikz_figure_is_no_reference(tex_renderer) -> None:
    generator = create_generator(GeneratorSpec.create("reference", backend="tikz"))
    result = run(generator.generate(make_problem(), context(None, tex_renderer=tex_renderer)))
    assert result.error_class == "no_reference" and "no reference tikz figure" in result.error_message
    plain = complete_spec(GeneratorSpec.create("reference"))
    assert "backend" not in plain.params
