-- 006: evaluation protocols, what makes two aggregates comparable (core/protocols.py). A protocol
-- is keyed by a digest of its definition, so the same protocol reached twice is one row. Runs point
-- at theirs (evaluation runs: derived from spec, evaluator and problems covered; reported runs: the
-- paper's), and every aggregate carries the protocol of the run it belongs to.
CREATE TABLE protocols (
    protocol_id          VARCHAR PRIMARY KEY,  -- Protocol.protocol_id ("p-" + 12 hex of the definition)
    name                 VARCHAR NOT NULL,     -- a label for people ('' = described by its facts)
    description          VARCHAR NOT NULL,     -- one line: problem set; quiz set; answerer; judges; rule
    problem_source       VARCHAR,              -- e.g. scigen, sample, "SciGenBench scigen" (published)
    problem_count        INTEGER,              -- NULL for a published set
    problem_fingerprint  VARCHAR,              -- sha256 (16 hex) of the sorted problem uids
    quiz_set             VARCHAR,              -- quizzes | quizzes+open_question
    answerer_model       VARCHAR,
    answerer_prompt      VARCHAR,
    answerer_temperature DOUBLE,
    answerer_shuffle     BOOLEAN,
    judges               VARCHAR[] NOT NULL,
    missing_image_rule   VARCHAR,              -- counted_failed | left_out
    mixed_of             VARCHAR[] NOT NULL,   -- protocol ids of a row merging incomparable runs
    definition_json      VARCHAR NOT NULL,     -- Protocol.definition(), to rebuild the record
    created_at           TIMESTAMP NOT NULL
);

ALTER TABLE runs ADD COLUMN protocol_id VARCHAR;
ALTER TABLE aggregates ADD COLUMN protocol_id VARCHAR;
