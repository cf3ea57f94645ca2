-- 002: what generation jobs need: the problem selection stored with a run, figure details the
-- evaluators read (figure facts, svg), attempt details, every model call (the cost ledger) and one
-- progress row per run that a dashboard reads while a job writes.

-- The problem selection a run was made for (JSON: subject, image_type, source, ids, limit).
ALTER TABLE runs ADD COLUMN selection_json VARCHAR;

ALTER TABLE generations ADD COLUMN svg_path VARCHAR;         -- relative to the workspace home
ALTER TABLE generations ADD COLUMN facts_json VARCHAR;       -- sandbox FigureFacts of a code-made figure
ALTER TABLE generations ADD COLUMN notes VARCHAR[];          -- what a reader of the figure should know
ALTER TABLE generations ADD COLUMN first_attempt_ok BOOLEAN; -- pass@1 of this problem

ALTER TABLE generation_attempts ADD COLUMN purpose VARCHAR;      -- initial | repair | revision
ALTER TABLE generation_attempts ADD COLUMN parse_notes VARCHAR[]; -- what the reply parser had to do
ALTER TABLE generation_attempts ADD COLUMN traceback_tail VARCHAR;
ALTER TABLE generation_attempts ADD COLUMN render_s DOUBLE;

-- The cost ledger: one row per model call (ok, failed, cached or refused by the budget).
-- Append-only: a call that happened stays, even when its problem is generated again later.
CREATE TABLE model_calls (
    run_id          VARCHAR NOT NULL,
    call_id         VARCHAR NOT NULL,          -- LedgerEntry.call_id (unique per call)
    problem_uid     VARCHAR,
    attempt         INTEGER,                   -- 1-based generation attempt; NULL when unknown
    kind            VARCHAR NOT NULL,          -- chat | image
    profile         VARCHAR NOT NULL,          -- profile name, or the raw model string
    model           VARCHAR NOT NULL,          -- the LiteLLM model string called
    fingerprint     VARCHAR NOT NULL,          -- secret-free digest of the model settings
    cache_key       VARCHAR,
    started_at      TIMESTAMP NOT NULL,
    latency_s       DOUBLE NOT NULL,
    wait_s          DOUBLE NOT NULL,           -- of latency_s: slot, rate-limit and backoff waits
    http_attempts   INTEGER NOT NULL,          -- requests made (0: cache hit or refused)
    tokens_in       BIGINT,
    tokens_out      BIGINT,
    images_out      INTEGER,
    cost_usd        DOUBLE,                    -- NULL: price unknown; 0 for a cache hit
    cached          BOOLEAN NOT NULL,
    ok              BOOLEAN NOT NULL,
    failure_class   VARCHAR,                   -- core.models FailureClass when not ok
    failure_message VARCHAR,
    finish_reason   VARCHAR,
    retry_classes   VARCHAR[],                 -- failure class of each retried request
    PRIMARY KEY (run_id, call_id)
);

-- Progress of the job working on a run, rewritten with every batch of results it stores.
CREATE TABLE run_progress (
    run_id      VARCHAR PRIMARY KEY,
    total       INTEGER NOT NULL,              -- problems in the run's selection
    done        INTEGER NOT NULL,              -- problems with a stored figure record (ok or failed)
    ok          INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    cost_usd    DOUBLE NOT NULL,               -- known cost of every call of the run so far
    state       VARCHAR NOT NULL,              -- running | finished | cancelled | failed
    stop_reason VARCHAR,                       -- why not finished: budget | interrupted | error
    message     VARCHAR,                       -- one line for people
    pid         INTEGER,                       -- process of the job (a dead pid + running = killed)
    host        VARCHAR,
    started_at  TIMESTAMP NOT NULL,            -- when the latest job on this run started
    updated_at  TIMESTAMP NOT NULL,            -- last write (a heartbeat while running)
    finished_at TIMESTAMP
);
