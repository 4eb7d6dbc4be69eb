-- Modify "products" table
ALTER TABLE "products" ALTER COLUMN "description" TYPE text;
