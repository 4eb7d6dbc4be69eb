-- The order state machine in the database too, under the Ent hook
-- (schema/order_hooks.go), so no write path, raw SQL included, can move an
-- order along a forbidden edge.
-- Written by hand: Ent's schema has no triggers.
CREATE TRIGGER `orders_status_guard` BEFORE UPDATE OF `status` ON `orders`
WHEN NEW.status <> OLD.status AND NOT (
     (OLD.status = 'pending' AND NEW.status IN ('processing', 'cancelled'))
  OR (OLD.status = 'processing' AND NEW.status IN ('shipped', 'cancelled'))
  OR (OLD.status = 'shipped' AND NEW.status = 'delivered')
)
BEGIN
  SELECT RAISE(ABORT, 'order status cannot change along this edge');
END;
