"""A workspace with real generation and evaluation runs, for the figure pages (Explorer gallery,
item view, Compare) and their data functions.

Built once per test process (about half a minute) from the seeded workspace of ``workspaces.py``:

* ``gold``: the ``reference`` generator over FIGURE_UIDS; the SeePhys-like item has no gold script,
  so its figure fails (error class ``no_reference``);
* ``card``: the ``text-card`` baseline over the same problems (no diagram, only the givens);
* ``coder``: ImgCoder with a scripted model (loopback fake server) over CODER_UIDS: the first
  problem's first script fails (``runtime_error``) and its repair renders; the second problem's
  scripts all fail, so that figure is failed with a traceback;
* ``gold`` and ``card`` evaluated offline with OCR quiz answering and figure facts, ``card`` also
  with SSIM against the gold figures (which renders them into the workspace); ``gold`` scored by
  one judge (a scripted model: the real judge evaluator, prompts and parsing).

Read-only for tests: copy it (``shutil.copytree``) before writing.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.evaluation.base import EvaluatorSpec
from core.evaluation.prompts import JUDGE, JUDGE_JSON_KEYS
from core.generation.base import GeneratorSpec
from core.jobs import ProblemSelection, evaluate, generate, prepare_spec
from core.models import ModelClient, ProfileConfig, ResponseCache
from core.models.fake_server import FakeOpenAIServer, ReceivedRequest
from core.models.testing import FAST_RETRY, profile_for
from core.sandbox import RenderPool
from core.store import Store
from core.workspace import Workspace
from tests.dashboard import workspaces

GOLD_RUN = "gold"
CARD_RUN = "card"
JUDGE_NAME = "judge-a"
SAMPLE_UIDS: tuple[str, ...] = (
    "custom:sample-chemistry-spectra-1",
    "custom:sample-math-plane-geometric-1",
    "custom:sample-physics-circuit-1",
    "custom:sample-universal-plot-chart-1",
)
CODER_RUN = "coder"
CODER_MODEL = "coder-model"
CODER_UIDS: tuple[str, ...] = SAMPLE_UIDS[2:]
REPAIRED_UID, BROKEN_UID = CODER_UIDS
CODER_ERROR = "runtime_error"
GOOD_SCRIPT = """import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([0, 1, 2], [0, 1, 4], label="y = x^2")
ax.legend()
fig.savefig("figure.png")
"""
BROKEN_SCRIPT = """import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot(x_values, [0, 1, 4])
fig.savefig("figure.png")
"""
JUDGE_REPLY_SCORES: dict[str, int] = {key: score for key, score in zip(JUDGE_JSON_KEYS.values(), (2, 1, 2, 1, 0), strict=True)}
JUDGE_REASONING = "correctness_fidelity: every given value is drawn."


SEEPHYS_UID: str = workspaces.SEEPHYS_UID
FIGURE_UIDS: tuple[str, ...] = (*SAMPLE_UIDS, SEEPHYS_UID)


def _judge_reply(request: ReceivedRequest) -> str:
    text = "\n".join(request.texts)
    if JUDGE.system not in text:
        raise AssertionError(f"unexpected request to the scripted judge: {text[:200]}")
    return f"{JUDGE_REASONING}\n```json\n{json.dumps(JUDGE_REPLY_SCORES)}\n```"


def _judge(store: Store, workspace: Workspace) -> None:
    with FakeOpenAIServer(reply=_judge_reply) as server:
        profile = profile_for(server, model=f"openai/{JUDGE_NAME}", name=JUDGE_NAME, max_tokens=200)
        config = ProfileConfig(None, {JUDGE_NAME: profile}, {}, {})
        client = ModelClient(cache=ResponseCache(workspace.cache_dir / "models"), retry=FAST_RETRY, config=config)
        try:
            summary = evaluate(
                store, workspace, generation_run=GOLD_RUN, spec=EvaluatorSpec.create("judge", judges=[JUDGE_NAME]),
                profiles=config, client=client,
            )
        finally:
            client.close()
    assert summary.state == "finished", summary


def _coder_reply(request: ReceivedRequest) -> str:
    text = "\n".join(request.texts)
    repairing = "Your script failed when it was run." in text
    fixed = repairing and "resistor" in text.lower()  # the circuit problem gets repaired, the chart never
    script = GOOD_SCRIPT if fixed else BROKEN_SCRIPT
    return f"Plan: draw the given values on one axes.\n```python\n{script}```"


def _coder(store: Store, workspace: Workspace, pool: RenderPool) -> None:
    with FakeOpenAIServer(reply=_coder_reply) as server:
        profile = profile_for(server, model=f"openai/{CODER_MODEL}", name=CODER_MODEL, max_tokens=400)
        config = ProfileConfig(None, {CODER_MODEL: profile}, {}, {})
        client = ModelClient(cache=ResponseCache(workspace.cache_dir / "models"), retry=FAST_RETRY, config=config)
        spec = prepare_spec(
            GeneratorSpec.create("imgcoder", model=CODER_MODEL, max_attempts=2, dpi=40), profiles=config, home=None
        )
        try:
            summary = generate(
                store, workspace, run_name=CODER_RUN, spec=spec, selection=ProblemSelection(ids=CODER_UIDS),
                profiles=config, client=client, render_pool=pool,
            )
        finally:
            client.close()
    assert summary.state == "finished" and summary.ok == 1 and summary.failed == 1, summary


_built: dict[str, Path] = {}


def figure_workspace(root: Path) -> Path:
    """The home of the workspace described above, built under ``root`` on first call per process."""
    if "home" in _built:
        return _built["home"]
    workspace = workspaces.make_seeded_workspace(root / "figures-home")
    store = Store.open(workspace)
    selection = ProblemSelection(ids=FIGURE_UIDS)
    with RenderPool() as pool:  # one sandbox pool for every render: its start-up is most of a small job
        for name, generator in ((GOLD_RUN, "reference"), (CARD_RUN, "text-card")):
            summary = generate(
                store, workspace, run_name=name, spec=GeneratorSpec.create(generator), selection=selection,
                render_pool=pool,
            )
            assert summary.state == "finished", summary
        for name in (GOLD_RUN, CARD_RUN):
            for evaluator in ("ocr", "figure-facts"):
                summary = evaluate(store, workspace, generation_run=name, spec=EvaluatorSpec.create(evaluator))
                assert summary.state == "finished", summary
        # SSIM against the gold figures (rendered into the workspace on the way, as `make run` seeds them).
        summary = evaluate(
            store, workspace, generation_run=CARD_RUN, spec=EvaluatorSpec.create("ssim"), render_pool=pool
        )
        assert summary.state == "finished", summary
        _judge(store, workspace)
        _coder(store, workspace, pool)
    _built["home"] = workspace.home
    return workspace.home
