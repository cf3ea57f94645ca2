"""``scigen arena``: a judge model compares the figures of several runs pairwise; Bradley-Terry ratings."""

from __future__ import annotations

import argparse
import itertools
import json
import math

from core.cli import CliError

ARENA = "arena"


def register(subparsers: argparse._SubParsersAction) -> None:
    arena = subparsers.add_parser(
        "arena",
        help="pairwise arena: a judge picks the better of two runs' figures per problem; Bradley-Terry ratings",
        description=(
            "For every pair of the given generation runs and every problem both drew, a judge model sees the "
            "two figures (order randomised per problem and recorded) and picks the more scientifically "
            "correct, or a tie, with a reason. Each pair is one evaluation run 'A · arena:MODEL vs B' (cached "
            "and resumable like any evaluation). Prints Bradley-Terry ratings with 95%% intervals (problems "
            "resampled), the win-rate matrix and the judge's position bias. Without --judge: only the standings "
            "of what is stored."
        ),
    )
    arena.add_argument("--run", action="append", required=True, metavar="NAME", help="generation run (2 or more)")
    arena.add_argument("--judge", default=None, metavar="PROFILE|MODEL", help="the judge model (omit: show standings)")
    arena.add_argument("--seed", type=int, default=0, help="seed of the shown order (default 0)")
    arena.add_argument("--limit", type=int, default=None, help="at most N problems per pair")
    arena.add_argument("--max-cost", type=float, default=None, metavar="USD", help="stop before spending more")
    arena.add_argument("--no-cache", action="store_true", help="call the judge even when the request is cached")
    arena.add_argument("--config", default=None, help="profiles file (default: the usual scigen.toml search)")
    arena.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    arena.set_defaults(handler=run_arena)


def _judge_all(args: argparse.Namespace, store, workspace, runs: list[str]) -> None:
    from core.evaluation.base import EvaluatorSpec
    from core.jobs import JobError, ProblemSelection, RunSpecMismatch, evaluate
    from core.models import BudgetGuard, ModelClient, ProfileError, ResponseCache, load_profiles

    try:
        profiles = load_profiles(args.config, home=args.home)
    except ProfileError as exc:
        raise CliError(str(exc)) from None
    client = ModelClient(cache=ResponseCache(workspace.cache_dir / "models"), use_cache=not args.no_cache,
                         config=profiles, home=str(workspace.home))
    budget = BudgetGuard(args.max_cost) if args.max_cost is not None else None
    selection = ProblemSelection(limit=args.limit) if args.limit is not None else None
    try:
        for first, second in itertools.combinations(runs, 2):
            spec = EvaluatorSpec.create(ARENA, model=args.judge, opponent=second, seed=args.seed)
            summary = evaluate(store, workspace, generation_run=first, spec=spec, selection=selection,
                               budget=budget, use_cache=not args.no_cache, profiles=profiles, client=client)
            print(f"{summary.run_name}: {summary.done}/{summary.total} compared, {summary.message}")
            if summary.stop_reason == "budget":
                raise CliError("stopped at --max-cost; rerun with more budget to go on")
    except (JobError, RunSpecMismatch) as exc:
        raise CliError(str(exc)) from None
    finally:
        client.close()


def _number(value: float) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.0f}"


def run_arena(args: argparse.Namespace) -> int:
    from core.review.arena import arena_standings
    from core.store import Store
    from core.workspace import Workspace

    runs = list(dict.fromkeys(name.strip() for name in args.run))
    if len(runs) < 2:
        raise CliError("the arena needs two or more different --run")
    workspace = Workspace.from_env(getattr(args, "home", None))
    store = Store.open(workspace)
    known = set(store.list_runs("generation")["name"])
    unknown = [name for name in runs if name not in known]
    if unknown:
        raise CliError(f"no generation run {unknown[0]!r}; see 'scigen runs'")
    if args.judge:
        _judge_all(args, store, workspace, runs)
    standings = arena_standings(store, runs)
    if args.format == "json":
        print(json.dumps({"ratings": json.loads(standings.ratings.to_json(orient="records")),
                          "win_rates": json.loads(standings.win_rates.to_json(orient="index")),
                          "position_bias": standings.bias, "comparisons": standings.n_comparisons}, indent=2))
        return 0
    if standings.ratings.empty:
        print("no arena comparison stored between these runs; give --judge MODEL to run them")
        return 0
    print("Bradley-Terry ratings (Elo scale, 95% interval over problems):")
    for row in standings.ratings.itertuples():
        print(f"  {row.run}: {_number(row.rating)} [{_number(row.ci_low)}, {_number(row.ci_high)}]  "
              f"{row.wins:g} wins in {row.comparisons}")
    print("win rate of row against column:")
    print(standings.win_rates.map(lambda v: "—" if v != v else f"{v:.0%}").to_string())
    bias = standings.bias
    if bias["n"]:
        print(f"position bias: first-shown figure picked in {bias['first_picked']:.0%} of {bias['n']} decisive "
              f"judgements [{bias['ci_low']:.0%}, {bias['ci_high']:.0%}]"
              + (" — the judge favours a position" if bias["biased"] else ""))
    return 0
