"""Helpers for evaluation tests: one generated workspace per test process (the bundled sample's
``reference`` and ``text-card`` runs over a few problems, plus a run with failed figures), copied
per test; and a scripted loopback vision model that answers quizzes and judges figures.
"""

from __future__ import annotations

import atexit
import functools
import json
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.evaluation.prompts import ANSWER_GRADER, JUDGE, JUDGE_JSON_KEYS, MMQ_ANSWER, MMQ_GRADER, VQA_ANSWER
from core.generation.base import FigureResult, GeneratorSpec
from core.jobs import ProblemSelection, create_run, generate, prepare_spec, save_results
from core.models import ModelClient, ProfileConfig, ResponseCache
from core.models.fake_server import FakeOpenAIServer, ReceivedRequest, ScriptedReply
from core.models.testing import FAST_RETRY, profile_for
from core.problems.models import Problem
from core.problems.sample import load_sample
from core.store import Store
from core.workspace import Workspace

EVAL_IDS: tuple[str, ...] = (
    "sample-math-plane-geometric-1",
    "sample-physics-circuit-1",
    "sample-chemistry-spectra-1",
    "sample-biology-genetics-2",
    "sample-universal-plot-chart-1",
    "sample-physics-mechanical-1",
)
EVAL_UIDS: tuple[str, ...] = tuple(f"custom:{pid}" for pid in EVAL_IDS)
BROKEN_RUN = "broken"
BROKEN_FAILED: tuple[str, ...] = EVAL_UIDS[:2]
"""Problems whose figure failed to render in the 'broken' run (the others reuse the gold figures)."""


def eval_problems() -> list[Problem]:
    wanted = set(EVAL_UIDS)
    by_uid = {problem.uid: problem for problem in load_sample() if problem.uid in wanted}
    return [by_uid[uid] for uid in EVAL_UIDS]


@functools.cache
def base_home() -> Path:
    """A workspace (built once per process) holding the selected sample problems, the runs
    'reference' and 'text-card' over them, their gold figures, and the run 'broken'."""
    from core.evaluation.references import ensure_gold_figures
    from core.sandbox import RenderPool

    root = Path(tempfile.mkdtemp(prefix="scigen-evalkit-"))
    atexit.register(shutil.rmtree, root, True)
    workspace = Workspace(root / "home").ensure()
    store = Store.open(workspace)
    problems = eval_problems()
    store.upsert_problems(problems)
    with RenderPool() as pool:
        for name in ("reference", "text-card"):
            spec = prepare_spec(GeneratorSpec.create(name), profiles=None, home=None)
            summary = generate(
                store, workspace, run_name=name, spec=spec, selection=ProblemSelection(), render_pool=pool
            )
            assert summary.state == "finished" and summary.ok == len(problems), summary
        gold = ensure_gold_figures(problems, workspace, pool)
        assert not gold.failed, gold.failed
    run_id = create_run(
        store, name=BROKEN_RUN, spec=GeneratorSpec.create("imported", label="broken"),
        generator_kind="code", selection=ProblemSelection().to_dict(),
    )
    results = [
        FigureResult(problem_uid=p.uid, status="failed", error_class="runtime_error", error_message="drawn wrong")
        if p.uid in BROKEN_FAILED
        else FigureResult(problem_uid=p.uid, status="ok", image=workspace.gold_figure_path(p.uid).read_bytes())
        for p in problems
    ]
    save_results(store, workspace, run_id, BROKEN_RUN, results)
    return workspace.home


def copy_home(destination: Path) -> Workspace:
    """A private copy of the generated workspace (the store holds no open connection)."""
    shutil.copytree(base_home(), destination)
    return Workspace(destination)


# ---- the scripted vision model -------------------------------------------------------------------

_OPTION = re.compile(r"^([A-Z])\. (.*)$", re.MULTILINE)


def _between(text: str, start: str, end: str) -> str | None:
    if start not in text:
        return None
    rest = text.split(start, 1)[1]
    return rest.split(end, 1)[0] if end in rest else rest


class VisionScript:
    """Answers like a vision model would, decided per problem:

    * quizzes (vqa): the correct option's letter, except problems in ``wrong`` (a wrong letter),
      ``free_text`` (a long sentence naming the correct option's text: the deterministic parser
      gives up and the grader maps it) and ``garbage`` (a shrug the grader maps to NONE);
    * the grader: the letter of the one option whose text the reply contains, else NONE;
    * the judge: JSON scores from ``judge_scores(judge, index)``; for (judge, uid) in
      ``unparsable_first`` the first reply has no JSON, the retry in the same conversation is valid;
    * mmq: "Final answer: 1" graded CORRECT.

    ``prompt_tokens`` makes every reply report that many prompt tokens (calls then cost what a
    budget test needs).
    """

    def __init__(
        self,
        problems: Iterable[Problem],
        *,
        wrong: Iterable[str] = (),
        free_text: Iterable[str] = (),
        garbage: Iterable[str] = (),
        unparsable_first: Iterable[tuple[str, str]] = (),
        disagree: Iterable[str] = (),
        prompt_tokens: int | None = None,
    ) -> None:
        self.problems = list(problems)
        self.index = {problem.uid: position for position, problem in enumerate(self.problems)}
        self.quizzes: dict[tuple[str, tuple[str, ...]], tuple[str, int]] = {}
        for problem in self.problems:
            for number, quiz in enumerate(problem.quizzes):
                self.quizzes[(quiz.question, tuple(sorted(quiz.options.values())))] = (problem.uid, number)
        self.by_question = {problem.question: problem.uid for problem in self.problems}
        self.wrong, self.free_text, self.garbage = set(wrong), set(free_text), set(garbage)
        self.unparsable_first = set(unparsable_first)
        self.disagree = set(disagree)
        self.judged: list[tuple[str, str, bool]] = []
        self.prompt_tokens = prompt_tokens

    def judge_scores(self, judge: str, uid: str) -> dict[str, int]:
        position = self.index[uid]
        scores = {key: (position + offset) % 3 for offset, key in enumerate(JUDGE_JSON_KEYS.values())}
        if judge.endswith("b") and uid in self.disagree:
            scores = {key: 2 - value for key, value in scores.items()}
        return scores

    def __call__(self, request: ReceivedRequest) -> str | ScriptedReply:
        reply = self._reply(request)
        return reply if self.prompt_tokens is None else ScriptedReply(reply, prompt_tokens=self.prompt_tokens)

    def _reply(self, request: ReceivedRequest) -> str:
        text = "\n".join(request.texts)
        if ANSWER_GRADER.system in text:
            reply = _between(text, "<<<\n", "\n>>>") or ""
            options = _OPTION.findall(_between(text, "Options:\n", "\n\nReply to map") or "")
            found = [label for label, option in options if option and option in reply]
            return found[0] if len(found) == 1 else "NONE"
        if VQA_ANSWER.system in text:
            return self._answer(text)
        if JUDGE.system in text:
            return self._judge(request, text)
        if MMQ_GRADER.system in text:
            return '{"verdict": "CORRECT", "reason": "same value"}'
        if MMQ_ANSWER.system in text:
            return "Reading the figure... Final answer: 1"
        raise AssertionError(f"unexpected request: {text[:200]}")

    def _answer(self, text: str) -> str:
        question = _between(text, "Question: ", "\nOptions:") or ""
        options = _OPTION.findall(_between(text, "Options:\n", "\n\nLook at the figure") or "")
        uid, number = self.quizzes[(question, tuple(sorted(option for _, option in options)))]
        problem = self.problems[self.index[uid]]
        correct_text = problem.quizzes[number].options[problem.quizzes[number].correct_option]
        correct = next(label for label, option in options if option == correct_text)
        if uid in self.wrong:
            return next(label for label, _ in options if label != correct)
        if uid in self.free_text:
            return (
                f"Looking closely at every label, I am fairly confident the figure shows {correct_text} "
                "although some of the smaller annotations near the edges are hard to make out."
            )
        if uid in self.garbage:
            return "¯\\_(ツ)_/¯ cannot say"
        return correct

    def _judge(self, request: ReceivedRequest, text: str) -> str:
        question = _between(text, "Problem:\n", "\n\nGrade the figure") or ""
        uid = self.by_question[question]
        judge = request.model
        retry = "could not be read" in text
        self.judged.append((judge, uid, retry))
        if (judge, uid) in self.unparsable_first and not retry:
            return "This figure is nice overall. I would give it good marks."
        reasoning = "\n".join(f"{key}: looks fine." for key in JUDGE_JSON_KEYS.values())
        return f"{reasoning}\n```json\n{json.dumps(self.judge_scores(judge, uid))}\n```"


def vision_config(server: FakeOpenAIServer, *names: str, **fields: Any) -> ProfileConfig:
    """Priced profiles (so budgets work) calling ``server`` as models ``openai/<name>``."""
    fields.setdefault("input_cost_per_mtok", 1.0)
    fields.setdefault("output_cost_per_mtok", 2.0)
    fields.setdefault("max_tokens", 200)
    fields.setdefault("concurrency", 4)
    fields.setdefault("max_retries", 1)
    return ProfileConfig(
        None, {name: profile_for(server, model=f"openai/{name}", name=name, **fields) for name in names}, {}, {}
    )


def fast_client(config: ProfileConfig, workspace: Workspace) -> ModelClient:
    return ModelClient(cache=ResponseCache(workspace.cache_dir / "models"), retry=FAST_RETRY, config=config)
