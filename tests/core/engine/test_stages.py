"""One item through the stages without Ray: text problems without subject or type are classified
(needs a figure? which type?), drawn or dropped, and their records fit the shard schema."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path

from core.engine.config import parse_pipeline
from core.engine.manifest import count_shards
from core.engine.shards import write_shard
from core.engine.stages import Stages, build_evaluators, build_generator
from core.models import ModelClient, ProfileConfig
from core.models.fake_server import FakeOpenAIServer, ReceivedRequest
from core.models.testing import FAST_RETRY, profile_for
from core.problems.importer import stream_problems
from core.problems.models import Problem
from core.problems.taxonomy import Subject

VERDICTS = {
    "circuit": '{"visualisable": true, "image_type": "Physics - Circuit", "reason": "a circuit"}',
    "plain": '{"visualisable": false, "image_type": null, "reason": "arithmetic only"}',
    "junk": "I cannot tell.",
}


def _classifier(request: ReceivedRequest) -> str:
    return VERDICTS[re.search(r"\[kind:(\w+)\]", "\n".join(request.texts)).group(1)]


def test_untyped_problems_are_classified_then_drawn_or_dropped_and_counted(
    tmp_path: Path, make_server: Callable[..., FakeOpenAIServer]
) -> None:
    from core.sandbox import RenderPool

    server = make_server(reply=_classifier)
    profiles = ProfileConfig(None, {"fake": profile_for(server, name="fake", input_cost_per_mtok=1.0,
                                                        output_cost_per_mtok=2.0)}, {}, {})
    source = tmp_path / "untyped.jsonl"
    source.write_text("".join(
        json.dumps({"id": kind, "question": f"Two resistors of 2 and 3 ohm in series [kind:{kind}]."}) + "\n"
        for kind in VERDICTS
    ))
    problems = list(stream_problems(source, "custom", untyped=Subject.UNIVERSAL))
    assert all(isinstance(problem, Problem) for problem in problems)
    config = parse_pipeline(
        {"source": {"paths": [str(source)]}, "classify": {"model": "fake"},
         "generate": {"generator": "text-card", "params": {"dpi": 40}}, "verify": [{"evaluator": "figure-facts"}]},
        where="test", base_dir=tmp_path,
    )
    with RenderPool() as pool:
        stages = Stages(
            config=config, dataset_dir=tmp_path / "ds", generator=build_generator(config, profiles, None),
            evaluators=build_evaluators(config, profiles, None),
            client=ModelClient(cache=False, retry=FAST_RETRY, config=profiles), render_pool=pool, run_id="ds",
        )

        async def all_of_them() -> list[dict]:
            return await asyncio.gather(*(stages.process(problem) for problem in problems))

        rows = {row["key"]: row for row in asyncio.run(all_of_them())}
    circuit, plain, junk = rows["custom:circuit"], rows["custom:plain"], rows["custom:junk"]
    assert (circuit["subject"], circuit["image_type"], circuit["status"]) == ("Physics", "Physics - Circuit", "ok")
    assert circuit["visualisable"] is True and circuit["t_classify_s"] > 0 and circuit["t_verify_s"] is not None
    assert (tmp_path / "ds" / circuit["image_path"]).is_file() and circuit["cost_usd"] > 0
    assert (plain["status"], plain["visualisable"], plain["classify_reason"]) == ("dropped", False, "arithmetic only")
    assert plain.get("image_path") is None and plain["model_calls"] == 1
    assert (junk["status"], junk["visualisable"], junk["classify_reason"]) == ("unclassified", None, "invalid_reply: no JSON object with 'visualisable'")
    assert server.request_count == 3  # one classification each; nothing else calls the model here

    write_shard(tmp_path / "ds", "t-000000", list(rows.values()))
    counts = count_shards(tmp_path / "ds")
    assert (counts.items, counts.classified, counts.dropped, counts.generated_ok, counts.verified) == (3, 1, 1, 1, 1)
