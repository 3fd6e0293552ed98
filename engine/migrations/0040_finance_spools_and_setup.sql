-- Finance (issue #14): how a spool (or lot) was paid when it was received. `on_account` (the
-- default, and every spool received before this migration): the ledger posts its lot cost to
-- accounts payable; `cash`: paid on receipt, the lot cost leaves the cash account.
ALTER TABLE spools ADD COLUMN paid TEXT NOT NULL DEFAULT 'on_account' CHECK (paid IN ('cash', 'on_account'));

-- Finance (issue #14): the set-up of each plate attempt (preparing the bed, heating up, clearing
-- the plate) costed at the printer's hourly cost for `GANTRY_FINANCE_SETUP_MINUTES`, posted
-- apart from the printing time so job costs and margins show it.
INSERT INTO finance_accounts (code, name, kind) VALUES ('5210', 'Set-up cost', 'expense');
