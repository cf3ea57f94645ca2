-- 004: evaluation jobs. One row per (evaluation run, figure) item a job finished, written in the
-- same transaction as the item's quiz answers / judge scores / metric values: a resumed job runs
-- only the items without a row (kill -9 leaves no half-stored item), progress counts these rows,
-- and an evaluation run's aggregates cover exactly the figures it evaluated.
CREATE TABLE evaluation_items (
    run_id        VARCHAR NOT NULL,            -- the evaluation run
    problem_uid   VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,            -- ok | failed | no_image | unavailable
    figure_status VARCHAR NOT NULL,            -- ok | failed: the generation outcome evaluated
    error_class   VARCHAR,                     -- why not ok (missing_image, a model failure class ...)
    notes         VARCHAR[],                   -- what the evaluator said about this figure
    cost_usd      DOUBLE,                      -- known cost of the item's model calls
    latency_s     DOUBLE,                      -- wall time of the item
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, problem_uid)
);
