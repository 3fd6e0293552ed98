-- Architecture (issue #12): the transactional event outbox. Every committed change others care
-- about (order status, job state and progress, printer status, plan, stock low, quote, ...)
-- appends one row here in the same transaction as the change, so no change is committed without
-- its event. Ids only grow; readers (in-process subscribers, later webhooks and other replicas)
-- read `id > last seen`. Rows older than the retention period are pruned.
CREATE TABLE events (
    id ID_PK,
    type TEXT NOT NULL,
    aggregate_type TEXT NOT NULL,
    aggregate_id BIGINT NOT NULL,
    occurred_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX events_occurred ON events (occurred_at);
CREATE INDEX events_aggregate ON events (aggregate_type, aggregate_id);
