-- Integrations (issue #15): orders from web shops (Shopify, WooCommerce). One row per
-- (shop, external_id), so a repeated delivery creates nothing twice. order_id is the Gantry
-- order made from it (status 'created'); an order that cannot be mapped (unknown SKU) is held
-- (status 'held', held_reason) with its payload for a person.
CREATE TABLE shop_orders (
    id ID_PK,
    shop TEXT NOT NULL,
    external_id TEXT NOT NULL,
    order_id BIGINT REFERENCES orders (id),
    status TEXT NOT NULL,
    held_reason TEXT,
    payload TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    UNIQUE (shop, external_id)
);
