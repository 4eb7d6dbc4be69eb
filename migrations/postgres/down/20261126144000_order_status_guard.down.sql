-- Reverts 20261126144000_order_status_guard.sql. Written by hand: Atlas's
-- schema inspection sees neither triggers nor functions.
DROP TRIGGER "orders_status_guard" ON "orders";
DROP FUNCTION "order_status_guard"();
