"""Runs as jobs see them: the problem selection, creating (or resuming) a run, and the run-level
numbers a generation run ends with (pass@1, pass@k, cost)."""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Mapping
from typing import Any

from core.generation.base import GeneratorSpec
from core.generation.outcomes import generation_aggregates
from core.problems.models import Problem
from core.problems.selection import ProblemSelection, SelectionError
from core.specs import ComponentSpec
from core.store import Aggregate, Run, Store
from core.version import code_version  # noqa: F401 - part of the jobs API


class JobError(RuntimeError):
    """A job that cannot start or go on; the message says what to do."""


class RunSpecMismatch(JobError):
    """A run name already used with another spec or selection: a run never mixes two."""


# ---- the problem selection -------------------------------------------------------------------


def selected_problems(store: Store, selection: ProblemSelection) -> list[Problem]:
    """The selection's problems; JobError for an id the store does not hold or cannot tell apart."""
    try:
        return store.select_problems(selection)
    except SelectionError as exc:
        raise JobError(str(exc)) from None


# ---- creating and resuming runs --------------------------------------------------------------


def _canonical_spec(name: str, params: Mapping[str, Any]) -> str:
    # Through JSON and back: tuples and lists, ints and floats compare as the stored form does.
    return ComponentSpec.create(name, **json.loads(json.dumps(dict(params)))).to_json()


def _differences(stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> str:
    keys = sorted(set(stored) | set(wanted))
    changed = [
        f"{key}: {json.dumps(stored.get(key))} -> {json.dumps(wanted.get(key))}"
        for key in keys
        if json.dumps(stored.get(key), sort_keys=True) != json.dumps(wanted.get(key), sort_keys=True)
    ]
    return "; ".join(changed)


def create_run(
    store: Store,
    *,
    name: str,
    spec: GeneratorSpec,
    kind: str = "generation",
    generator_kind: str | None = None,
    model: str | None = None,
    selection: Mapping[str, Any] | None = None,
    access: str | None = None,
    notes: str = "",
) -> str:
    """The run_id of the run ``name`` made with ``spec`` over ``selection``: created on first
    use, the existing one afterwards (that is how a job resumes).

    Raises :class:`RunSpecMismatch` when ``name`` is already a run of ``kind`` made with another
    spec or selection. ``model`` is a label (profile name or LiteLLM model string), never a key.
    """
    if not name.strip():
        raise JobError("a run needs a name (--run NAME)")
    selection_dict = dict(selection) if selection is not None else None
    wanted = Run(
        run_id=f"{kind[:3]}-{uuid.uuid4().hex[:12]}",
        name=name,
        kind=kind,  # type: ignore[arg-type]  # validated by Run
        generator_kind=generator_kind,  # type: ignore[arg-type]
        access=access,  # type: ignore[arg-type]
        model=model,
        spec_name=spec.generator,
        spec_params=dict(spec.params),
        code_version=code_version(),
        notes=notes,
        selection=selection_dict,
    )
    stored = store.create_run_if_absent(wanted)
    if stored.run_id == wanted.run_id:
        return stored.run_id
    if _canonical_spec(stored.spec_name or "", stored.spec_params) != _canonical_spec(
        spec.generator, dict(spec.params)
    ):
        if stored.spec_name != spec.generator:
            detail = f"generator {stored.spec_name!r}, this command asks for {spec.generator!r}"
        else:
            detail = _differences(stored.spec_params, json.loads(json.dumps(dict(spec.params))))
            if "model_fingerprint:" in detail:
                detail += "; the model profile's settings (model, endpoint, temperature, max_tokens ...) changed"
        raise RunSpecMismatch(
            f"run {name!r} already exists with another spec ({detail}); a run never mixes specs: "
            "choose another --run name, or rerun with the spec it was made with"
        )
    if (stored.selection or None) != (json.loads(json.dumps(selection_dict)) if selection_dict else None):
        detail = _differences(stored.selection or {}, selection_dict or {})
        raise RunSpecMismatch(
            f"run {name!r} already exists for another problem selection ({detail}); "
            "choose another --run name, or rerun with the selection it was made for"
        )
    return stored.run_id


def find_generation_run(store: Store, name: str) -> Run:
    """The generation run called ``name`` (or with that run_id); JobError listing the runs if none."""
    run = store.find_run("generation", name)
    if run is None:
        by_id = store.get_run(name)
        run = by_id if by_id is not None and by_id.kind == "generation" else None
    if run is not None:
        return run
    names = store.list_runs("generation")["name"].tolist()
    listing = ", ".join(repr(n) for n in names[:20]) + (" ..." if len(names) > 20 else "")
    raise JobError(
        f"no generation run {name!r}; "
        + (f"generation runs: {listing}" if names else "the store has no generation run yet")
        + " (make one with 'scigen generate', list them with 'scigen runs --kind generation')"
    )


def ensure_evaluation_run(
    store: Store, *, name: str, generation: Run, spec: ComponentSpec, model: str | None, label: str,
    replace: bool = False,
) -> Run:
    """The evaluation run ``name`` of ``spec`` over ``generation``: created on first use, the
    existing one afterwards (that is how a job resumes). Raises RunSpecMismatch for the same name with another
    spec or generation run; ``replace`` deletes an existing one (and its scores) first."""
    if replace:
        existing = store.find_run("evaluation", name)
        if existing is not None:
            store.delete_run(existing.run_id)
    wanted = Run(
        run_id=f"eva-{os.urandom(6).hex()}",
        name=name,
        kind="evaluation",
        generator_kind=generation.generator_kind,
        access=generation.access,
        model=model,
        spec_name=spec.name,
        spec_params=dict(spec.params),
        parent_run_id=generation.run_id,
        code_version=code_version(),
        notes=label,
    )
    stored = store.create_run_if_absent(wanted)
    if stored.run_id == wanted.run_id:
        return stored
    retry = "rerun with the settings it was made with, or add --replace to score it again from scratch"
    if stored.parent_run_id != generation.run_id:
        raise RunSpecMismatch(
            f"evaluation run {name!r} scores another generation run ({stored.parent_run_id}, not "
            f"{generation.run_id}: was {generation.name!r} made again?); {retry}"
        )
    if _canonical_spec(stored.spec_name or "", stored.spec_params) != _canonical_spec(spec.name, dict(spec.params)):
        detail = _differences(stored.spec_params, json.loads(json.dumps(dict(spec.params))))
        if "fingerprint" in detail:
            detail += "; a model profile's settings (model, endpoint, temperature, max_tokens ...) changed"
        raise RunSpecMismatch(f"evaluation run {name!r} already exists with another spec ({detail}); {retry}")
    return stored


# ---- run-level numbers -----------------------------------------------------------------------

def store_run_aggregates(store: Store, run_id: str) -> list[Aggregate]:
    """Compute and store pass@1, pass@k and the run's cost; returns what was stored."""
    aggregates = generation_aggregates(store.pass_counts(run_id), store.ledger_totals(run_id))
    if aggregates:
        store.upsert_aggregates(run_id, aggregates)
    return aggregates


# ---- progress as people should read it --------------------------------------------------------


def effective_state(state: str | None, pid: int | None, host: str | None) -> str | None:
    """The progress state, except that a ``running`` job whose process is gone (killed, or the
    machine rebooted) reads ``stopped``: rerunning the same command resumes it. A job on another
    host cannot be checked and keeps ``running``."""
    if state != "running" or pid is None or host != socket.gethostname():
        return state
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return "stopped"
    except (PermissionError, OverflowError, ValueError):
        return state
    return state
