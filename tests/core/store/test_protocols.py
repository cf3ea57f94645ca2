"""The protocols table: one row per definition, runs and their aggregates point at theirs."""

from __future__ import annotations

from core.protocols import PAPER_PROTOCOL, Answerer, build_protocol
from core.store import Aggregate, Run, Store


def test_a_run_and_its_aggregates_carry_its_protocol_also_those_written_later(store: Store) -> None:
    store.upsert_run(Run(run_id="eva-1", name="e", kind="evaluation"))
    store.upsert_aggregates("eva-1", [Aggregate(metric="rinv", value=50.0)])
    protocol = build_protocol(["custom:a"], {"quiz_set": "quizzes", "answerer": Answerer(model="ocr")})

    assert store.set_run_protocol("eva-1", protocol) is True
    assert store.set_run_protocol("eva-1", protocol) is False  # already so: nothing written
    store.upsert_aggregates("eva-1", [Aggregate(metric="quiz_acc", value=60.0)])
    store.replace_aggregates("eva-1", [Aggregate(metric="rinv", value=40.0), Aggregate(metric="quiz_acc", value=60.0)])

    assert set(store.aggregates(run_id="eva-1")["protocol_id"]) == {protocol.protocol_id}
    assert store.run_protocols() == {"eva-1": protocol}
    rows = store.protocols()
    assert rows["protocol_id"].tolist() == [protocol.protocol_id]
    assert rows.loc[0, "answerer_model"] == "ocr" and rows.loc[0, "problem_count"] == 1


def test_the_same_definition_is_stored_once(store: Store) -> None:
    for run_id in ("a", "b"):
        store.upsert_run(Run(run_id=run_id, name=run_id, kind="evaluation"))
        store.set_run_protocol(run_id, PAPER_PROTOCOL)
    assert len(store.protocols()) == 1
    assert store.protocols().loc[0, "description"] == PAPER_PROTOCOL.describe()
