"""AppTest of app_pages/generate.py: paste / pick / upload a problem, draw it live, check it, save it."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from core.models.fake_server import FakeOpenAIServer
from core.problems.sample import load_sample
from core.seed import seed_workspace
from core.store import Store
from core.workspace import Workspace
from tests.app_pages.pagekit import ENTRYPOINT, page_runner

run_page = page_runner("generate.py", timeout_s=120)
QUESTION = "A block of mass m = 2 kg rests on a frictionless incline of angle 30°. Find its acceleration."
PROVIDER_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_API_BASE",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "SCIGEN_CONFIG",
)
PLAN = "Plan\nImage Content: a block on an incline.\nLayout: one axes.\nLabels: m = 2 kg.\nDrawing Considerations: no answer."
CODE = "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(3, 2))\nax.plot([0, 3], [0, 1.7])\nax.text(1, 1.2, 'm = 2 kg')\n"


@pytest.fixture
def no_models(monkeypatch, tmp_path):
    """No provider key, no scigen.toml anywhere the page looks."""
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def home(tmp_path, monkeypatch, no_models):
    """A seeded workspace of this test's own (the page may write to it)."""
    workspace = Workspace.from_env(tmp_path / "home")
    seed_workspace(workspace)
    monkeypatch.setenv("SCIGEN_HOME", str(workspace.home))
    return workspace.home


def paste(at: AppTest, question: str = QUESTION) -> AppTest:
    at.text_area(key="question").set_value(question)
    return at.run()


def markdown_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_without_a_model_it_says_how_to_add_one_and_still_offers_the_text_card(home):
    at = run_page()
    assert not at.exception
    assert [h.value for h in at.header] == ["Generate"]
    assert any("Paste a problem" in info.value for info in at.info)  # the empty state says what to do
    at = paste(at)
    assert not at.exception
    how_to = next(info.value for info in at.info if "No model is configured" in info.value)
    assert "OPENAI_API_KEY" in how_to and "scigen.example.toml" in how_to and "api_base" in how_to
    assert at.selectbox(key="generator").options == ["text-card (adversarial baseline: no diagram)"]
    assert any("Adversarial baseline" in c.value for c in at.caption)


def test_text_card_on_a_pasted_problem_streams_its_steps_and_offers_png_and_script(home):
    at = paste(run_page())
    at.button(key="generate_figure").click().run()
    assert not at.exception
    assert len(at.image) == 1
    assert [b.label for b in at.download_button][:2] == ["Download PNG", "Download script (.py)"]
    (status,) = at.status
    assert status.label.startswith("Figure ready · text-card")
    steps = markdown_text(at)
    assert "✅ **Understand**" in steps and "✅ **Code**" in steps and "✅ **Render**" in steps
    assert any("Understand → Plan → Code → Render → Repair" in c.value for c in at.caption)
    assert at.code[0].language == "python" and "matplotlib" in at.code[0].value

    at.run()  # a rerun (any widget) keeps the figure and replays the finished steps, collapsed
    assert not at.exception and len(at.image) == 1 and at.status[0].label.startswith("Figure ready")
    assert Store.open(Workspace.from_env(home)).count_problems(source="custom") == len(
        load_sample()
    )  # not stored


def test_a_linked_stored_problem_draws_its_gold_figure_and_answers_its_quizzes_by_ocr(home):
    problem = next(p for p in load_sample() if p.quizzes and p.reference_code)
    at = run_page(mode="Pick from the store", uid=problem.uid)
    assert not at.exception
    assert at.selectbox(key="uid").value == problem.uid
    assert at.selectbox(key="generator").options[0].startswith("reference")
    at.button(key="generate_figure").click().run()
    assert not at.exception and len(at.image) == 1
    at.button(key="answer_quizzes").click().run()
    assert not at.exception
    answers = next(d.value for d in at.dataframe if "Right" in d.value.columns)
    assert len(answers) == len(problem.quizzes) and set(answers["Right"]) <= {"✓", "✗"}
    assert "quizzes answered correctly from the image alone" in markdown_text(at)
    assert not [b for b in at.button if b.key == "save_problem"]  # already stored: nothing to save


def test_uploads_that_are_not_what_they_claim_get_a_clear_message(home):
    at = run_page(mode="Upload a file")
    at.file_uploader(key="problem_upload").set_value(
        ("problems.json", b"\x89PNG\r\n\x1a\n", "application/json")
    )
    at.run()
    assert not at.exception
    assert any("problems.json: is not UTF-8 text" in e.value for e in at.error)

    lines = [
        json.dumps({"id": f"u{i}", "question": f"Draw a circle of radius {i} cm.", "subject": "Math"})
        for i in (1, 2)
    ]
    at.file_uploader(key="problem_upload").set_value(("mine.jsonl", "\n".join(lines).encode(), "text/plain"))
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox(key="upload_uid").options == ["custom:u1", "custom:u2"]

    at = paste(run_page())
    at.file_uploader(key="reference_upload").set_value(("figure.png", b"<svg>not a png</svg>", "image/png"))
    at.run()
    assert any("figure.png: not an image" in e.value for e in at.error)


def test_save_to_workspace_stores_the_pasted_problem_only_when_asked(home):
    store = Store.open(Workspace.from_env(home))
    before = store.count_problems()
    at = paste(run_page())
    assert store.count_problems() == before
    at.button(key="save_problem").click().run()
    assert not at.exception
    assert store.count_problems() == before + 1
    saved = store.list_problems(search="frictionless incline of angle 30")
    assert list(saved["source"]) == ["custom"] and any("Saved as" in s.value for s in at.success)


@pytest.mark.slow
def test_imgcoder_with_a_profile_shows_understand_plan_code_render(home, no_models):
    with FakeOpenAIServer(reply=f"{PLAN}\n\n```python\n{CODE}```\n") as server:
        (no_models / "scigen.toml").write_text(
            f'[profiles.fake]\nmodel = "openai/fake-model"\napi_base = "{server.api_base}"\nmax_retries = 0\n',
            encoding="utf-8",
        )
        at = paste(run_page())
        assert not any("No model is configured" in info.value for info in at.info)
        assert at.selectbox(key="generator").value == "imgcoder:fake"
        assert at.selectbox(key="generator").options[0] == "ImgCoder · fake (openai/fake-model)"
        at.button(key="generate_figure").click().run()
        assert not at.exception and len(at.image) == 1
        steps = markdown_text(at)
        for line in ("✅ **Understand**", "✅ **Plan**", "✅ **Code**", "✅ **Render**"):
            assert line in steps
        assert "Image Content: a block on an incline." in steps  # the plan is shown
        assert plan_panel_lines(at).count("Plan") == 1  # the panel's title, not the model's heading too
        assert server.request_count == 1
        assert at.selectbox(key="answerer").options == ["OCR (offline)", "fake"]


def plan_panel_lines(at: AppTest) -> list[str]:
    """The Plan panel's text, one entry per line, with Markdown's bold and line-break marks removed."""
    start = next(i for i, m in enumerate(at.markdown) if m.value == "**Plan**")
    return [line.strip(" *") for m in at.markdown[start : start + 2] for line in m.value.splitlines()]


@pytest.mark.slow
def test_a_typed_model_string_becomes_the_selection_and_generate_draws_with_it(home, monkeypatch):
    with FakeOpenAIServer(reply=f"{PLAN}\n\n```python\n{CODE}```\n") as server:
        monkeypatch.setenv("OPENAI_API_BASE", server.api_base)  # LiteLLM's own variables, as a user sets them
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-000")
        at = paste(run_page())
        assert at.selectbox(key="generator").value == "text-card"  # nothing typed yet: offline only
        at.text_input(key="raw_model").set_value("openai/fake-model").run()
        assert not at.exception
        picker = at.selectbox(key="generator")
        assert picker.value == "imgcoder:openai/fake-model"
        assert picker.options == ["ImgCoder · openai/fake-model", "text-card (adversarial baseline: no diagram)"]

        at.button(key="generate_figure").click().run()
        assert not at.exception and len(at.image) == 1
        assert at.status[0].label.startswith("Figure ready · ImgCoder · openai/fake-model")
        assert server.request_count == 1 and server.requests[-1].had_authorization
        assert "Image Content: a block on an incline." in markdown_text(at)

        at.selectbox(key="generator").set_value("text-card").run()  # the baseline is one click away
        assert at.selectbox(key="generator").value == "text-card"
        at.run()  # and stays picked: the typed model is no longer new
        assert at.selectbox(key="generator").value == "text-card"
        at.text_input(key="raw_model").set_value("openai/other-model").run()  # another model: picked
        assert at.selectbox(key="generator").value == "imgcoder:openai/other-model"


def test_the_workbench_pages_are_in_the_navigation(home):
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60).run()
    assert not at.exception
    at.switch_page("app_pages/generate.py").run()
    assert not at.exception and [h.value for h in at.header] == ["Generate"]
    at.switch_page("app_pages/jobs.py").run()
    assert not at.exception and [h.value for h in at.header] == ["Jobs"]


TIKZ_UID = "custom:sample-math-plane-geometric-1"  # has both a gold script and a gold TikZ figure


def test_reference_draws_a_sample_problem_in_tikz_and_offers_the_tex_file(home):
    at = run_page(mode="Pick from the store", uid=TIKZ_UID, generator="reference")
    assert not at.exception
    assert at.radio(key="backend").options[0].startswith("Python (Matplotlib")  # the default first
    at.radio(key="backend").set_value("tikz").run()
    at.button(key="generate_figure").click().run()
    assert not at.exception and len(at.image) == 1
    assert "TikZ" in at.image[0].proto.imgs[0].caption
    download = next(d for d in at.get("download_button") if d.proto.label.startswith("Download TikZ"))
    assert download.proto.label == "Download TikZ (.tex)"


def test_without_tex_the_tikz_choice_says_so_in_one_line_and_matplotlib_still_draws(home, monkeypatch):
    monkeypatch.setattr("core.sandbox.tex.find_tex", lambda path=None: None)
    at = run_page(mode="Pick from the store", uid=TIKZ_UID, generator="reference")
    labels = at.radio(key="backend").options
    assert any(label.startswith("TikZ") and label.endswith("(not available here)") for label in labels)
    at.radio(key="backend").set_value("tikz").run()
    assert [w.value for w in at.warning if "TeX is not installed here" in w.value]
    at.radio(key="backend").set_value("matplotlib").run()
    assert not [w for w in at.warning if "TeX" in w.value]
    at.button(key="generate_figure").click().run()
    assert not at.exception and len(at.image) == 1
