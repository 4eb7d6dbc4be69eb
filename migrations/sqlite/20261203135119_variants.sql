-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_products" table
CREATE TABLE `new_products` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `deleted_at` datetime NULL, `name` text NOT NULL, `description` text NOT NULL DEFAULT (''), `price` integer NOT NULL, `stock` integer NOT NULL DEFAULT (0), `is_active` bool NOT NULL DEFAULT (true), `options` json NOT NULL, `version` integer NOT NULL DEFAULT (1), `category_id` integer NOT NULL, CONSTRAINT `products_categories_products` FOREIGN KEY (`category_id`) REFERENCES `categories` (`id`) ON DELETE NO ACTION, CONSTRAINT `product_price_positive` CHECK (price > 0), CONSTRAINT `product_stock_max` CHECK (stock <= 1000000000), CONSTRAINT `product_stock_nonneg` CHECK (stock >= 0), CONSTRAINT `product_version_positive` CHECK (version > 0));
-- Copy rows from old table "products" to new temporary table "new_products"
INSERT INTO `new_products` (`id`, `created_at`, `updated_at`, `deleted_at`, `name`, `description`, `price`, `stock`, `is_active`, `options`, `version`, `category_id`) SELECT `id`, `created_at`, `updated_at`, `deleted_at`, `name`, `description`, `price`, `stock`, `is_active`, '[]', `version`, `category_id` FROM `products`;
-- Drop "products" table after copying rows
DROP TABLE `products`;
-- Rename temporary table "new_products" to "products"
ALTER TABLE `new_products` RENAME TO `products`;
-- Create index "product_deleted_at" to table: "products"
CREATE INDEX `product_deleted_at` ON `products` (`deleted_at`);
-- Create index "product_category_id" to table: "products"
CREATE INDEX `product_category_id` ON `products` (`category_id`);
-- Create index "product_created_at_id" to table: "products"
CREATE INDEX `product_created_at_id` ON `products` (`created_at`, `id`);
-- Create index "product_price_id" to table: "products"
CREATE INDEX `product_price_id` ON `products` (`price`, `id`);
-- Create index "product_name_id" to table: "products"
CREATE INDEX `product_name_id` ON `products` (`name`, `id`);
-- Create index "product_name_trgm" to table: "products"
CREATE INDEX `product_name_trgm` ON `products` (`name`);
-- Create index "product_description_trgm" to table: "products"
CREATE INDEX `product_description_trgm` ON `products` (`description`);
-- Create "variants" table
CREATE TABLE `variants` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `deleted_at` datetime NULL, `sku` text NULL, `options` json NOT NULL, `options_key` text NOT NULL, `price` integer NULL, `stock` integer NOT NULL DEFAULT (0), `is_active` bool NOT NULL DEFAULT (true), `version` integer NOT NULL DEFAULT (1), `product_id` integer NOT NULL, CONSTRAINT `variants_products_variants` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE NO ACTION, CONSTRAINT `variant_price_positive` CHECK (price IS NULL OR price > 0), CONSTRAINT `variant_stock_max` CHECK (stock <= 1000000000), CONSTRAINT `variant_stock_nonneg` CHECK (stock >= 0), CONSTRAINT `variant_version_positive` CHECK (version > 0));
-- Create index "variant_deleted_at" to table: "variants"
CREATE INDEX `variant_deleted_at` ON `variants` (`deleted_at`);
-- Create index "variant_product_id_id" to table: "variants"
CREATE INDEX `variant_product_id_id` ON `variants` (`product_id`, `id`);
-- Create index "variant_sku_live" to table: "variants"
CREATE UNIQUE INDEX `variant_sku_live` ON `variants` (`sku`) WHERE deleted_at IS NULL AND sku IS NOT NULL;
-- Create index "variant_options_live" to table: "variants"
CREATE UNIQUE INDEX `variant_options_live` ON `variants` (`product_id`, `options_key`) WHERE deleted_at IS NULL;
-- Data (written by hand): every existing product becomes a one-variant product,
-- its variant holding the product's stock (live even when the product is
-- deleted, so a cancelled order of it can restock it); every cart line,
-- order line and movement above points at that variant.
INSERT INTO `variants` (`created_at`, `updated_at`, `deleted_at`, `sku`, `options`, `options_key`, `price`, `stock`, `is_active`, `version`, `product_id`) SELECT `created_at`, `updated_at`, NULL, NULL, '{}', '[]', NULL, `stock`, true, 1, `id` FROM `products` ORDER BY `id`;
-- Create "new_cart_items" table
CREATE TABLE `new_cart_items` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `quantity` integer NOT NULL, `product_id` integer NOT NULL, `user_id` integer NOT NULL, `variant_id` integer NOT NULL, CONSTRAINT `cart_items_products_cart_items` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE NO ACTION, CONSTRAINT `cart_items_users_cart_items` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `cart_items_variants_cart_items` FOREIGN KEY (`variant_id`) REFERENCES `variants` (`id`) ON DELETE NO ACTION, CONSTRAINT `cart_item_quantity_range` CHECK (quantity >= 1 AND quantity <= 1000));
-- Copy rows from old table "cart_items" to new temporary table "new_cart_items"
INSERT INTO `new_cart_items` (`id`, `created_at`, `updated_at`, `quantity`, `product_id`, `user_id`, `variant_id`) SELECT `id`, `created_at`, `updated_at`, `quantity`, `product_id`, `user_id`, (SELECT v.`id` FROM `variants` AS v WHERE v.`product_id` = `cart_items`.`product_id`) FROM `cart_items`;
-- Drop "cart_items" table after copying rows
DROP TABLE `cart_items`;
-- Rename temporary table "new_cart_items" to "cart_items"
ALTER TABLE `new_cart_items` RENAME TO `cart_items`;
-- Create index "cartitem_user_id_variant_id" to table: "cart_items"
CREATE UNIQUE INDEX `cartitem_user_id_variant_id` ON `cart_items` (`user_id`, `variant_id`);
-- Create index "cartitem_product_id" to table: "cart_items"
CREATE INDEX `cartitem_product_id` ON `cart_items` (`product_id`);
-- Create index "cartitem_variant_id" to table: "cart_items"
CREATE INDEX `cartitem_variant_id` ON `cart_items` (`variant_id`);
-- Create "new_inventory_movements" table
CREATE TABLE `new_inventory_movements` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `quantity_change` integer NOT NULL, `reason` text NOT NULL, `order_id` integer NULL, `product_id` integer NOT NULL, `actor_id` integer NULL, `variant_id` integer NOT NULL, CONSTRAINT `inventory_movements_orders_inventory_movements` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL, CONSTRAINT `inventory_movements_products_inventory_movements` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE NO ACTION, CONSTRAINT `inventory_movements_users_inventory_movements` FOREIGN KEY (`actor_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `inventory_movements_variants_inventory_movements` FOREIGN KEY (`variant_id`) REFERENCES `variants` (`id`) ON DELETE NO ACTION, CONSTRAINT `inventory_movement_nonzero` CHECK (quantity_change <> 0));
-- Copy rows from old table "inventory_movements" to new temporary table "new_inventory_movements"
INSERT INTO `new_inventory_movements` (`id`, `created_at`, `quantity_change`, `reason`, `order_id`, `product_id`, `actor_id`, `variant_id`) SELECT `id`, `created_at`, `quantity_change`, `reason`, `order_id`, `product_id`, `actor_id`, (SELECT v.`id` FROM `variants` AS v WHERE v.`product_id` = `inventory_movements`.`product_id`) FROM `inventory_movements`;
-- Drop "inventory_movements" table after copying rows
DROP TABLE `inventory_movements`;
-- Rename temporary table "new_inventory_movements" to "inventory_movements"
ALTER TABLE `new_inventory_movements` RENAME TO `inventory_movements`;
-- Create index "inventorymovement_product_id_id" to table: "inventory_movements"
CREATE INDEX `inventorymovement_product_id_id` ON `inventory_movements` (`product_id`, `id`);
-- Create index "inventorymovement_variant_id_id" to table: "inventory_movements"
CREATE INDEX `inventorymovement_variant_id_id` ON `inventory_movements` (`variant_id`, `id`);
-- Create index "inventorymovement_order_id" to table: "inventory_movements"
CREATE INDEX `inventorymovement_order_id` ON `inventory_movements` (`order_id`);
-- Create index "inventorymovement_actor_id" to table: "inventory_movements"
CREATE INDEX `inventorymovement_actor_id` ON `inventory_movements` (`actor_id`);
-- Create "new_order_items" table
CREATE TABLE `new_order_items` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `sku` text NULL, `options` json NOT NULL, `product_name` text NOT NULL, `unit_price` integer NOT NULL, `quantity` integer NOT NULL, `order_id` integer NOT NULL, `product_id` integer NOT NULL, `variant_id` integer NOT NULL, CONSTRAINT `order_items_orders_items` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION, CONSTRAINT `order_items_products_order_items` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE NO ACTION, CONSTRAINT `order_items_variants_order_items` FOREIGN KEY (`variant_id`) REFERENCES `variants` (`id`) ON DELETE NO ACTION, CONSTRAINT `order_item_price_positive` CHECK (unit_price > 0), CONSTRAINT `order_item_quantity_range` CHECK (quantity >= 1 AND quantity <= 1000));
-- Copy rows from old table "order_items" to new temporary table "new_order_items"
INSERT INTO `new_order_items` (`id`, `created_at`, `options`, `product_name`, `unit_price`, `quantity`, `order_id`, `product_id`, `variant_id`) SELECT `id`, `created_at`, '{}', `product_name`, `unit_price`, `quantity`, `order_id`, `product_id`, (SELECT v.`id` FROM `variants` AS v WHERE v.`product_id` = `order_items`.`product_id`) FROM `order_items`;
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
-- Triggers (written by hand): a product's stock is the sum of its live
-- variants' stock, kept by the database in the statement that changes a
-- variant, whatever the path.
CREATE TRIGGER `variant_stock_insert` AFTER INSERT ON `variants` WHEN NEW.`deleted_at` IS NULL AND NEW.`stock` <> 0
BEGIN
  UPDATE `products` SET `stock` = `stock` + NEW.`stock` WHERE `id` = NEW.`product_id`;
END;
CREATE TRIGGER `variant_stock_update` AFTER UPDATE OF `stock`, `deleted_at` ON `variants`
WHEN (CASE WHEN NEW.`deleted_at` IS NULL THEN NEW.`stock` ELSE 0 END) <> (CASE WHEN OLD.`deleted_at` IS NULL THEN OLD.`stock` ELSE 0 END)
BEGIN
  UPDATE `products` SET `stock` = `stock` + (CASE WHEN NEW.`deleted_at` IS NULL THEN NEW.`stock` ELSE 0 END) - (CASE WHEN OLD.`deleted_at` IS NULL THEN OLD.`stock` ELSE 0 END) WHERE `id` = NEW.`product_id`;
END;
CREATE TRIGGER `variant_stock_delete` AFTER DELETE ON `variants` WHEN OLD.`deleted_at` IS NULL AND OLD.`stock` <> 0
BEGIN
  UPDATE `products` SET `stock` = `stock` - OLD.`stock` WHERE `id` = OLD.`product_id`;
END;
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
