"""The data engine: the pipeline's stages streamed over many problems on a Ray cluster.

``scigen engine run PIPELINE.toml`` reads problems lazily (JSONL, Parquet, SciGenBench JSON),
hands batches to worker actors that each own a warm sandbox pool and a model client
(:mod:`core.engine.worker`), runs every item through generate -> quizzes -> verify -> filter with
the registered components of core/ (:mod:`core.engine.stages`), and commits one Parquet shard
per batch into a dataset folder (:mod:`core.engine.shards`), then writes the training-set export
(:mod:`core.engine.export`). Model quotas and ``max_cost`` hold for the whole cluster
(:mod:`core.engine.limits`). A rerun skips every committed item key, so a killed driver, worker or
node costs at most the calls that were in flight.

Ray is imported by the modules that need it, not by this package: ``core.engine.config`` and the
manifest are readable without it.
"""

from core.engine.config import PipelineConfig, PipelineError, load_pipeline

__all__ = ["PipelineConfig", "PipelineError", "load_pipeline"]
