-- Drop index "product_created_at" from table: "products"
DROP INDEX `product_created_at`;
-- Drop index "product_price" from table: "products"
DROP INDEX `product_price`;
-- Create index "product_created_at_id" to table: "products"
CREATE INDEX `product_created_at_id` ON `products` (`created_at`, `id`);
-- Create index "product_price_id" to table: "products"
CREATE INDEX `product_price_id` ON `products` (`price`, `id`);
-- Create index "product_name_id" to table: "products"
CREATE INDEX `product_name_id` ON `products` (`name`, `id`);
