-- The farm's throughput (jobs done and failed per day) reads transitions into those states by
-- time; without this index it would scan every job's history.
CREATE INDEX job_events_finished ON job_events (to_state, at);

-- Jobs a planner pinned to a printer, not before a time (`scheduleJob`): the planner keeps
-- them there while they wait. A pin of a job that no longer waits is ignored.
CREATE TABLE job_pins (
    job_id BIGINT PRIMARY KEY REFERENCES jobs (id),
    printer_id BIGINT NOT NULL REFERENCES printers (id),
    starts_at BIGINT NOT NULL,
    pinned_by BIGINT REFERENCES users (id),
    pinned_at BIGINT NOT NULL
);
