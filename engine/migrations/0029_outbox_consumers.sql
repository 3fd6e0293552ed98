-- Issue #15 (MongoDB analytics sink): the durable readers of the event outbox share one table
-- of cursors, one row per reader (`finance`, `analytics`): the last event id it has handled.
-- It was the finance consumer's own table.
ALTER TABLE finance_consumers RENAME TO outbox_consumers;
