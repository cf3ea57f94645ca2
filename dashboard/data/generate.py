"""Data for the Generate page: which generators can run here, one live figure, its evaluation,
uploads, and saving a pasted problem to the workspace.

Generation and evaluation of the one figure go through :mod:`core.jobs.single` (nothing is
stored); only :func:`save_problem` writes, and only when the user asks.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import streamlit as st
from PIL import Image, UnidentifiedImageError

from core.evaluation.base import EvaluatorSpec
from core.generation import registered_generators
from core.generation.backends import DEFAULT_BACKEND, backend_label, backend_names, get_backend
from core.generation.base import FigureResult, GenerationContext, GenerationStep, Generator, GeneratorSpec
from core.jobs.runs import JobError
from core.jobs.single import custom_problem, evaluate_one, generate_one, write_quizzes
from core.metrics import JUDGE_DIMENSIONS
from core.models import ProfileError, load_profiles
from core.models.profiles import PROVIDER_KEY_ENV, find_config_path
from core.problems.importer import IMPORT_SUFFIXES, ImportFileError, parse_file, read_records
from core.problems.models import Problem
from core.problems.selection import ProblemSelection
from core.problems.taxonomy import IMAGE_TYPES, SUBJECTS, Subject
from core.workspace import PROJECT_ROOT, safe_name
from dashboard.data.access import cache_key, open_store, store, workspace

EXAMPLE_CONFIG = PROJECT_ROOT / "scigen.example.toml"
UPLOADS_FOLDER = "uploads"
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
MAX_IMAGE_PIXELS = 40_000_000
PICK_LIMIT = 300
# LiteLLM model names of text-to-image models (a profile using one is offered as a pixel generator).
PIXEL_MODEL_HINTS = ("dall-e", "gpt-image", "imagen", "flux", "stable-diffusion", "sdxl")

HOW_TO_ADD_A_MODEL = f"""\
**No model is configured**, so only the offline generators are offered below.
To draw with ImgCoder (a model writes a plan and plotting code), add a model in one of two ways:

1. **A hosted API**: set its key in the environment before starting the dashboard, e.g.
   `export OPENAI_API_KEY=...` (or `GEMINI_API_KEY`, `ANTHROPIC_API_KEY`), then type a LiteLLM
   model string such as `openai/gpt-4o-mini` below.
2. **A profile in `scigen.toml`**: copy `{EXAMPLE_CONFIG.name}` to `scigen.toml` (project folder or
   `$SCIGEN_HOME`) and keep a profile, e.g. a local OpenAI-compatible server (vLLM, Ollama) with
   `api_base = "http://127.0.0.1:8000/v1"`. Keys never go in the file: a profile names the
   environment variable that holds its key (`api_key_env`).

Check a profile with `scigen models check NAME`, then reload this page.
"""


class WorkbenchError(ValueError):
    """Something the user can fix (a bad upload, an unknown profile); the message says what."""


# ---- models and generators ------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSetup:
    """What models this dashboard can call, without any secret."""

    profiles: dict[str, str]
    """Usable profile name -> its LiteLLM model string."""
    unusable: dict[str, str]
    """Profile name -> why it cannot be used now (key not set, broken entry)."""
    env_keys: tuple[str, ...]
    """Provider key variables that are set (their names only)."""
    config_path: str | None
    error: str | None = None
    """The config file could not be read (its message)."""

    @property
    def configured(self) -> bool:
        return bool(self.profiles or self.env_keys)


def model_setup() -> ModelSetup:
    """Profiles from ``scigen.toml`` (the usual search) and which provider keys are set.
    Not cached: adding a profile or a key shows on the next rerun."""
    home = str(workspace().home)
    env_keys = tuple(
        sorted({name for names in PROVIDER_KEY_ENV.values() for name in names if os.environ.get(name)})
    )
    try:
        config = load_profiles(home=home)
    except ProfileError as exc:
        return ModelSetup({}, {}, env_keys, None, error=str(exc))
    usable: dict[str, str] = {}
    unusable = dict(config.errors)
    for name, profile in sorted(config.profiles.items()):
        status = profile.key_status()
        if status.is_set or not status.needed:
            usable[name] = profile.model
        else:
            unusable[name] = f"needs ${status.env_var} in the environment"
    path = config.path or find_config_path(home)
    return ModelSetup(usable, unusable, env_keys, str(path) if path else None)


@dataclass(frozen=True)
class GeneratorChoice:
    """One way to draw offered by the page."""

    key: str
    label: str
    generator: str
    model: str | None = None
    backend: str | None = None
    """The drawing backend picked for a generator that takes one (None: its default, Matplotlib)."""

    @property
    def offline(self) -> bool:
        return self.model is None

    @property
    def takes_backend(self) -> bool:
        generator = registered_generators().get(self.generator)
        return generator is not None and generator.takes_backend

    def spec(self) -> GeneratorSpec:
        params = {"model": self.model} if self.model else {}
        if self.backend:
            params["backend"] = self.backend
        return GeneratorSpec.create(self.generator, **params)


@dataclass(frozen=True)
class BackendOption:
    """A drawing backend as the pickers offer it."""

    name: str
    label: str
    unavailable: str | None = None
    """The one line saying why it cannot draw here (e.g. TeX is not installed); None when it can."""


def backend_options() -> list[BackendOption]:
    """Every registered drawing backend, Matplotlib (the default) first. Not cached: installing TeX
    shows on the next rerun."""
    context = GenerationContext()
    options = []
    for name in sorted(backend_names(), key=lambda n: (n != DEFAULT_BACKEND, n)):
        backend = get_backend(name)
        missing = backend.unavailable(context)
        options.append(BackendOption(name, backend.label, missing[1] if missing else None))
    return options


def with_backend(choice: GeneratorChoice, backend: str) -> GeneratorChoice:
    """``choice`` drawing in ``backend``; the default keeps the choice as it was (its key, so a
    figure drawn before stays on the page)."""
    if backend == DEFAULT_BACKEND or not choice.takes_backend:
        return choice
    return replace(
        choice, key=f"{choice.key}@{backend}", label=f"{choice.label} · {backend_label(backend)}", backend=backend
    )


def _is_pixel_model(model: str) -> bool:
    return any(hint in model.lower() for hint in PIXEL_MODEL_HINTS)


def generator_title(cls: type[Generator]) -> str:
    """A generator's label as pickers show it (its name when it declares none)."""
    return cls.label or cls.name


def _short_title(cls: type[Generator]) -> str:
    """``ImgCoder`` of ``ImgCoder (plan -> code, ...)``: the label's head, put before a model name."""
    return generator_title(cls).split(" (", 1)[0]


def offline_choices(problem: Problem | None = None) -> list[GeneratorChoice]:
    """Every registered generator that needs no model, in registration order; given a problem,
    only those that can draw it (``Generator.available_for``: e.g. reference needs a gold script)."""
    return [
        GeneratorChoice(name, generator_title(cls), name)
        for name, cls in registered_generators().items()
        if not cls.needs_model and cls.kind != "imported" and (problem is None or cls.available_for(problem))
    ]


def model_choices(name: str, model: str) -> list[GeneratorChoice]:
    """The ways to draw with one model (a profile ``name`` for ``model``; a typed model string has
    name == model): each registered model generator of the model's kind (text-to-image models ->
    pixel generators, other models -> code generators such as ImgCoder)."""
    kind = "pixel" if _is_pixel_model(model) else "code"
    shown = name if name == model else f"{name} ({model})"
    return [
        GeneratorChoice(f"{generator}:{name}", f"{_short_title(cls)} · {shown}", generator, name)
        for generator, cls in registered_generators().items()
        if cls.needs_model and cls.kind == kind
    ]


def generator_choices(
    setup: ModelSetup, problem: Problem | None = None, raw_model: str | None = None
) -> list[GeneratorChoice]:
    """Model generators first (per usable profile, then for a typed LiteLLM model string), then
    the offline ones that can draw ``problem`` (all of them when no problem is given)."""
    choices = [choice for name, model in setup.profiles.items() for choice in model_choices(name, model)]
    raw = (raw_model or "").strip()
    if raw and raw not in setup.profiles:
        choices += model_choices(raw, raw)
    return choices + offline_choices(problem)


def answerer_choices(setup: ModelSetup, raw_model: str | None = None) -> list[str]:
    """Models that can answer quizzes or judge: profiles, then a typed model string."""
    models = [name for name, model in setup.profiles.items() if not _is_pixel_model(model)]
    raw = (raw_model or "").strip()
    if raw and raw not in models and not _is_pixel_model(raw):
        models.append(raw)
    return models


# ---- problems --------------------------------------------------------------------------------


def subjects() -> list[str]:
    return list(SUBJECTS)


def image_types(subject: str) -> list[str]:
    return list(IMAGE_TYPES[Subject(subject)])


def pasted_problem(question: str, subject: str, image_type: str | None) -> Problem:
    """The pasted text as a custom problem; WorkbenchError with the reason when it cannot be one."""
    try:
        return custom_problem(question, subject, image_type=image_type)
    except ValueError as exc:
        raise WorkbenchError(str(exc).splitlines()[0]) from None


def problem_options(selection: ProblemSelection = ProblemSelection()) -> list[str]:
    """Uids of stored problems the selection's filters (subject, image type, source, search) keep,
    to pick from: at most PICK_LIMIT (or the selection's limit), in store order."""
    return _problem_options(*cache_key(), selection)


@st.cache_data(show_spinner=False, max_entries=64)
def _problem_options(home: str, version: str, selection: ProblemSelection) -> list[str]:
    limit = min(selection.limit or PICK_LIMIT, PICK_LIMIT)
    frame = open_store(home).list_problems(**selection.filters, limit=limit)
    return frame["uid"].tolist() if "uid" in frame else []


def stored_problem(uid: str | None) -> Problem | None:
    return _stored_problem(*cache_key(), uid) if uid else None


@st.cache_data(show_spinner=False, max_entries=64)
def _stored_problem(home: str, version: str, uid: str) -> Problem | None:
    return open_store(home).get_problem(uid)


# ---- uploads ---------------------------------------------------------------------------------


SERVER_PATH_FIELDS = ("reference_script", "reference_image")


def _refuse_server_paths(name: str, records) -> None:
    """An upload must not make the server read its own files: path fields are refused."""
    for index, _line, raw in records:
        if isinstance(raw, dict):
            for field_name in SERVER_PATH_FIELDS:
                if raw.get(field_name) is not None:
                    raise WorkbenchError(
                        f"{name}: item {index} (id {raw.get('id')!r}): field {field_name!r} names a file on the "
                        "server, which an upload cannot use; give the script inline as 'reference_code', or "
                        "upload the reference figure with a pasted problem"
                    )


def read_uploaded_problems(name: str, data: bytes) -> list[Problem]:
    """Problems of an uploaded SciGenBench-style JSON array or JSONL file, as ``custom`` problems
    (an upload never overwrites a benchmark problem). WorkbenchError names the file, item and
    field of what is wrong, or says the file is not JSON/JSONL at all."""
    suffix = Path(name).suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        raise WorkbenchError(f"{name}: not a problem file; upload a .json array or a .jsonl file of problems")
    with tempfile.TemporaryDirectory(prefix="scigen-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            _refuse_server_paths(name, read_records(path)[1])
            result = parse_file(path, source="custom")
        except ImportFileError as exc:
            errors = [str(replace(error, file=name)) for error in exc.errors[:5]]
            more = f" (and {len(exc.errors) - 5} more)" if len(exc.errors) > 5 else ""
            raise WorkbenchError("; ".join(errors) + more) from None
    if not result.problems:
        raise WorkbenchError(f"{name}: holds no problems")
    return result.problems


def read_uploaded_image(name: str, data: bytes) -> bytes:
    """An uploaded figure checked with Pillow and returned as PNG bytes; WorkbenchError when the
    file is not an image (whatever its name says), is truncated or is too large."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in IMAGE_FORMATS:
                    raise WorkbenchError(
                        f"{name}: a {image.format} image; upload PNG, JPEG, WEBP, GIF or BMP"
                    )
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise WorkbenchError(f"{name}: {image.width}x{image.height} pixels is too large")
                image.load()
                converted = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    except WorkbenchError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise WorkbenchError(f"{name}: not an image Pillow can read (PNG, JPEG, WEBP, GIF, BMP)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise WorkbenchError(f"{name}: a broken or truncated image ({exc})") from None
    out = io.BytesIO()
    converted.save(out, format="PNG")
    return out.getvalue()


def save_problem(problem: Problem, reference_png: bytes | None = None) -> str:
    """Store a pasted or uploaded problem (with the uploaded reference figure, kept under
    ``<home>/uploads/``); returns its uid. Saving the same problem again updates it."""
    if reference_png is not None:
        folder = workspace().home / UPLOADS_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{safe_name(problem.uid)}.png"
        path.write_bytes(reference_png)
        problem = problem.model_copy(update={"reference_image": str(path)})
    store().upsert_problems([problem])
    return problem.uid


# ---- one live figure ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveFigure:
    """A figure made on the page, with what the page shows of it."""

    problem_uid: str
    choice: GeneratorChoice
    status: str
    png: bytes | None
    plan: str | None
    code: str | None
    error: str | None
    attempts: pd.DataFrame
    notes: list[str]
    steps: list[GenerationStep]
    seconds: float
    cost_usd: float | None
    file_stem: str = "figure"
    answers: pd.DataFrame | None = None
    judge: pd.DataFrame | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def code_extension(self) -> str:
        """Of the drawn code's download: the backend's (``.tex`` for TikZ), else ``.py``."""
        if not self.choice.takes_backend:
            return ".py"
        return get_backend(self.choice.backend or DEFAULT_BACKEND).file_extension


def attempts_table(result: FigureResult) -> pd.DataFrame:
    """One row per attempt: what it was, how it ended, what it cost."""
    rows = [
        {
            "Attempt": attempt.index + 1,
            "Purpose": attempt.purpose,
            "Status": attempt.status,
            "Error": f"{attempt.error_class}: {attempt.error_message or ''}".rstrip(": ")
            if attempt.error_class
            else "",
            "Render s": attempt.render_s,
            "Model calls": len(attempt.ledger),
            "Cost USD": sum(entry.cost_usd or 0.0 for entry in attempt.ledger) if attempt.ledger else None,
        }
        for attempt in result.attempts
    ]
    return pd.DataFrame(
        rows, columns=["Attempt", "Purpose", "Status", "Error", "Render s", "Model calls", "Cost USD"]
    )


def live_figure(
    problem: Problem,
    choice: GeneratorChoice,
    result: FigureResult,
    steps: Sequence[GenerationStep],
    seconds: float,
) -> LiveFigure:
    costs = [entry.cost_usd for entry in result.ledger if entry.cost_usd is not None]
    error = (
        f"{result.error_class}: {result.error_message or ''}".rstrip(": ") if result.status != "ok" else None
    )
    return LiveFigure(
        problem_uid=problem.uid,
        choice=choice,
        status=result.status,
        png=result.image,
        plan=result.plan,
        code=result.code,
        error=error,
        attempts=attempts_table(result),
        notes=list(result.notes),
        steps=list(steps),
        seconds=seconds,
        cost_usd=sum(costs) if costs else None,
        file_stem=safe_name(f"{problem.uid}-{choice.generator}"),
    )


def generate_live(
    problem: Problem, choice: GeneratorChoice, *, on_step: Callable[[GenerationStep], None] | None = None
) -> LiveFigure:
    """Draw ``problem`` with ``choice`` now, reporting each step to ``on_step``; WorkbenchError
    for a generator that cannot start (unknown profile, bad parameter)."""
    steps: list[GenerationStep] = []

    def record(step: GenerationStep) -> None:
        steps.append(step)
        if on_step is not None:
            on_step(step)

    started = time.monotonic()
    try:
        result = generate_one(problem, choice.spec(), workspace=workspace(), on_step=record)
    except JobError as exc:
        raise WorkbenchError(str(exc)) from None
    return live_figure(problem, choice, result, steps, time.monotonic() - started)


# ---- evaluating it -----------------------------------------------------------------------------


def answers_table(problem: Problem, answers: Sequence) -> pd.DataFrame:
    """One row per quiz: the question, the right option, what the answerer chose, ✓/✗, its reply."""
    rows = []
    for answer in answers:
        quiz = problem.quizzes[answer.quiz_index]
        chosen = answer.parsed_key or ("(abstained)" if answer.abstained else "(no answer)")
        rows.append(
            {
                "Quiz": answer.quiz_index + 1,
                "Question": quiz.question,
                "Correct": f"{quiz.correct_option}. {quiz.options[quiz.correct_option]}",
                "Answer": chosen if not answer.parsed_key else f"{chosen}. {quiz.options.get(chosen, '')}",
                "Right": "✓" if answer.correct else "✗",
                "Reply": answer.raw_reply or answer.error_class or "",
            }
        )
    return pd.DataFrame(rows, columns=["Quiz", "Question", "Correct", "Answer", "Right", "Reply"])


def answer_quizzes(problem: Problem, live: LiveFigure, answerer: str) -> pd.DataFrame:
    """The problem's quizzes answered from the live figure alone: ``ocr`` offline, else a vision
    model (vqa, options shuffled). WorkbenchError when there is no figure or no quiz."""
    if live.png is None:
        raise WorkbenchError("there is no figure to evaluate: it failed to render")
    if not problem.quizzes:
        raise WorkbenchError(
            "this problem has no quizzes: write them with a model first, or pick a stored problem"
        )
    spec = EvaluatorSpec.create("ocr") if answerer == "ocr" else EvaluatorSpec.create("vqa", model=answerer)
    try:
        outputs = evaluate_one(problem, live.png, [spec], workspace=workspace())
    except (JobError, ProfileError) as exc:
        raise WorkbenchError(str(exc)) from None
    return answers_table(problem, outputs[0].quiz_answers)


def judge_figure(problem: Problem, live: LiveFigure, judge: str) -> pd.DataFrame:
    """The 5-dimension judge on the live figure: Dimension, Score (0-2), Rationale."""
    if live.png is None:
        raise WorkbenchError("there is no figure to judge: it failed to render")
    try:
        outputs = evaluate_one(
            problem,
            live.png,
            [EvaluatorSpec.create("judge", judges=[judge])],
            workspace=workspace(),
            code=live.code,
        )
    except (JobError, ProfileError) as exc:
        raise WorkbenchError(str(exc)) from None
    labels = dict(JUDGE_DIMENSIONS)
    rows = [
        {
            "Dimension": labels.get(score.dimension, score.dimension),
            "Score": score.score,
            "Rationale": score.rationale or score.error_class or "",
        }
        for score in outputs[0].judge_scores
    ]
    return pd.DataFrame(rows, columns=["Dimension", "Score", "Rationale"])


def quizzes_for(problem: Problem, model: str) -> Problem:
    """The problem with quizzes (and elements) written by ``model``; WorkbenchError when the
    model gave no valid set."""
    try:
        updated, result = write_quizzes(problem, model, workspace=workspace())
    except (JobError, ProfileError) as exc:
        raise WorkbenchError(str(exc)) from None
    if result.status != "ok":
        reason = result.error_class or "no valid quizzes"
        detail = f" ({result.issues[-1]})" if result.issues else ""
        raise WorkbenchError(f"{model} wrote no usable quizzes: {reason}{detail}")
    return updated
