-- 005: downstream results at several training-set sizes. Imported training outcomes (`scigen
-- downstream import`) hold one row per (source, benchmark, train_samples), so the 001 key
-- (provenance, source, benchmark) becomes (provenance, source, benchmark, train_samples). A key
-- column may not be NULL (published rows often lack a size), so the key is a unique index; every
-- writer replaces a provenance's rows as a whole, which keeps rows without a size unique too.
CREATE TABLE downstream_results_sized (
    provenance    VARCHAR NOT NULL,
    position      INTEGER NOT NULL,            -- order as published / as in the imported file
    source        VARCHAR NOT NULL,
    base_model    VARCHAR,
    benchmark     VARCHAR NOT NULL,
    accuracy      DOUBLE,
    train_samples BIGINT,                      -- NULL: size not stated
    note          VARCHAR
);
INSERT INTO downstream_results_sized
    SELECT provenance, position, source, base_model, benchmark, accuracy, train_samples, note
    FROM downstream_results;
DROP TABLE downstream_results;
ALTER TABLE downstream_results_sized RENAME TO downstream_results;
CREATE UNIQUE INDEX downstream_results_key ON downstream_results (provenance, source, benchmark, train_samples);
