-- Add column "api_key_id" to table: "audit_logs"
ALTER TABLE `audit_logs` ADD COLUMN `api_key_id` integer NULL;
-- Create "api_keys" table
CREATE TABLE `api_keys` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `name` text NOT NULL, `prefix` text NOT NULL, `key_hash` text NOT NULL, `last_used_at` datetime NULL, `revoked_at` datetime NULL);
-- Create index "apikey_key_hash" to table: "api_keys"
CREATE UNIQUE INDEX `apikey_key_hash` ON `api_keys` (`key_hash`);
-- Create "webhooks" table
CREATE TABLE `webhooks` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `url` text NOT NULL, `events` json NOT NULL, `description` text NOT NULL DEFAULT (''), `active` bool NOT NULL DEFAULT (true), `secret` text NOT NULL);
