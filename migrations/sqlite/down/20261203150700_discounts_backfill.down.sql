-- Reverts 20261203140000_discounts_backfill.sql: the backfill needs no
-- undoing (the discounts migration's down file drops subtotal_amount); the
-- trigger it made again goes, as the discounts migration had left orders
-- without it (that migration's down file makes it again).
DROP TRIGGER `orders_status_guard`;
