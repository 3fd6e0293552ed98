-- Finance (issue #14): a double-entry ledger fed by the event outbox, invoices and credit notes
-- with gap-free numbers per year, manual expenses, and the lot cost of spools.
--
-- The ledger's guarantees are the database's, not only the application's:
-- * A journal entry's lines are inserted FIRST; their foreign key to the entry is deferred, so
--   lines without an entry fail the COMMIT. The entry row is inserted LAST, and a BEFORE INSERT
--   trigger refuses it unless its lines (at least two) have debits = credits = total (> 0) in
--   the entry's currency (FINANCE_UNBALANCED). So an unbalanced entry cannot be committed.
-- * A line cannot be added to an entry that exists (FINANCE_ENTRY_POSTED), and no entry or line
--   is ever updated or deleted (triggers): corrections are reversals.
-- Lines beginning with `--@sqlite ` or `--@postgres ` are statements for that backend only
-- (see engine/src/store/migrate.rs).

-- The lot cost of a spool, per kilogram in minor units of `cost_currency` (NULL on spools
-- received before finance: valued at their material's price).
ALTER TABLE spools ADD COLUMN cost_per_kg_minor BIGINT CHECK (cost_per_kg_minor >= 0);
ALTER TABLE spools ADD COLUMN cost_currency TEXT;

CREATE TABLE finance_accounts (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('asset', 'liability', 'revenue', 'expense'))
);
INSERT INTO finance_accounts (code, name, kind) VALUES
    ('1000', 'Cash and bank', 'asset'),
    ('1100', 'Accounts receivable', 'asset'),
    ('1200', 'Inventory', 'asset'),
    ('2000', 'Accounts payable', 'liability'),
    ('2100', 'Customer prepayments', 'liability'),
    ('2200', 'Tax payable', 'liability'),
    ('2300', 'Accrued machine costs', 'liability'),
    ('4000', 'Revenue', 'revenue'),
    ('5000', 'Cost of goods sold', 'expense'),
    ('5100', 'Materials expense', 'expense'),
    ('5200', 'Machine cost', 'expense'),
    ('5300', 'Scrap', 'expense'),
    ('5900', 'Other expenses', 'expense');

-- Counters updated in the transaction that uses them: `entry` (journal entry ids, allocated
-- before the lines are written) and `invoice:YYYY` / `credit_note:YYYY` (gap-free numbers: a
-- rolled-back issue rolls its number back too).
CREATE TABLE finance_counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL CHECK (value >= 0)
);
INSERT INTO finance_counters (name, value) VALUES ('entry', 0);

CREATE TABLE journal_entries (
    id BIGINT PRIMARY KEY,
    posted_at BIGINT NOT NULL,
    period TEXT NOT NULL,
    currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL CHECK (total_minor > 0),
    memo TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('invoice', 'credit_note', 'payment', 'refund', 'spool_receipt', 'stock_adjustment', 'job', 'expense', 'manual', 'reversal')),
    order_id BIGINT REFERENCES orders (id),
    job_id BIGINT REFERENCES jobs (id),
    invoice_id BIGINT,
    event_id BIGINT,
    reverses BIGINT UNIQUE REFERENCES journal_entries (id),
    created_by BIGINT REFERENCES users (id)
);
CREATE INDEX journal_entries_order ON journal_entries (order_id);
CREATE INDEX journal_entries_job ON journal_entries (job_id);
CREATE INDEX journal_entries_period ON journal_entries (period);

CREATE TABLE journal_lines (
    id ID_PK,
    entry_id BIGINT NOT NULL REFERENCES journal_entries (id) DEFERRABLE INITIALLY DEFERRED,
    account TEXT NOT NULL REFERENCES finance_accounts (code),
    currency TEXT NOT NULL,
    period TEXT NOT NULL,
    debit_minor BIGINT NOT NULL CHECK (debit_minor >= 0),
    credit_minor BIGINT NOT NULL CHECK (credit_minor >= 0),
    CHECK ((debit_minor > 0 AND credit_minor = 0) OR (debit_minor = 0 AND credit_minor > 0))
);
CREATE INDEX journal_lines_entry ON journal_lines (entry_id);
CREATE INDEX journal_lines_period_account ON journal_lines (period, account, currency);

--@sqlite CREATE TRIGGER journal_entries_balanced BEFORE INSERT ON journal_entries WHEN (SELECT COUNT(*) FROM journal_lines WHERE entry_id = NEW.id) < 2 OR (SELECT COALESCE(SUM(debit_minor), 0) FROM journal_lines WHERE entry_id = NEW.id) <> NEW.total_minor OR (SELECT COALESCE(SUM(credit_minor), 0) FROM journal_lines WHERE entry_id = NEW.id) <> NEW.total_minor OR EXISTS (SELECT 1 FROM journal_lines WHERE entry_id = NEW.id AND (currency <> NEW.currency OR period <> NEW.period)) BEGIN SELECT RAISE(ABORT, 'FINANCE_UNBALANCED: the lines of a journal entry must balance in its currency'); END;
--@postgres CREATE FUNCTION finance_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF (SELECT COUNT(*) FROM journal_lines WHERE entry_id = NEW.id) < 2 OR (SELECT COALESCE(SUM(debit_minor), 0) FROM journal_lines WHERE entry_id = NEW.id) <> NEW.total_minor OR (SELECT COALESCE(SUM(credit_minor), 0) FROM journal_lines WHERE entry_id = NEW.id) <> NEW.total_minor OR EXISTS (SELECT 1 FROM journal_lines WHERE entry_id = NEW.id AND (currency <> NEW.currency OR period <> NEW.period)) THEN RAISE EXCEPTION 'FINANCE_UNBALANCED: the lines of a journal entry must balance in its currency'; END IF; RETURN NEW; END $$;
--@postgres CREATE TRIGGER journal_entries_balanced BEFORE INSERT ON journal_entries FOR EACH ROW EXECUTE FUNCTION finance_entry_balanced();
--@sqlite CREATE TRIGGER journal_lines_closed BEFORE INSERT ON journal_lines WHEN EXISTS (SELECT 1 FROM journal_entries WHERE id = NEW.entry_id) BEGIN SELECT RAISE(ABORT, 'FINANCE_ENTRY_POSTED: lines cannot be added to a posted journal entry'); END;
--@postgres CREATE FUNCTION finance_entry_closed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF EXISTS (SELECT 1 FROM journal_entries WHERE id = NEW.entry_id) THEN RAISE EXCEPTION 'FINANCE_ENTRY_POSTED: lines cannot be added to a posted journal entry'; END IF; RETURN NEW; END $$;
--@postgres CREATE TRIGGER journal_lines_closed BEFORE INSERT ON journal_lines FOR EACH ROW EXECUTE FUNCTION finance_entry_closed();
--@postgres CREATE FUNCTION finance_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'FINANCE_ENTRY_POSTED: posted journal entries and lines cannot be changed; reverse them'; END $$;
--@sqlite CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries BEGIN SELECT RAISE(ABORT, 'FINANCE_ENTRY_POSTED: posted journal entries cannot be changed; reverse them'); END;
--@postgres CREATE TRIGGER journal_entries_no_update BEFORE UPDATE OR DELETE ON journal_entries FOR EACH ROW EXECUTE FUNCTION finance_immutable();
--@sqlite CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries BEGIN SELECT RAISE(ABORT, 'FINANCE_ENTRY_POSTED: posted journal entries cannot be deleted; reverse them'); END;
--@postgres CREATE TRIGGER journal_lines_no_update BEFORE UPDATE OR DELETE ON journal_lines FOR EACH ROW EXECUTE FUNCTION finance_immutable();
--@sqlite CREATE TRIGGER journal_lines_no_update BEFORE UPDATE ON journal_lines BEGIN SELECT RAISE(ABORT, 'FINANCE_ENTRY_POSTED: posted journal lines cannot be changed; reverse the entry'); END;
--@sqlite CREATE TRIGGER journal_lines_no_delete BEFORE DELETE ON journal_lines BEGIN SELECT RAISE(ABORT, 'FINANCE_ENTRY_POSTED: posted journal lines cannot be deleted; reverse the entry'); END;

-- Exactly-once postings: one row per outbox event the finance consumer handled (with or without
-- an entry), written in the transaction of its postings; a replayed event finds its row.
CREATE TABLE finance_postings (
    event_id BIGINT PRIMARY KEY,
    event_type TEXT NOT NULL,
    entries BIGINT NOT NULL,
    posted_at BIGINT NOT NULL
);

-- Durable consumers of the outbox: the last event id handled, committed with its postings.
CREATE TABLE finance_consumers (
    name TEXT PRIMARY KEY,
    last_event_id BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- What the ledger holds of each spool: the grams it valued and their value (the inventory
-- account is the sum of `value_minor`).
CREATE TABLE finance_spool_values (
    spool_id BIGINT PRIMARY KEY REFERENCES spools (id),
    cost_per_kg_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    grams BIGINT NOT NULL,
    value_minor BIGINT NOT NULL
);

-- Tax rates by product category (basis points; products without a listed category use the
-- configured default).
CREATE TABLE finance_tax_rates (
    category_id BIGINT PRIMARY KEY REFERENCES categories (id),
    rate_bp BIGINT NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000)
);

CREATE TABLE invoices (
    id ID_PK,
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    number TEXT NOT NULL UNIQUE,
    year BIGINT NOT NULL,
    seq BIGINT NOT NULL CHECK (seq > 0),
    order_id BIGINT NOT NULL REFERENCES orders (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    customer_name TEXT NOT NULL,
    credits_invoice_id BIGINT REFERENCES invoices (id),
    currency TEXT NOT NULL,
    net_minor BIGINT NOT NULL CHECK (net_minor >= 0),
    tax_minor BIGINT NOT NULL CHECK (tax_minor >= 0),
    total_minor BIGINT NOT NULL CHECK (total_minor > 0 AND total_minor = net_minor + tax_minor),
    issued_at BIGINT NOT NULL,
    UNIQUE (kind, year, seq),
    UNIQUE (order_id, kind),
    CHECK ((kind = 'credit_note') = (credits_invoice_id IS NOT NULL))
);
CREATE INDEX invoices_customer ON invoices (customer_id, issued_at);

CREATE TABLE invoice_lines (
    id ID_PK,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    line_no BIGINT NOT NULL,
    description TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_minor BIGINT NOT NULL,
    tax_rate_bp BIGINT NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    net_minor BIGINT NOT NULL,
    tax_minor BIGINT NOT NULL,
    gross_minor BIGINT NOT NULL,
    UNIQUE (invoice_id, line_no)
);

CREATE TABLE expenses (
    id ID_PK,
    category TEXT NOT NULL CHECK (category IN ('materials', 'energy', 'maintenance', 'rent', 'shipping', 'software', 'other')),
    description TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL,
    paid TEXT NOT NULL CHECK (paid IN ('cash', 'on_account')),
    receipt_ref TEXT,
    entry_id BIGINT NOT NULL REFERENCES journal_entries (id) DEFERRABLE INITIALLY DEFERRED,
    incurred_at BIGINT NOT NULL,
    created_by BIGINT REFERENCES users (id)
);
CREATE INDEX expenses_incurred ON expenses (incurred_at);
