-- Integrations (issue #15): payments in from a provider's webhook (Stripe's format).
-- One payment per provider event (UNIQUE): a repeated event records nothing. order_id is the
-- order it settled; a payment that matches no order (or not its currency, amount or status) is
-- held (status 'held', held_reason) for a person, not lost. The ledger posts from the
-- payment.recorded event (finance).
CREATE TABLE payments (
    id ID_PK,
    provider TEXT NOT NULL,
    provider_event_id TEXT NOT NULL,
    reference TEXT NOT NULL,
    order_id BIGINT REFERENCES orders (id),
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    held_reason TEXT,
    received_at BIGINT NOT NULL,
    payload TEXT NOT NULL,
    UNIQUE (provider, provider_event_id)
);
CREATE INDEX payments_order ON payments (order_id);
-- Every signed inbound request accepted, by source and signature: the same signed request
-- arriving again is a replay and is refused.
CREATE TABLE inbound_webhooks (
    id ID_PK,
    source TEXT NOT NULL,
    signature TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    UNIQUE (source, signature)
);
-- Payment links made through the configured provider for an order.
CREATE TABLE payment_links (
    id ID_PK,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    provider TEXT NOT NULL,
    reference TEXT NOT NULL,
    url TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX payment_links_order ON payment_links (order_id);
