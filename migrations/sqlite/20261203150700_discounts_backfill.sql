-- Hand-written (make migrate-diff cannot express a backfill): orders placed
-- before discount codes had no discount, so their subtotal is their total.
-- The generated discounts migration before it adds subtotal_amount with
-- DEFAULT 0; regenerating that migration keeps this file after it.
UPDATE orders SET subtotal_amount = total_amount WHERE discount_id IS NULL AND subtotal_amount = 0;
-- The discounts migration rebuilds orders on SQLite (new table, copy, drop,
-- rename), and dropping the old table dropped its trigger: the state
-- machine's guard of 20261126144000_order_status_guard.sql is made again.
CREATE TRIGGER IF NOT EXISTS `orders_status_guard` BEFORE UPDATE OF `status` ON `orders`
WHEN NEW.status <> OLD.status AND NOT (
     (OLD.status = 'pending' AND NEW.status IN ('processing', 'cancelled'))
  OR (OLD.status = 'processing' AND NEW.status IN ('shipped', 'cancelled'))
  OR (OLD.status = 'shipped' AND NEW.status = 'delivered')
)
BEGIN
  SELECT RAISE(ABORT, 'order status cannot change along this edge');
END;
