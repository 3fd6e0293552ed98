-- Printing (issue #5): uploaded models, their analysis and estimate, and quotes.
-- A model file is kept once in object storage under its SHA-256 (`object_key`); several rows
-- (one per owner) may share it. Analysis and estimate are JSON (TEXT).

CREATE TABLE models (
    id ID_PK,
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    file_name TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('stl', '3mf', 'obj')),
    size_bytes BIGINT NOT NULL CHECK (size_bytes > 0),
    object_key TEXT NOT NULL,
    -- The customer the model belongs to (NULL: uploaded by staff for the business).
    customer_id BIGINT REFERENCES customers (id),
    uploaded_by BIGINT REFERENCES users (id),
    analysis TEXT NOT NULL,
    estimate TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX models_sha256 ON models (sha256);
CREATE INDEX models_customer ON models (customer_id, id);

CREATE TABLE quotes (
    id ID_PK,
    model_id BIGINT NOT NULL REFERENCES models (id),
    customer_id BIGINT REFERENCES customers (id),
    material_id BIGINT NOT NULL REFERENCES materials (id),
    printer_id BIGINT NOT NULL REFERENCES printers (id),
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    options TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('formula', 'prusa_slicer')),
    grams_per_unit BIGINT NOT NULL CHECK (grams_per_unit > 0),
    print_minutes_per_unit BIGINT NOT NULL CHECK (print_minutes_per_unit > 0),
    copies_per_plate BIGINT NOT NULL CHECK (copies_per_plate > 0),
    currency TEXT NOT NULL,
    unit_price_minor BIGINT NOT NULL CHECK (unit_price_minor >= 0),
    total_minor BIGINT NOT NULL CHECK (total_minor >= 0),
    breakdown TEXT NOT NULL,
    earliest_delivery_at BIGINT,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- Set once, when the quote becomes an order.
    order_id BIGINT UNIQUE REFERENCES orders (id),
    CHECK (expires_at > created_at)
);
CREATE INDEX quotes_model ON quotes (model_id);
CREATE INDEX quotes_customer ON quotes (customer_id, id);

-- A catalog product may print from a stored model.
ALTER TABLE products ADD COLUMN model_id BIGINT REFERENCES models (id);
