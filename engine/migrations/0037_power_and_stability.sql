-- Planning (issue #18): power circuits, each printer model's electrical draw, and the farm's
-- stability settings. Every live plan reads them (`store::planning::farm_power`,
-- `planning_settings`).
--
-- A power circuit (a breaker) shared by printers: the summed draw of its printers stays within
-- `limit_watts`, and/or at most `max_heatups` prints start within any `heatup_window_minutes`.
-- Both parts of the heat-up rule are set together or not at all.
CREATE TABLE power_circuits (
    id ID_PK,
    name TEXT NOT NULL UNIQUE,
    limit_watts BIGINT CHECK (limit_watts IS NULL OR limit_watts > 0),
    max_heatups BIGINT CHECK (max_heatups IS NULL OR max_heatups > 0),
    heatup_window_minutes BIGINT CHECK (heatup_window_minutes IS NULL OR heatup_window_minutes > 0),
    updated_at BIGINT NOT NULL,
    CHECK ((max_heatups IS NULL) = (heatup_window_minutes IS NULL))
);
-- A printer is on at most one circuit.
CREATE TABLE printer_circuits (
    printer_id BIGINT PRIMARY KEY REFERENCES printers (id),
    circuit_id BIGINT NOT NULL REFERENCES power_circuits (id)
);
CREATE INDEX printer_circuits_circuit ON printer_circuits (circuit_id);
-- The draw of every printer of a model (`printers.model`): `heatup_watts` during the first
-- `heatup_minutes` of a print, then `printing_watts`.
CREATE TABLE printer_model_power (
    model TEXT PRIMARY KEY,
    heatup_watts BIGINT NOT NULL CHECK (heatup_watts >= 0),
    heatup_minutes BIGINT NOT NULL CHECK (heatup_minutes >= 0),
    printing_watts BIGINT NOT NULL CHECK (printing_watts >= 0),
    updated_at BIGINT NOT NULL
);
-- The farm's stability settings (one row, id 1): a re-plan keeps jobs the previous plan starts
-- within `freeze_minutes` in place, and pays `stability_penalty` (objective units, minutes of
-- weighted tardiness) for moving a job it starts within `stability_horizon_minutes` to another
-- printer or more than `stability_tolerance_minutes` later. All 0: re-plans move freely.
CREATE TABLE planning_settings (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    freeze_minutes BIGINT NOT NULL CHECK (freeze_minutes >= 0),
    stability_horizon_minutes BIGINT NOT NULL CHECK (stability_horizon_minutes >= 0),
    stability_penalty BIGINT NOT NULL CHECK (stability_penalty >= 0),
    stability_tolerance_minutes BIGINT NOT NULL CHECK (stability_tolerance_minutes >= 0),
    updated_at BIGINT NOT NULL
);
