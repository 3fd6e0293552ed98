-- Reliability (issue #11): why a quote has no earliest delivery date (no printer that could
-- print it is available for planning, or its plates could not be placed), so the customer and
-- staff see the reason instead of a silent null.
ALTER TABLE quotes ADD COLUMN earliest_delivery_reason TEXT;
