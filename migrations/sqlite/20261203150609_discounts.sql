-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_orders" table
CREATE TABLE `new_orders` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `status` text NOT NULL DEFAULT ('pending'), `total_amount` integer NOT NULL, `currency` text NOT NULL, `subtotal_amount` integer NOT NULL DEFAULT (0), `discount_id` integer NULL, `discount_code` text NULL, `discount_amount` integer NOT NULL DEFAULT (0), `user_id` integer NOT NULL, CONSTRAINT `orders_users_orders` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `order_discount_range` CHECK (discount_amount >= 0 AND discount_amount <= subtotal_amount), CONSTRAINT `order_total_nonneg` CHECK (total_amount >= 0));
-- Copy rows from old table "orders" to new temporary table "new_orders"
INSERT INTO `new_orders` (`id`, `created_at`, `updated_at`, `status`, `total_amount`, `currency`, `user_id`) SELECT `id`, `created_at`, `updated_at`, `status`, `total_amount`, `currency`, `user_id` FROM `orders`;
-- Drop "orders" table after copying rows
DROP TABLE `orders`;
-- Rename temporary table "new_orders" to "orders"
ALTER TABLE `new_orders` RENAME TO `orders`;
-- Create index "order_user_id_id" to table: "orders"
CREATE INDEX `order_user_id_id` ON `orders` (`user_id`, `id`);
-- Create index "order_status_id" to table: "orders"
CREATE INDEX `order_status_id` ON `orders` (`status`, `id`);
-- Create index "order_created_at" to table: "orders"
CREATE INDEX `order_created_at` ON `orders` (`created_at`);
-- Create index "order_discount_id_id" to table: "orders"
CREATE INDEX `order_discount_id_id` ON `orders` (`discount_id`, `id`);
-- Create "new_order_items" table
CREATE TABLE `new_order_items` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `sku` text NULL, `options` json NOT NULL, `product_name` text NOT NULL, `unit_price` integer NOT NULL, `quantity` integer NOT NULL, `discount_amount` integer NOT NULL DEFAULT (0), `order_id` integer NOT NULL, `product_id` integer NOT NULL, `variant_id` integer NOT NULL, CONSTRAINT `order_items_orders_items` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION, CONSTRAINT `order_items_products_order_items` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE NO ACTION, CONSTRAINT `order_items_variants_order_items` FOREIGN KEY (`variant_id`) REFERENCES `variants` (`id`) ON DELETE NO ACTION, CONSTRAINT `order_item_discount_range` CHECK (discount_amount >= 0 AND discount_amount <= unit_price * quantity), CONSTRAINT `order_item_price_positive` CHECK (unit_price > 0), CONSTRAINT `order_item_quantity_range` CHECK (quantity >= 1 AND quantity <= 1000));
-- Copy rows from old table "order_items" to new temporary table "new_order_items"
INSERT INTO `new_order_items` (`id`, `created_at`, `sku`, `options`, `product_name`, `unit_price`, `quantity`, `order_id`, `product_id`, `variant_id`) SELECT `id`, `created_at`, `sku`, `options`, `product_name`, `unit_price`, `quantity`, `order_id`, `product_id`, `variant_id` FROM `order_items`;
-- Drop "order_items" table after copying rows
DROP TABLE `order_items`;
-- Rename temporary table "new_order_items" to "order_items"
ALTER TABLE `new_order_items` RENAME TO `order_items`;
-- Create index "orderitem_order_id_variant_id" to table: "order_items"
CREATE UNIQUE INDEX `orderitem_order_id_variant_id` ON `order_items` (`order_id`, `variant_id`);
-- Create index "orderitem_product_id" to table: "order_items"
CREATE INDEX `orderitem_product_id` ON `order_items` (`product_id`);
-- Create index "orderitem_variant_id" to table: "order_items"
CREATE INDEX `orderitem_variant_id` ON `order_items` (`variant_id`);
-- Create "discounts" table
CREATE TABLE `discounts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `deleted_at` datetime NULL, `code` text NOT NULL, `code_key` text NOT NULL, `type` text NOT NULL, `value` integer NOT NULL, `min_subtotal` integer NOT NULL DEFAULT (0), `starts_at` datetime NULL, `ends_at` datetime NULL, `usage_limit` integer NULL, `per_customer_limit` integer NULL, `times_used` integer NOT NULL DEFAULT (0), `is_active` bool NOT NULL DEFAULT (true), CONSTRAINT `discount_min_subtotal_nonneg` CHECK (min_subtotal >= 0), CONSTRAINT `discount_times_used_range` CHECK (times_used >= 0 AND (usage_limit IS NULL OR times_used <= usage_limit)), CONSTRAINT `discount_value_range` CHECK (value >= 1 AND (type <> 'percentage' OR value <= 100)), CONSTRAINT `discount_window` CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at));
-- Create index "discount_deleted_at" to table: "discounts"
CREATE INDEX `discount_deleted_at` ON `discounts` (`deleted_at`);
-- Create index "discount_code_key" to table: "discounts"
CREATE UNIQUE INDEX `discount_code_key` ON `discounts` (`code_key`) WHERE deleted_at IS NULL;
-- Create "discount_usages" table
CREATE TABLE `discount_usages` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `uses` integer NOT NULL DEFAULT (0), `in_cart` bool NOT NULL DEFAULT (false), `updated_at` datetime NOT NULL, `discount_id` integer NOT NULL, `user_id` integer NOT NULL, CONSTRAINT `discount_usages_discounts_usages` FOREIGN KEY (`discount_id`) REFERENCES `discounts` (`id`) ON DELETE NO ACTION, CONSTRAINT `discount_usages_users_discount_usages` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `discount_usage_uses_nonneg` CHECK (uses >= 0));
-- Create index "discountusage_discount_id_user_id" to table: "discount_usages"
CREATE UNIQUE INDEX `discountusage_discount_id_user_id` ON `discount_usages` (`discount_id`, `user_id`);
-- Create index "discountusage_user_id_in_cart" to table: "discount_usages"
CREATE UNIQUE INDEX `discountusage_user_id_in_cart` ON `discount_usages` (`user_id`) WHERE in_cart;
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;

-- Added by hand (make migrate-diff cannot express a backfill): orders placed
-- before discount codes had no discount, so their subtotal is their total.
-- The statements above add subtotal_amount with
-- DEFAULT 0.
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
