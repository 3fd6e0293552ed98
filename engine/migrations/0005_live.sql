-- Live farm (issue #3): what the actors persist beside the core tables.

-- Agent message ids already applied, per printer: a message repeated after a reconnect (same
-- id) is acknowledged again but not applied twice. Written in the same transaction as the
-- change the message caused; rows older than a few days are pruned.
CREATE TABLE agent_messages (
    printer_id BIGINT NOT NULL REFERENCES printers (id),
    msg_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (printer_id, msg_id)
);
CREATE INDEX agent_messages_received ON agent_messages (received_at);

-- The last status an agent reported for its printer (one row per printer, overwritten).
CREATE TABLE printer_telemetry (
    printer_id BIGINT PRIMARY KEY REFERENCES printers (id),
    agent TEXT NOT NULL DEFAULT '',
    reported_state TEXT NOT NULL,
    job_id BIGINT,
    progress_pct BIGINT CHECK (progress_pct BETWEEN 0 AND 100),
    -- Temperatures in tenths of a degree Celsius (integers: one encoding on both backends).
    nozzle_dc BIGINT,
    bed_dc BIGINT,
    seconds_left BIGINT,
    last_seen_at BIGINT NOT NULL
);

-- Jobs the scheduler holds back (not planned), with the reason (e.g. material not in stock).
-- Replaced as a whole with every persisted plan.
CREATE TABLE job_holds (
    job_id BIGINT PRIMARY KEY REFERENCES jobs (id),
    reason TEXT NOT NULL,
    since BIGINT NOT NULL
);

-- Orders that need a person: e.g. a plate failed more often than the reprint limit allows.
CREATE TABLE order_flags (
    order_id BIGINT PRIMARY KEY REFERENCES orders (id),
    reason TEXT NOT NULL,
    flagged_at BIGINT NOT NULL
);
