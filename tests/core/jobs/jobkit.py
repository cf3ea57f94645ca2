"""Helpers for job tests: problems whose question tells the loopback model server how to answer,
the server's answers, profiles and clients with millisecond backoff."""

from __future__ import annotations

import re
from typing import Any

from core.generation.base import GeneratorSpec
from core.jobs import prepare_spec
from core.models import ModelClient, ProfileConfig, ResponseCache
from core.models.fake_server import FakeOpenAIServer, ReceivedRequest, ScriptedReply
from core.models.testing import FAST_RETRY, profile_for
from core.problems.models import Problem
from core.workspace import Workspace

PLAN = (
    "Plan:\n1. Image Content: a block.\n2. Layout: one axes.\n3. Labels: the given value.\n"
    "4. Drawing Considerations: no answer.\n\n"
)
CODE_OK = (
    "import matplotlib.pyplot as plt\n"
    "fig, ax = plt.subplots(figsize=(2, 2))\n"
    "ax.plot([0, 1], [0, 1])\n"
    "ax.set_title('{uid}')\n"
)
CODE_SYNTAX = "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(\nax.plot([0, 1]\n"
CODE_RAISES = "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nraise ValueError('drawn wrong')\n"
CODE_LOOPS = "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nwhile True:\n    pass\n"

# What a problem's figure ends as when no transport fault gets in the way.
CASES: dict[str, tuple[str, str | None, int]] = {
    # case: (status, error_class, attempts) with max_attempts=2
    "ok": ("ok", None, 1),
    "repaired": ("ok", None, 2),  # syntax error first, fixed on repair: pass@k but not pass@1
    "raises": ("failed", "runtime_error", 2),
    "nocode": ("failed", "no_code", 2),
    "truncated": ("failed", "truncated", 2),
    "loops": ("failed", "timeout", 2),
}
_CASE = re.compile(r"\[case:(\w+)\]")
_UID = re.compile(r"\[uid:([^\]]+)\]")


def block(code: str) -> str:
    return f"{PLAN}```python\n{code}```\n"


def scripted_reply(request: ReceivedRequest) -> str | ScriptedReply:
    """The model's answer, decided by the problem's ``[case:...]`` marker and whether the request
    is a repair (it then carries the previous reply as an assistant message)."""
    text = "\n".join(request.texts)
    case_match, uid_match = _CASE.search(text), _UID.search(text)
    case = case_match.group(1) if case_match else "ok"
    uid = uid_match.group(1) if uid_match else "?"
    repair = any(
        isinstance(message, dict) and message.get("role") == "assistant"
        for message in request.body.get("messages", [])
    )
    if case == "ok":
        return block(CODE_OK.format(uid=uid))
    if case == "repaired":
        return block(CODE_OK.format(uid=uid) if repair else CODE_SYNTAX)
    if case == "raises":
        return block(CODE_RAISES)
    if case == "nocode":
        return "I would draw a block on an incline, with the mass labelled."
    if case == "truncated":
        return ScriptedReply(content=PLAN + "```python\nimport matplotlib.pyplot as plt\nfig, ax = plt.sub",
                             finish_reason="length")
    if case == "loops":
        return block(CODE_LOOPS)
    raise AssertionError(f"unknown case {case!r}")


def make_problem(pid: str, case: str = "ok", *, subject: str = "Physics",
                 image_type: str | None = "Physics - Mechanical", **fields: Any) -> Problem:
    return Problem(
        id=pid,
        source="custom",
        question=f"Problem {pid} [uid:custom:{pid}] [case:{case}]: a 2 kg block rests on a 30 degree incline.",
        subject=subject,
        image_type=image_type,
        answer="9.8 N",
        elements=["a block labelled 2 kg"],
        **fields,
    )


def fake_config(server: FakeOpenAIServer, **fields: Any) -> ProfileConfig:
    """Profiles holding one profile ``fake`` that calls ``server`` (priced, so budgets work)."""
    fields.setdefault("input_cost_per_mtok", 1.0)
    fields.setdefault("output_cost_per_mtok", 2.0)
    fields.setdefault("max_tokens", 400)
    fields.setdefault("concurrency", 8)
    return ProfileConfig(None, {"fake": profile_for(server, name="fake", **fields)}, {}, {})


def fast_client(config: ProfileConfig, workspace: Workspace, **options: Any) -> ModelClient:
    return ModelClient(
        cache=ResponseCache(workspace.cache_dir / "models"), retry=FAST_RETRY, config=config, seed=3, **options
    )


def imgcoder_spec(config: ProfileConfig, **params: Any) -> GeneratorSpec:
    params = {"model": "fake", "max_attempts": 2, "dpi": 40, "timeout_s": 3.0, **params}
    return prepare_spec(GeneratorSpec.create("imgcoder", **params), profiles=config, home=None)
