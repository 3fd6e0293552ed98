-- Integrations (issue #15): an order's shipments (parcels) with carrier, service, tracking
-- number and status (label_created, in_transit, out_for_delivery, delivered, exception,
-- returned, cancelled). A carrier's status webhook finds a shipment by (carrier,
-- tracking_number), so that pair is unique. The order ships when a parcel leaves and is
-- delivered when every parcel that is not cancelled is delivered.
CREATE TABLE shipments (
    id ID_PK,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    carrier TEXT NOT NULL,
    service TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('label_created', 'in_transit', 'out_for_delivery', 'delivered', 'exception', 'returned', 'cancelled')),
    note TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (carrier, tracking_number)
);
CREATE INDEX shipments_order ON shipments (order_id);
-- Each status a shipment had, oldest first (by a user, or by the carrier's webhook: NULL).
CREATE TABLE shipment_status_history (
    id ID_PK,
    shipment_id BIGINT NOT NULL REFERENCES shipments (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    changed_by BIGINT REFERENCES users (id),
    source TEXT NOT NULL CHECK (source IN ('staff', 'carrier')),
    note TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);
CREATE INDEX shipment_status_history_shipment ON shipment_status_history (shipment_id);
-- Exports read a period by these times.
CREATE INDEX orders_created ON orders (created_at);
CREATE INDEX invoices_issued ON invoices (issued_at);
CREATE INDEX payments_received ON payments (received_at);
CREATE INDEX journal_entries_posted ON journal_entries (posted_at);
