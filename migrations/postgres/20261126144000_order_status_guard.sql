-- The order state machine in the database too, under the Ent hook
-- (schema/order_hooks.go), so no write path, raw SQL included, can move an
-- order along a forbidden edge.
-- Written by hand: Ent's schema has no triggers.
CREATE FUNCTION "order_status_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status <> OLD.status AND NOT (
       (OLD.status = 'pending' AND NEW.status IN ('processing', 'cancelled'))
    OR (OLD.status = 'processing' AND NEW.status IN ('shipped', 'cancelled'))
    OR (OLD.status = 'shipped' AND NEW.status = 'delivered')
  ) THEN
    RAISE EXCEPTION 'order %: status cannot change from % to %', OLD.id, OLD.status, NEW.status
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
-- Create trigger "orders_status_guard" on table "orders"
CREATE TRIGGER "orders_status_guard" BEFORE UPDATE OF "status" ON "orders"
  FOR EACH ROW EXECUTE FUNCTION "order_status_guard"();
