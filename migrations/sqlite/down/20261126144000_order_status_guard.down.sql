-- Reverts 20261126144000_order_status_guard.sql. Written by hand: Atlas's
-- schema inspection sees no triggers.
DROP TRIGGER `orders_status_guard`;
