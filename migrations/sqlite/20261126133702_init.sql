-- Create "audit_logs" table
CREATE TABLE `audit_logs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `action` text NOT NULL, `entity` text NOT NULL, `entity_id` integer NOT NULL, `changes` json NOT NULL, `request_id` text NOT NULL DEFAULT (''), `ip` text NOT NULL DEFAULT (''), `actor_id` integer NULL, CONSTRAINT `audit_logs_users_audit_logs` FOREIGN KEY (`actor_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Create index "auditlog_entity_entity_id_id" to table: "audit_logs"
CREATE INDEX `auditlog_entity_entity_id_id` ON `audit_logs` (`entity`, `entity_id`, `id`);
-- Create index "auditlog_actor_id_id" to table: "audit_logs"
CREATE INDEX `auditlog_actor_id_id` ON `audit_logs` (`actor_id`, `id`);
-- Create "cart_items" table
CREATE TABLE `cart_items` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `quantity` integer NOT NULL, `product_id` integer NOT NULL, `user_id` integer NOT NULL, CONSTRAINT `cart_items_products_cart_items` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE NO ACTION, CONSTRAINT `cart_items_users_cart_items` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `cart_item_quantity_range` CHECK (quantity >= 1 AND quantity <= 1000));
-- Create index "cartitem_user_id_product_id" to table: "cart_items"
CREATE UNIQUE INDEX `cartitem_user_id_product_id` ON `cart_items` (`user_id`, `product_id`);
-- Create index "cartitem_product_id" to table: "cart_items"
CREATE INDEX `cartitem_product_id` ON `cart_items` (`product_id`);
-- Create "categories" table
CREATE TABLE `categories` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `deleted_at` datetime NULL, `name` text NOT NULL, `slug` text NOT NULL, `parent_id` integer NULL, CONSTRAINT `categories_categories_children` FOREIGN KEY (`parent_id`) REFERENCES `categories` (`id`) ON DELETE SET NULL);
-- Create index "category_deleted_at" to table: "categories"
CREATE INDEX `category_deleted_at` ON `categories` (`deleted_at`);
-- Create index "category_slug" to table: "categories"
CREATE UNIQUE INDEX `category_slug` ON `categories` (`slug`);
-- Create index "category_parent_id" to table: "categories"
CREATE INDEX `category_parent_id` ON `categories` (`parent_id`);
-- Create "idempotency_keys" table
CREATE TABLE `idempotency_keys` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `key` text NOT NULL, `request_hash` text NOT NULL, `expires_at` datetime NOT NULL, `order_id` integer NULL, `user_id` integer NOT NULL, CONSTRAINT `idempotency_keys_orders_idempotency_keys` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL, CONSTRAINT `idempotency_keys_users_idempotency_keys` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Create index "idempotencykey_user_id_key" to table: "idempotency_keys"
CREATE UNIQUE INDEX `idempotencykey_user_id_key` ON `idempotency_keys` (`user_id`, `key`);
-- Create index "idempotencykey_order_id" to table: "idempotency_keys"
CREATE INDEX `idempotencykey_order_id` ON `idempotency_keys` (`order_id`);
-- Create index "idempotencykey_expires_at" to table: "idempotency_keys"
CREATE INDEX `idempotencykey_expires_at` ON `idempotency_keys` (`expires_at`);
-- Create "inventory_movements" table
CREATE TABLE `inventory_movements` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `quantity_change` integer NOT NULL, `reason` text NOT NULL, `order_id` integer NULL, `product_id` integer NOT NULL, `actor_id` integer NULL, CONSTRAINT `inventory_movements_orders_inventory_movements` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL, CONSTRAINT `inventory_movements_products_inventory_movements` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE NO ACTION, CONSTRAINT `inventory_movements_users_inventory_movements` FOREIGN KEY (`actor_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `inventory_movement_nonzero` CHECK (quantity_change <> 0));
-- Create index "inventorymovement_product_id_id" to table: "inventory_movements"
CREATE INDEX `inventorymovement_product_id_id` ON `inventory_movements` (`product_id`, `id`);
-- Create index "inventorymovement_order_id" to table: "inventory_movements"
CREATE INDEX `inventorymovement_order_id` ON `inventory_movements` (`order_id`);
-- Create index "inventorymovement_actor_id" to table: "inventory_movements"
CREATE INDEX `inventorymovement_actor_id` ON `inventory_movements` (`actor_id`);
-- Create "orders" table
CREATE TABLE `orders` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `status` text NOT NULL DEFAULT ('pending'), `total_amount` integer NOT NULL, `currency` text NOT NULL, `user_id` integer NOT NULL, CONSTRAINT `orders_users_orders` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `order_total_nonneg` CHECK (total_amount >= 0));
-- Create index "order_user_id_id" to table: "orders"
CREATE INDEX `order_user_id_id` ON `orders` (`user_id`, `id`);
-- Create index "order_status_id" to table: "orders"
CREATE INDEX `order_status_id` ON `orders` (`status`, `id`);
-- Create index "order_created_at" to table: "orders"
CREATE INDEX `order_created_at` ON `orders` (`created_at`);
-- Create "order_items" table
CREATE TABLE `order_items` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `product_name` text NOT NULL, `unit_price` integer NOT NULL, `quantity` integer NOT NULL, `order_id` integer NOT NULL, `product_id` integer NOT NULL, CONSTRAINT `order_items_orders_items` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION, CONSTRAINT `order_items_products_order_items` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE NO ACTION, CONSTRAINT `order_item_price_positive` CHECK (unit_price > 0), CONSTRAINT `order_item_quantity_range` CHECK (quantity >= 1 AND quantity <= 1000));
-- Create index "orderitem_order_id_product_id" to table: "order_items"
CREATE UNIQUE INDEX `orderitem_order_id_product_id` ON `order_items` (`order_id`, `product_id`);
-- Create index "orderitem_product_id" to table: "order_items"
CREATE INDEX `orderitem_product_id` ON `order_items` (`product_id`);
-- Create "products" table
CREATE TABLE `products` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `deleted_at` datetime NULL, `name` text NOT NULL, `description` text NOT NULL DEFAULT (''), `price` integer NOT NULL, `stock` integer NOT NULL DEFAULT (0), `is_active` bool NOT NULL DEFAULT (true), `version` integer NOT NULL DEFAULT (1), `category_id` integer NOT NULL, CONSTRAINT `products_categories_products` FOREIGN KEY (`category_id`) REFERENCES `categories` (`id`) ON DELETE NO ACTION, CONSTRAINT `product_price_positive` CHECK (price > 0), CONSTRAINT `product_stock_max` CHECK (stock <= 1000000000), CONSTRAINT `product_stock_nonneg` CHECK (stock >= 0), CONSTRAINT `product_version_positive` CHECK (version > 0));
-- Create index "product_deleted_at" to table: "products"
CREATE INDEX `product_deleted_at` ON `products` (`deleted_at`);
-- Create index "product_category_id" to table: "products"
CREATE INDEX `product_category_id` ON `products` (`category_id`);
-- Create index "product_created_at" to table: "products"
CREATE INDEX `product_created_at` ON `products` (`created_at`);
-- Create index "product_price" to table: "products"
CREATE INDEX `product_price` ON `products` (`price`);
-- Create index "product_name_trgm" to table: "products"
CREATE INDEX `product_name_trgm` ON `products` (`name`);
-- Create index "product_description_trgm" to table: "products"
CREATE INDEX `product_description_trgm` ON `products` (`description`);
-- Create "users" table
CREATE TABLE `users` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `password_hash` text NOT NULL, `name` text NOT NULL, `role` text NOT NULL DEFAULT ('customer'));
-- Create index "user_email" to table: "users"
CREATE UNIQUE INDEX `user_email` ON `users` (`email`);
