"""``scigen quizzes generate`` (quizzes for new problems), ``scigen quizzes audit`` (blind
filtration) and ``scigen quizzes flagged`` (the quizzes an audit found blind-solvable)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from core.cli import CliError

if TYPE_CHECKING:
    from core.evaluation.quizgen import QuizAudit, QuizGenResult
    from core.models import ModelClient
    from core.problems import Problem
    from core.store import Store

DEFAULT_QUIZGEN_PROFILE = "quizgen"
FORMATS = ("table", "json")
BATCH = 32  # results stored per transaction: an interrupted command keeps what it finished
T = TypeVar("T")
R = TypeVar("R")


def _add_selection(parser: argparse.ArgumentParser) -> None:
    select = parser.add_argument_group("problem selection (filters combine)")
    select.add_argument("--subject", default=None, help="one subject, e.g. Physics")
    select.add_argument("--type", dest="image_type", default=None, help="an image type, e.g. 'Circuit'")
    select.add_argument("--source", default=None, help="scigen, seephys or custom")
    select.add_argument("--ids", default=None, help="comma-separated problem uids (source:id) or ids")
    select.add_argument(
        "--limit", type=int, default=None, help="at most N problems (after the other filters)"
    )


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-cost",
        type=float,
        default=None,
        metavar="USD",
        help="refuse calls that could take spend past USD",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="call the model even when the same request is cached"
    )
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "quizzes",
        help="write quizzes for new problems; audit quizzes for blind solvability",
        description="Visual quizzes check a figure from the image alone. 'generate' has a model write "
        "them for problems that have none; 'audit' asks each quiz without any figure to find "
        "quizzes that can be answered blind; 'flagged' lists those.",
    )
    parser.set_defaults(handler=lambda args: _usage(parser))
    verbs = parser.add_subparsers(dest="quizzes_verb", metavar="ACTION")

    gen = verbs.add_parser(
        "generate",
        help="have a model write 3-5 quizzes (and visual elements) for problems without quizzes",
        description="A model extracts the atomic visual elements of each selected problem and writes "
        "3-5 multiple-choice quizzes (4 options, hard distractors, an evidence snippet copied from the "
        "problem text). Invalid quizzes are reported and the model is asked once more. Only problems "
        "without quizzes are touched unless --overwrite (which, without --source or --ids, touches "
        "custom problems only, never imported benchmark quizzes).",
    )
    gen.add_argument(
        "--model",
        default=DEFAULT_QUIZGEN_PROFILE,
        help=f"profile name or LiteLLM model string (default: the profile '{DEFAULT_QUIZGEN_PROFILE}')",
    )
    gen.add_argument(
        "--overwrite", action="store_true", help="replace existing quizzes of the selected problems"
    )
    _add_selection(gen)
    _add_model_options(gen)
    gen.set_defaults(handler=run_generate)

    audit = verbs.add_parser(
        "audit",
        help="ask every quiz WITHOUT figure or problem text; flag those answered right every time",
        description="Blind filtration: each selected quiz is asked with no image and no problem text, "
        "once per shuffle with the correct option at a different position each time. A quiz answered "
        "correctly in every shuffle is blind-solvable and flagged; leaderboards can exclude flagged "
        "quizzes. Quizzes already audited by the model are skipped unless --redo.",
    )
    audit.add_argument("--model", required=True, help="profile name or LiteLLM model string")
    audit.add_argument(
        "--shuffles", type=int, default=3, help="asks per quiz, each with another option order (default 3)"
    )
    audit.add_argument("--seed", type=int, default=0, help="seed of the option shuffles (default 0)")
    audit.add_argument("--grader", default=None, help="model reading free-text replies (default: --model)")
    audit.add_argument(
        "--redo",
        action="store_true",
        help="ask again quizzes already audited by this model (cached answers are reused unless --no-cache)",
    )
    _add_selection(audit)
    _add_model_options(audit)
    audit.set_defaults(handler=run_audit)

    flagged = verbs.add_parser(
        "flagged",
        help="list quizzes flagged blind-solvable",
        description="List the quizzes a current audit flagged as blind-solvable (an audit of a quiz "
        "that has changed since no longer counts).",
    )
    flagged.add_argument("--model", default=None, help="only audits by this model")
    flagged.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    flagged.set_defaults(handler=run_flagged)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


# ---- shared plumbing --------------------------------------------------------------------------


def _open_store(args: argparse.Namespace) -> Store:
    from core.store import Store
    from core.workspace import Workspace

    return Store.open(Workspace.from_env(getattr(args, "home", None)))


def _select(args: argparse.Namespace, store: Store) -> list[Problem]:
    """The selected problems (limit applied by the caller, after its own filter)."""
    from core.cli.problems_cmd import resolve_image_type, resolve_subject
    from core.jobs import JobError, ProblemSelection, selected_problems
    from core.problems.models import SOURCES

    if args.limit is not None and args.limit < 1:
        raise CliError("--limit must be a positive number")
    if args.source is not None and args.source not in SOURCES:
        raise CliError(f"unknown source {args.source!r}; expected one of: {', '.join(SOURCES)}")
    ids = tuple(part.strip() for part in (args.ids or "").split(",") if part.strip())
    if args.ids is not None and not ids:
        raise CliError("--ids is empty; give comma-separated problem uids or ids")
    selection = ProblemSelection(
        subject=resolve_subject(args.subject),
        image_type=resolve_image_type(args.image_type),
        source=args.source,
        ids=ids,
    )
    try:
        return selected_problems(store, selection)
    except JobError as exc:
        raise CliError(str(exc)) from None


def _client(args: argparse.Namespace, *models: str) -> ModelClient:
    from core.models import BudgetGuard, ModelClient, ProfileError

    if args.max_cost is not None and args.max_cost < 0:
        raise CliError("--max-cost must be >= 0")
    budget = BudgetGuard(args.max_cost) if args.max_cost is not None else None
    client = ModelClient(use_cache=not args.no_cache, budget=budget, home=args.home)
    for model in models:
        try:
            client.resolve(model)
        except ProfileError as exc:
            if model == DEFAULT_QUIZGEN_PROFILE and getattr(args, "quizzes_verb", "") == "generate":
                raise CliError(
                    f"no --model given and no profile named {DEFAULT_QUIZGEN_PROFILE!r} in scigen.toml; "
                    "give --model PROFILE_OR_MODEL"
                ) from None
            raise CliError(str(exc)) from None
    return client


async def _in_batches(
    items: Sequence[T],
    work: Callable[[T], Awaitable[R]],
    save: Callable[[list[R]], None],
    progress: Callable[[int, int], None],
) -> list[R]:
    """Run ``work`` on every item concurrently (the client limits calls per profile), storing
    results batch by batch so an interrupted command keeps what it finished."""
    results: list[R] = []
    for start in range(0, len(items), BATCH):
        batch = list(await asyncio.gather(*(work(item) for item in items[start : start + BATCH])))
        save(batch)
        results.extend(batch)
        progress(len(results), len(items))
    return results


def _progress(label: str, enabled: bool) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        if enabled and total > BATCH:
            print(f"{label}: {done}/{total}", file=sys.stderr)

    return report


def _money(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.4f}"


def _total_cost(values: Sequence[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return sum(known) if known else None


# ---- generate ---------------------------------------------------------------------------------


def _targets(args: argparse.Namespace, problems: list[Problem]) -> tuple[list[Problem], list[Problem]]:
    """(to generate, skipped because they have quizzes)."""
    if args.overwrite:
        if args.source is None and args.ids is None:
            problems = [problem for problem in problems if problem.source == "custom"]
        targets, skipped = problems, []
    else:
        targets = [problem for problem in problems if not problem.quizzes]
        skipped = [problem for problem in problems if problem.quizzes]
    if args.limit is not None:
        targets = targets[: args.limit]
    return targets, skipped


def _generation_row(result: QuizGenResult):  # -> QuizGenerationRow
    from core.evaluation.quizgen import GENERATION_PROMPTS
    from core.store.quiz_audits import QuizGenerationRow

    return QuizGenerationRow(
        problem_uid=result.problem_uid,
        model=result.model,
        prompt=GENERATION_PROMPTS[0] if result.attempts < 2 else ",".join(GENERATION_PROMPTS),
        n_quizzes=len(result.quizzes),
        n_elements=len(result.elements),
        attempts=max(1, result.attempts),
        issues=result.issues,
        cost_usd=result.cost_usd,
    )


def run_generate(args: argparse.Namespace) -> int:
    from core.evaluation.quizgen import generate_quizzes

    store = _open_store(args)
    targets, skipped = _targets(args, _select(args, store))
    if not targets:
        message = "no selected problem needs quizzes"
        if skipped:
            message += f" ({len(skipped)} already have quizzes; --overwrite replaces them)"
        print(message)
        return 0
    client = _client(args, args.model)
    by_uid = {problem.uid: problem for problem in targets}

    def save(batch: list[QuizGenResult]) -> None:
        updated = []
        for result in batch:
            if result.status != "ok":
                continue
            problem = by_uid[result.problem_uid]
            changes: dict[str, Any] = {"quizzes": result.quizzes}
            if args.overwrite or not problem.elements:
                changes["elements"] = result.elements
            updated.append(problem.model_copy(update=changes))
        if updated:
            store.upsert_problems(updated)
        store.record_quiz_generations(_generation_row(result) for result in batch if result.status == "ok")

    async def work(problem: Problem) -> QuizGenResult:
        return await generate_quizzes(problem, client, args.model, use_cache=not args.no_cache)

    results = asyncio.run(
        _in_batches(targets, work, save, _progress("quizzes generate", args.format == "table"))
    )
    ok = [result for result in results if result.status == "ok"]
    cost = _total_cost([result.cost_usd for result in results])
    if args.format == "json":
        payload = {
            "model": args.model,
            "results": [
                {
                    "problem_uid": result.problem_uid,
                    "status": result.status,
                    "n_quizzes": len(result.quizzes),
                    "n_elements": len(result.elements),
                    "attempts": result.attempts,
                    "error_class": result.error_class,
                    "issues": result.issues,
                    "cost_usd": result.cost_usd,
                }
                for result in results
            ],
            "skipped": [problem.uid for problem in skipped],
            "generated": len(ok),
            "failed": len(results) - len(ok),
            "cost_usd": cost,
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for result in results:
            if result.status == "ok":
                print(f"{result.problem_uid}: {len(result.quizzes)} quizzes, {len(result.elements)} elements")
            else:
                print(f"{result.problem_uid}: FAILED ({result.error_class})")
            for issue in result.issues:
                print(f"    {issue}")
        line = f"generated quizzes for {len(ok)} of {len(results)} problems with {args.model}"
        if len(results) > len(ok):
            line += f" ({len(results) - len(ok)} failed)"
        if skipped:
            line += f"; skipped {len(skipped)} that already have quizzes (--overwrite replaces them)"
        print(f"{line}; cost {_money(cost)}")
    return 1 if results and not ok else 0


# ---- audit ------------------------------------------------------------------------------------


def _audit_row(audit: QuizAudit):  # -> QuizAuditRow
    from core.evaluation.quizgen import AUDIT_PROMPTS
    from core.store.quiz_audits import QuizAuditRow, options_json

    return QuizAuditRow(
        problem_uid=audit.problem_uid,
        quiz_index=audit.quiz_index,
        model=audit.model,
        question=audit.quiz.question,
        options_json=options_json(audit.quiz.options),
        correct_option=audit.quiz.correct_option,
        shuffles=audit.shuffles,
        n_correct=audit.n_correct,
        n_errors=audit.n_errors,
        flagged=audit.flagged,
        seeds=audit.seeds,
        answers_json=json.dumps([ask.model_dump() for ask in audit.asks], ensure_ascii=False),
        prompt=",".join(AUDIT_PROMPTS),
        cost_usd=audit.cost_usd,
    )


def _already_audited(store: Store, model: str, uids: list[str], shuffles: int) -> set[tuple[str, int]]:
    """Quizzes with a current, complete audit by ``model`` of at least ``shuffles`` asks."""
    frame = store.quiz_audits(model=model, problem_uids=uids)
    done = frame[(frame["n_errors"] == 0) & (frame["shuffles"] >= shuffles)]
    return {
        (str(uid), int(index)) for uid, index in zip(done["problem_uid"], done["quiz_index"], strict=True)
    }


def run_audit(args: argparse.Namespace) -> int:
    from core.evaluation.quizgen import audit_quiz
    from core.problems import Quiz

    if args.shuffles < 1:
        raise CliError("--shuffles must be at least 1")
    store = _open_store(args)
    problems = [problem for problem in _select(args, store) if problem.quizzes]
    if args.limit is not None:
        problems = problems[: args.limit]
    items: list[tuple[str, int, Quiz]] = [
        (problem.uid, index, quiz) for problem in problems for index, quiz in enumerate(problem.quizzes)
    ]
    if not items:
        print("no selected problem has quizzes to audit")
        return 0
    skipped = (
        set() if args.redo else _already_audited(store, args.model, [p.uid for p in problems], args.shuffles)
    )
    to_ask = [item for item in items if (item[0], item[1]) not in skipped]
    client = _client(args, *{args.model, args.grader or args.model})

    async def work(item: tuple[str, int, Quiz]) -> QuizAudit:
        uid, index, quiz = item
        return await audit_quiz(
            client,
            args.model,
            uid,
            index,
            quiz,
            shuffles=args.shuffles,
            seed=args.seed,
            grader=args.grader,
            use_cache=not args.no_cache,
        )

    def save(batch: list[QuizAudit]) -> None:
        store.save_quiz_audits(_audit_row(audit) for audit in batch)

    audits = asyncio.run(_in_batches(to_ask, work, save, _progress("quizzes audit", args.format == "table")))
    flagged = [audit for audit in audits if audit.flagged]
    with_errors = [audit for audit in audits if audit.n_errors]
    cost = _total_cost([audit.cost_usd for audit in audits])
    if args.format == "json":
        payload = {
            "model": args.model,
            "shuffles": args.shuffles,
            "seed": args.seed,
            "audited": len(audits),
            "skipped": len(items) - len(to_ask),
            "flagged": [
                {
                    "problem_uid": a.problem_uid,
                    "quiz_index": a.quiz_index,
                    "n_correct": a.n_correct,
                    "shuffles": a.shuffles,
                }
                for a in flagged
            ],
            "with_errors": [
                {"problem_uid": a.problem_uid, "quiz_index": a.quiz_index, "n_errors": a.n_errors}
                for a in with_errors
            ],
            "cost_usd": cost,
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 0
    for audit in flagged:
        print(
            f"FLAGGED {audit.problem_uid}#{audit.quiz_index}: {audit.n_correct}/{audit.shuffles} right "
            f"without the figure: {_one_line(audit.quiz.question)}"
        )
    for audit in with_errors:
        classes = sorted({ask.error_class for ask in audit.asks if ask.error_class})
        print(
            f"incomplete {audit.problem_uid}#{audit.quiz_index}: {audit.n_errors} asks failed ({', '.join(classes)})"
        )
    share = f" ({100 * len(flagged) / len(audits):.1f}%)" if audits else ""
    line = (
        f"audited {len(audits)} quizzes with {args.model} over {args.shuffles} shuffles: "
        f"{len(flagged)} flagged blind-solvable{share}, {len(with_errors)} incomplete"
    )
    if len(items) > len(to_ask):
        line += f"; skipped {len(items) - len(to_ask)} already audited (--redo asks again)"
    print(f"{line}; cost {_money(cost)}")
    return 0


def _one_line(text: str, width: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


# ---- flagged ----------------------------------------------------------------------------------


def run_flagged(args: argparse.Namespace) -> int:
    frame = _open_store(args).flagged_quizzes(model=args.model)
    columns = ["problem_uid", "quiz_index", "model", "n_correct", "shuffles", "question"]
    if args.format == "json":
        records = json.loads(frame.loc[:, columns].to_json(orient="records", force_ascii=False))
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return 0
    if frame.empty:
        print("no quizzes are flagged blind-solvable")
        return 0
    for row in frame.itertuples(index=False):
        print(
            f"{row.problem_uid}#{row.quiz_index}  {row.model}  {row.n_correct}/{row.shuffles}  "
            f"{_one_line(row.question)}"
        )
    print(f"{len(frame)} flagged quiz audits")
    return 0
