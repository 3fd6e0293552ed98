-- Architecture (issue #12): one planning route. Every plan the scheduler (or `replanNow`)
-- persists is recorded here with what it was solved to: minute 0, the objective, its proved
-- lower bound and gap, the method, each printer's jobs with start, end and setup, and each
-- job left out with its reason (JSON in `body`). The `plan` query reads the newest row instead
-- of solving again; the jobs' own columns (printer, planned start) stay the source of truth for
-- hand-over. Old rows are pruned as new ones are written.
CREATE TABLE plans (
    id ID_PK,
    made_at BIGINT NOT NULL,
    body TEXT NOT NULL
);
