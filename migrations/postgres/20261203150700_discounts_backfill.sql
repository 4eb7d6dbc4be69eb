-- Hand-written (make migrate-diff cannot express a backfill): orders placed
-- before discount codes had no discount, so their subtotal is their total.
-- The generated discounts migration before it adds subtotal_amount with
-- DEFAULT 0; regenerating that migration keeps this file after it.
UPDATE orders SET subtotal_amount = total_amount WHERE discount_id IS NULL AND subtotal_amount = 0;
