-- The farm's weekly operator shifts (UTC): when people are there to load spools and clear
-- plates. The planner only starts jobs inside a shift; no rows means always staffed.
-- `end_minute` at or before `start_minute` runs past midnight into the next day.
CREATE TABLE operator_shifts (
    weekday BIGINT NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    start_minute BIGINT NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute BIGINT NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
    PRIMARY KEY (weekday, start_minute)
);

-- Printers may be grouped (a room, a rack, a dedicated line) for filtering, and retired: out
-- of the farm for good (not planned, not listed, tokens revoked), kept for their history.
ALTER TABLE printers ADD COLUMN group_name TEXT;
ALTER TABLE printers ADD COLUMN retired_at BIGINT;
