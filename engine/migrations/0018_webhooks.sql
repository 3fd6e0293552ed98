-- Integrations (issue #15): outbound webhooks in the Standard Webhooks format.
-- An endpoint subscribes to event types of docs/events.md; its secret (whsec_...) signs every
-- delivery and is shown once. After a rotation the previous secret also signs until
-- previous_secret_until (both signatures are sent). consecutive_failures/failing_since feed the
-- circuit that disables an endpoint that keeps failing (disabled_reason says why).
CREATE TABLE webhook_endpoints (
    id ID_PK,
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    event_types TEXT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until BIGINT,
    enabled BIGINT NOT NULL,
    disabled_reason TEXT,
    consecutive_failures BIGINT NOT NULL,
    failing_since BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- One delivery per (endpoint, event): written by the dispatcher in the same transaction as its
-- cursor moves past the event, so no event is skipped or queued twice. status: pending,
-- succeeded or failed (the retry period is over); created_at starts the retry period (a replay
-- restarts it); lease_until keeps two servers from sending the same delivery at once.
CREATE TABLE webhook_deliveries (
    id ID_PK,
    endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints (id),
    event_id BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    last_attempt_at BIGINT,
    last_status_code BIGINT,
    last_latency_ms BIGINT,
    last_error TEXT,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
-- The delivery log: one row per attempt (outcome succeeded or failed, the HTTP status if one
-- came back, the latency, the error).
CREATE TABLE webhook_attempts (
    id ID_PK,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id),
    attempt BIGINT NOT NULL,
    attempted_at BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    status_code BIGINT,
    latency_ms BIGINT NOT NULL,
    error TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);
-- The dispatcher's durable cursor over the event outbox: every event with an id up to
-- last_event_id has its deliveries. Starts after the events that exist now.
CREATE TABLE webhook_cursor (
    name TEXT PRIMARY KEY,
    last_event_id BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO webhook_cursor (name, last_event_id, updated_at)
    SELECT 'webhooks', CAST(COALESCE(MAX(id), 0) AS BIGINT), 0 FROM events;
