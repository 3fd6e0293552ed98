-- Finance (issue #14): the ledger posts each recorded payment (`payment.recorded`: cash against
-- its order's receivable, the rest a prepayment), so an order can be paid in parts; an order's
-- `paid` status change posts only what its recorded payments do not cover. Payments recorded
-- before this migration were posted in full with their order's `paid` change: their events are
-- marked handled here, so no replay of the outbox posts them a second time.
INSERT INTO finance_postings (event_id, event_type, entries, posted_at)
SELECT e.id, e.type, 0, e.occurred_at FROM events e
WHERE e.type = 'payment.recorded'
  AND e.id <= COALESCE((SELECT c.last_event_id FROM finance_consumers c WHERE c.name = 'finance'), 0)
  AND NOT EXISTS (SELECT 1 FROM finance_postings p WHERE p.event_id = e.id);
