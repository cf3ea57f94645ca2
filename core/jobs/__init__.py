"""Jobs: running a spec over a problem selection, with concurrency, resume and progress.

Generation::

    from core.jobs import ProblemSelection, generate, prepare_spec
    spec = prepare_spec(GeneratorSpec.create("imgcoder", model="gpt4o-mini"), profiles=None, home=None)
    summary = generate(store, workspace, run_name="gpt4o-mini-physics", spec=spec,
                       selection=ProblemSelection(subject="Physics", limit=50), max_cost_usd=2.0)

Background jobs (the CLI as a separate process, e.g. from the dashboard; progress in the store)::

    from core.jobs import cancel, generation_args, launch, list_jobs
    handle = launch(generation_args("gold", "reference", ProblemSelection(limit=2)), workspace=workspace)

A run is a spec x a selection, named by the user; rerunning the same command resumes it (only
missing problems run), a different spec under the same name is refused. Results are written
in batches as they complete, with progress rows a dashboard can read while the job runs.

``create_run`` and ``save_results`` are also what ``scigen import-images`` uses to store figures
made elsewhere as a run.

Evaluation (scoring a generation run's figures; one evaluation run per generation run and
evaluator spec, resumable the same way)::

    from core.jobs import evaluate
    summary = evaluate(store, workspace, generation_run="gpt4o-mini-physics",
                       spec=EvaluatorSpec.create(NAME, model="gpt4o-mini"), max_cost_usd=1.0)
"""

from core.jobs.evaluation import (
    EvaluationItemDone,
    EvaluationSummary,
    create_evaluation_run,
    evaluate,
    evaluation_label,
    evaluation_run_name,
    prepare_evaluator_spec,
    run_evaluation,
)
from core.jobs.figures import figures_under_test
from core.jobs.generation import (
    GenerationSummary,
    ProblemDone,
    generate,
    prepare_spec,
    run_generation,
)
from core.jobs.launcher import (
    JobHandle,
    JobInfo,
    cancel,
    evaluation_args,
    force_stop,
    generation_args,
    get_job,
    launch,
    list_jobs,
    read_log,
    relaunch,
)
from core.jobs.runs import (
    JobError,
    RunSpecMismatch,
    code_version,
    create_run,
    effective_state,
    find_generation_run,
    selected_problems,
    store_run_aggregates,
)
from core.jobs.saving import ResultWriter, result_rows, save_results
from core.jobs.scores import compute_evaluation_aggregates, largest_disagreements, store_evaluation_aggregates
from core.problems.selection import ProblemSelection

__all__ = [
    "EvaluationItemDone",
    "EvaluationSummary",
    "compute_evaluation_aggregates",
    "create_evaluation_run",
    "evaluate",
    "evaluation_label",
    "evaluation_run_name",
    "figures_under_test",
    "find_generation_run",
    "largest_disagreements",
    "prepare_evaluator_spec",
    "run_evaluation",
    "store_evaluation_aggregates",
    "GenerationSummary",
    "JobError",
    "JobHandle",
    "JobInfo",
    "cancel",
    "evaluation_args",
    "force_stop",
    "generation_args",
    "get_job",
    "launch",
    "list_jobs",
    "read_log",
    "relaunch",
    "ProblemDone",
    "ProblemSelection",
    "ResultWriter",
    "RunSpecMismatch",
    "code_version",
    "create_run",
    "effective_state",
    "generate",
    "prepare_spec",
    "result_rows",
    "run_generation",
    "save_results",
    "selected_problems",
    "store_run_aggregates",
]
