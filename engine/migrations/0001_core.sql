-- Gantry core schema. One source for SQLite and PostgreSQL (see engine/src/store/migrate.rs).
-- Conventions: ids BIGINT; money BIGINT minor units + TEXT currency; times BIGINT UTC epoch ms;
-- flags BIGINT 0/1; grams BIGINT.

-- CRM (minimal: the customer record a customer account belongs to)
CREATE TABLE customers (
    id ID_PK,
    name TEXT NOT NULL,
    email TEXT,
    company TEXT,
    created_at BIGINT NOT NULL
);

-- Users
CREATE TABLE users (
    id ID_PK,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT,
    role TEXT NOT NULL CHECK (role IN ('admin', 'planner', 'operator', 'accountant', 'sales', 'customer', 'integrator')),
    customer_id BIGINT REFERENCES customers (id),
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    CHECK (role <> 'customer' OR customer_id IS NOT NULL),
    CHECK (role = 'customer' OR customer_id IS NULL)
);
CREATE INDEX users_customer ON users (customer_id);

-- Inventory
CREATE TABLE materials (
    id ID_PK,
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('PLA', 'PETG', 'ABS', 'ASA', 'TPU', 'PA', 'PC', 'RESIN')),
    colour TEXT NOT NULL,
    diameter_um BIGINT NOT NULL CHECK (diameter_um > 0),
    density_mg_cm3 BIGINT NOT NULL CHECK (density_mg_cm3 > 0),
    price_per_kg_minor BIGINT NOT NULL CHECK (price_per_kg_minor >= 0),
    currency TEXT NOT NULL,
    low_stock_grams BIGINT NOT NULL DEFAULT 0 CHECK (low_stock_grams >= 0),
    created_at BIGINT NOT NULL
);

CREATE TABLE spools (
    id ID_PK,
    material_id BIGINT NOT NULL REFERENCES materials (id),
    lot TEXT,
    location TEXT,
    initial_grams BIGINT NOT NULL CHECK (initial_grams > 0),
    remaining_grams BIGINT NOT NULL CHECK (remaining_grams >= 0),
    created_at BIGINT NOT NULL
);
CREATE INDEX spools_material ON spools (material_id);

CREATE TABLE reservations (
    id ID_PK,
    material_id BIGINT NOT NULL REFERENCES materials (id),
    job_key TEXT NOT NULL,
    grams BIGINT NOT NULL CHECK (grams > 0),
    consumed_grams BIGINT NOT NULL DEFAULT 0 CHECK (consumed_grams >= 0),
    state TEXT NOT NULL CHECK (state IN ('held', 'consumed', 'released')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (job_key, material_id)
);
CREATE INDEX reservations_material_state ON reservations (material_id, state);

CREATE TABLE stock_movements (
    id ID_PK,
    material_id BIGINT NOT NULL REFERENCES materials (id),
    spool_id BIGINT REFERENCES spools (id),
    kind TEXT NOT NULL CHECK (kind IN ('receipt', 'consumption', 'adjustment', 'scrap')),
    grams BIGINT NOT NULL CHECK (grams <> 0),
    job_key TEXT,
    note TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX stock_movements_material ON stock_movements (material_id, created_at);
CREATE INDEX stock_movements_job ON stock_movements (job_key);

-- Equipment
CREATE TABLE printers (
    id ID_PK,
    name TEXT NOT NULL UNIQUE,
    model TEXT NOT NULL,
    technology TEXT NOT NULL CHECK (technology IN ('fdm', 'sla', 'sls')),
    build_x_mm BIGINT NOT NULL CHECK (build_x_mm > 0),
    build_y_mm BIGINT NOT NULL CHECK (build_y_mm > 0),
    build_z_mm BIGINT NOT NULL CHECK (build_z_mm > 0),
    nozzle_um BIGINT NOT NULL CHECK (nozzle_um > 0),
    speed_factor_pct BIGINT NOT NULL DEFAULT 100 CHECK (speed_factor_pct > 0),
    hourly_cost_minor BIGINT NOT NULL CHECK (hourly_cost_minor >= 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('idle', 'printing', 'paused', 'needs_bed_clearing', 'error', 'offline', 'maintenance')),
    loaded_material_id BIGINT REFERENCES materials (id),
    print_minutes_total BIGINT NOT NULL DEFAULT 0 CHECK (print_minutes_total >= 0),
    created_at BIGINT NOT NULL
);

CREATE TABLE printer_materials (
    printer_id BIGINT NOT NULL REFERENCES printers (id),
    material_kind TEXT NOT NULL,
    PRIMARY KEY (printer_id, material_kind)
);

CREATE TABLE maintenance_plans (
    id ID_PK,
    printer_id BIGINT NOT NULL REFERENCES printers (id),
    name TEXT NOT NULL,
    every_print_hours BIGINT CHECK (every_print_hours > 0),
    every_days BIGINT CHECK (every_days > 0),
    duration_minutes BIGINT NOT NULL CHECK (duration_minutes > 0),
    last_done_at BIGINT NOT NULL,
    last_done_print_minutes BIGINT NOT NULL DEFAULT 0,
    CHECK (every_print_hours IS NOT NULL OR every_days IS NOT NULL)
);
CREATE INDEX maintenance_plans_printer ON maintenance_plans (printer_id);

CREATE TABLE maintenance_windows (
    id ID_PK,
    printer_id BIGINT NOT NULL REFERENCES printers (id),
    plan_id BIGINT REFERENCES maintenance_plans (id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    reason TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('planned', 'done', 'cancelled')),
    CHECK (ends_at > starts_at)
);
CREATE INDEX maintenance_windows_printer ON maintenance_windows (printer_id, starts_at);
-- At most one planned window per plan (window generation is idempotent).
CREATE UNIQUE INDEX maintenance_windows_one_planned ON maintenance_windows (plan_id) WHERE state = 'planned';

CREATE TABLE maintenance_log (
    id ID_PK,
    printer_id BIGINT NOT NULL REFERENCES printers (id),
    plan_id BIGINT REFERENCES maintenance_plans (id),
    performed_at BIGINT NOT NULL,
    performed_by BIGINT REFERENCES users (id),
    note TEXT NOT NULL
);
CREATE INDEX maintenance_log_printer ON maintenance_log (printer_id, performed_at);

-- Catalog
CREATE TABLE categories (
    id ID_PK,
    parent_id BIGINT REFERENCES categories (id),
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE
);
CREATE INDEX categories_parent ON categories (parent_id);

CREATE TABLE products (
    id ID_PK,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    category_id BIGINT REFERENCES categories (id),
    model_ref TEXT,
    default_material_id BIGINT NOT NULL REFERENCES materials (id),
    price_minor BIGINT NOT NULL CHECK (price_minor >= 0),
    currency TEXT NOT NULL,
    grams_per_unit BIGINT NOT NULL CHECK (grams_per_unit > 0),
    print_minutes_per_unit BIGINT NOT NULL CHECK (print_minutes_per_unit > 0),
    copies_per_plate BIGINT NOT NULL DEFAULT 1 CHECK (copies_per_plate > 0),
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX products_category ON products (category_id);
CREATE INDEX products_active ON products (active);

CREATE TABLE reviews (
    id ID_PK,
    product_id BIGINT NOT NULL REFERENCES products (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    rating BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (product_id, customer_id)
);

-- Orders
CREATE TABLE orders (
    id ID_PK,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'placed', 'paid', 'in_production', 'ready', 'shipped', 'delivered', 'cancelled', 'refunded')),
    currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL CHECK (total_minor >= 0),
    priority BIGINT NOT NULL DEFAULT 0,
    due_at BIGINT,
    idempotency_key TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_id, created_at);
CREATE INDEX orders_status ON orders (status);

CREATE TABLE order_lines (
    id ID_PK,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    line_no BIGINT NOT NULL,
    product_id BIGINT REFERENCES products (id),
    model_ref TEXT,
    description TEXT NOT NULL,
    material_id BIGINT NOT NULL REFERENCES materials (id),
    colour TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_minor BIGINT NOT NULL CHECK (unit_price_minor >= 0),
    grams_per_unit BIGINT NOT NULL CHECK (grams_per_unit > 0),
    print_minutes_per_unit BIGINT NOT NULL CHECK (print_minutes_per_unit > 0),
    copies_per_plate BIGINT NOT NULL CHECK (copies_per_plate > 0),
    printed_count BIGINT NOT NULL DEFAULT 0 CHECK (printed_count >= 0),
    failed_count BIGINT NOT NULL DEFAULT 0 CHECK (failed_count >= 0),
    UNIQUE (order_id, line_no),
    CHECK (product_id IS NOT NULL OR model_ref IS NOT NULL)
);
CREATE INDEX order_lines_product ON order_lines (product_id);

CREATE TABLE order_status_history (
    id ID_PK,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    changed_by BIGINT REFERENCES users (id),
    changed_at BIGINT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX order_status_history_order ON order_status_history (order_id, id);

-- Production
CREATE TABLE jobs (
    id ID_PK,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    order_line_id BIGINT NOT NULL REFERENCES order_lines (id),
    plate_no BIGINT NOT NULL,
    attempt BIGINT NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    retry_of BIGINT REFERENCES jobs (id),
    copies BIGINT NOT NULL CHECK (copies > 0),
    material_id BIGINT NOT NULL REFERENCES materials (id),
    grams BIGINT NOT NULL CHECK (grams > 0),
    est_minutes BIGINT NOT NULL CHECK (est_minutes > 0),
    state TEXT NOT NULL CHECK (state IN ('queued', 'scheduled', 'printing', 'done', 'failed', 'requeued', 'abandoned', 'cancelled')),
    printer_id BIGINT REFERENCES printers (id),
    priority BIGINT NOT NULL DEFAULT 0,
    due_at BIGINT,
    planned_start BIGINT,
    started_at BIGINT,
    finished_at BIGINT,
    progress_pct BIGINT NOT NULL DEFAULT 0 CHECK (progress_pct BETWEEN 0 AND 100),
    failure_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_state ON jobs (state);
CREATE INDEX jobs_order ON jobs (order_id);
CREATE INDEX jobs_line ON jobs (order_line_id);
CREATE INDEX jobs_printer ON jobs (printer_id, state);

CREATE TABLE job_events (
    id ID_PK,
    job_id BIGINT NOT NULL REFERENCES jobs (id),
    from_state TEXT,
    to_state TEXT NOT NULL,
    at BIGINT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX job_events_job ON job_events (job_id, id);
