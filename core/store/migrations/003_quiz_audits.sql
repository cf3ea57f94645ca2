-- 003: blind-solvability audits of quizzes (`scigen quizzes audit`), and where generated quizzes
-- came from (`scigen quizzes generate`).

-- One audit per (quiz, model): the quiz asked WITHOUT image or problem text, over several option
-- shuffles. The quiz's text is kept so an audit applies only while the stored quiz is unchanged
-- (regenerated quizzes are not covered by an old audit).
CREATE TABLE quiz_audits (
    problem_uid    VARCHAR NOT NULL,
    quiz_index     INTEGER NOT NULL,
    model          VARCHAR NOT NULL,           -- profile name or LiteLLM model string asked
    question       VARCHAR NOT NULL,           -- the quiz as audited
    options_json   VARCHAR NOT NULL,           -- as in quizzes.options_json
    correct_option VARCHAR NOT NULL,
    shuffles       INTEGER NOT NULL,           -- times asked, each with another option order
    n_correct      INTEGER NOT NULL,           -- answered correctly
    n_errors       INTEGER NOT NULL,           -- no answer had (model failure, unreadable reply)
    flagged        BOOLEAN NOT NULL,           -- correct every time: blind-solvable
    seeds          BIGINT[] NOT NULL,          -- shuffle seed of each ask
    answers_json   VARCHAR NOT NULL,           -- per ask: presented keys, raw reply, parsed key, error
    prompt         VARCHAR NOT NULL,           -- prompt id, e.g. blind_quiz@v1
    cost_usd       DOUBLE,                     -- NULL: price unknown
    audited_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (problem_uid, quiz_index, model)
);

-- Provenance of model-written quizzes: the latest generation per problem.
CREATE TABLE quiz_generations (
    problem_uid  VARCHAR PRIMARY KEY,
    model        VARCHAR NOT NULL,
    prompt       VARCHAR NOT NULL,             -- prompt id, e.g. quizgen@v1
    n_quizzes    INTEGER NOT NULL,
    n_elements   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL,             -- model calls made (1, or 2 after a retry)
    issues_json  VARCHAR NOT NULL,             -- JSON list: what validation rejected
    cost_usd     DOUBLE,
    generated_at TIMESTAMP NOT NULL
);
