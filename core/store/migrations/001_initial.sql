-- 001: problems and quizzes, runs, figures (generations and their attempts), per-item scores
-- (quiz answers, judge scores, metric values), run-level aggregates, downstream results.
--
-- No CHECK or FOREIGN KEY constraints on purpose: DuckDB cannot drop them without rebuilding the
-- table, and allowed values (run kinds, statuses) will grow. The pydantic records validate values;
-- the store keeps relations (delete_run removes a run's rows everywhere).
-- Times are UTC, stored as TIMESTAMP. Paths are relative to the workspace home.

CREATE TABLE problems (
    uid                 VARCHAR PRIMARY KEY,   -- "source:id" (Problem.uid)
    source              VARCHAR NOT NULL,      -- scigen | seephys | custom
    id                  VARCHAR NOT NULL,      -- id within its source
    id_sort             VARCHAR NOT NULL,      -- natural-order key of id: digit runs zero-padded
    question            VARCHAR NOT NULL,      -- raw text, WebInstruct markup kept
    subject             VARCHAR NOT NULL,
    image_type          VARCHAR,               -- NULL: untyped (SeePhys), still under its subject
    answer              VARCHAR NOT NULL,
    elements            VARCHAR[] NOT NULL,    -- atomic visual facts, in order
    multimodal_question VARCHAR,
    reference_image     VARCHAR,
    reference_code      VARCHAR,
    content_hash        VARCHAR NOT NULL,      -- sha256 of the record: re-imports detect "unchanged"
    imported_at         TIMESTAMP NOT NULL,    -- first import
    updated_at          TIMESTAMP NOT NULL     -- last change
);

CREATE TABLE quizzes (
    problem_uid      VARCHAR NOT NULL,
    quiz_index       INTEGER NOT NULL,         -- 0-based position in the problem's quiz list
    question         VARCHAR NOT NULL,
    options_json     VARCHAR NOT NULL,         -- JSON object key -> text, key order as imported
    correct_option   VARCHAR NOT NULL,
    evidence_snippet VARCHAR NOT NULL,
    PRIMARY KEY (problem_uid, quiz_index)
);

CREATE TABLE runs (
    run_id         VARCHAR PRIMARY KEY,
    name           VARCHAR NOT NULL,           -- what users type (--run NAME) and see
    kind           VARCHAR NOT NULL,           -- reported | generation | evaluation
    generator_kind VARCHAR,                    -- code | pixel | baseline
    access         VARCHAR,                    -- open | closed (weights of the model)
    model          VARCHAR,
    spec_name      VARCHAR,                    -- registered generator/evaluator name
    spec_json      VARCHAR NOT NULL,           -- the spec's parameters, JSON
    parent_run_id  VARCHAR,                    -- evaluation run -> the generation run it scores
    created_at     TIMESTAMP NOT NULL,
    code_version   VARCHAR,
    provenance     VARCHAR,                    -- e.g. the paper a reported run comes from
    notes          VARCHAR NOT NULL
);
CREATE UNIQUE INDEX runs_kind_name ON runs (kind, name);

-- A figure: the final outcome of one problem in one generation run.
CREATE TABLE generations (
    run_id        VARCHAR NOT NULL,
    problem_uid   VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,            -- e.g. ok | failed
    image_path    VARCHAR,
    plan          VARCHAR,
    code          VARCHAR,
    error_class   VARCHAR,
    error_message VARCHAR,
    attempts      INTEGER NOT NULL,
    tokens_in     BIGINT,
    tokens_out    BIGINT,
    cost_usd      DOUBLE,
    latency_s     DOUBLE,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, problem_uid)
);

-- Every attempt of the repair loop (attempt 1 is the first call).
CREATE TABLE generation_attempts (
    run_id        VARCHAR NOT NULL,
    problem_uid   VARCHAR NOT NULL,
    attempt       INTEGER NOT NULL,
    status        VARCHAR NOT NULL,
    image_path    VARCHAR,
    plan          VARCHAR,
    code          VARCHAR,
    raw_reply     VARCHAR,
    error_class   VARCHAR,
    error_message VARCHAR,
    tokens_in     BIGINT,
    tokens_out    BIGINT,
    cost_usd      DOUBLE,
    latency_s     DOUBLE,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, problem_uid, attempt)
);

-- Inverse validation: one answer per (evaluation run, figure, quiz).
CREATE TABLE quiz_answers (
    run_id         VARCHAR NOT NULL,           -- the evaluation run
    problem_uid    VARCHAR NOT NULL,
    quiz_index     INTEGER NOT NULL,
    answerer       VARCHAR NOT NULL,           -- model string or offline evaluator ('ocr')
    shuffle_seed   BIGINT,
    presented_keys VARCHAR[],                  -- original option keys in the order shown
    raw_reply      VARCHAR,
    parsed_key     VARCHAR,                    -- original key; NULL when abstained/unparsable
    correct        BOOLEAN NOT NULL,
    abstained      BOOLEAN NOT NULL,
    error_class    VARCHAR,
    cost_usd       DOUBLE,
    latency_s      DOUBLE,
    created_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, problem_uid, quiz_index)
);

-- LMM-as-judge: one row per dimension (judge_cf ... judge_er); several judges per run allowed.
CREATE TABLE judge_scores (
    run_id      VARCHAR NOT NULL,
    problem_uid VARCHAR NOT NULL,
    judge       VARCHAR NOT NULL,
    dimension   VARCHAR NOT NULL,
    score       INTEGER,                       -- 0..2; NULL when no parsable reply
    rationale   VARCHAR,
    error_class VARCHAR,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, problem_uid, judge, dimension)
);

-- Per-item metric values (psnr, ssim, clip, figure facts, ...).
CREATE TABLE metric_values (
    run_id      VARCHAR NOT NULL,
    problem_uid VARCHAR NOT NULL,
    metric      VARCHAR NOT NULL,
    value       DOUBLE,                        -- NULL when unavailable/failed
    status      VARCHAR NOT NULL,              -- ok | unavailable | failed
    detail      VARCHAR,                       -- the reason when not ok
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, problem_uid, metric)
);

-- Run-level aggregates; scope_value is '' for the overall scope.
CREATE TABLE aggregates (
    run_id      VARCHAR NOT NULL,
    metric      VARCHAR NOT NULL,
    scope       VARCHAR NOT NULL,              -- overall | subject | image_type
    scope_value VARCHAR NOT NULL,
    value       DOUBLE,
    ci_low      DOUBLE,
    ci_high     DOUBLE,
    n           INTEGER,
    computed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, metric, scope, scope_value)
);

-- Published downstream results (a model fine-tuned on each source's images).
CREATE TABLE downstream_results (
    provenance    VARCHAR NOT NULL,
    position      INTEGER NOT NULL,            -- order as published (source, then benchmark)
    source        VARCHAR NOT NULL,
    base_model    VARCHAR,
    benchmark     VARCHAR NOT NULL,
    accuracy      DOUBLE,
    train_samples BIGINT,
    note          VARCHAR,
    PRIMARY KEY (provenance, source, benchmark)
);

-- Small facts about the workspace, e.g. the fingerprint of the bundled data last seeded.
CREATE TABLE meta (
    key        VARCHAR PRIMARY KEY,
    value      VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
