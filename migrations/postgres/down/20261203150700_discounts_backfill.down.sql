-- Reverts 20261203140000_discounts_backfill.sql: nothing to undo (the
-- discounts migration's down file drops subtotal_amount).
SELECT 1;
