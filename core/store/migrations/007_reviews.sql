-- 007: people in the loop. A reviewer rates a generation run's figure on the five judge
-- dimensions (same rubric as the judge) and gives a verdict per quiz; ratings are saved one item
-- at a time, so a review resumes where it stopped. A review session remembers which items a
-- sampling plan drew, in order.

CREATE TABLE review_sessions (
    session_id  VARCHAR PRIMARY KEY,           -- derived from reviewer, plan, runs, size and seed
    reviewer    VARCHAR NOT NULL,              -- signed-in email, else the name typed
    plan        VARCHAR NOT NULL,              -- sampling plan: stratified | judges_disagree | quiz_vs_judge
    run_ids     VARCHAR[] NOT NULL,            -- generation runs sampled
    items_json  VARCHAR NOT NULL,              -- JSON list of [run_id, problem_uid], in review order
    seed        BIGINT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

-- One score per (figure, reviewer, dimension); NULL score: not rated yet.
CREATE TABLE review_ratings (
    run_id      VARCHAR NOT NULL,              -- the generation run of the figure
    problem_uid VARCHAR NOT NULL,
    reviewer    VARCHAR NOT NULL,
    dimension   VARCHAR NOT NULL,              -- judge_cf ... judge_er
    score       INTEGER,                       -- 0..2
    session_id  VARCHAR,                       -- NULL for ratings imported from CSV
    rated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, problem_uid, reviewer, dimension)
);

-- A reviewer's verdict on one quiz of a figure.
CREATE TABLE review_verdicts (
    run_id      VARCHAR NOT NULL,
    problem_uid VARCHAR NOT NULL,
    reviewer    VARCHAR NOT NULL,
    quiz_index  INTEGER NOT NULL,
    verdict     VARCHAR NOT NULL,              -- readable | not_readable | bad_quiz
    session_id  VARCHAR,
    rated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, problem_uid, reviewer, quiz_index)
);

-- A reviewer's pick between two runs' figures of one problem (the arena, by a person). The order
-- shown is recorded, so people's position bias can be measured like a judge model's.
CREATE TABLE review_pairwise (
    run_a       VARCHAR NOT NULL,              -- generation run ids, as the session lists them
    run_b       VARCHAR NOT NULL,
    problem_uid VARCHAR NOT NULL,
    reviewer    VARCHAR NOT NULL,
    first_shown VARCHAR NOT NULL,              -- a | b: whose figure was shown first (left)
    picked      VARCHAR NOT NULL,              -- first | second | tie
    session_id  VARCHAR,
    rated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (run_a, run_b, problem_uid, reviewer)
);
