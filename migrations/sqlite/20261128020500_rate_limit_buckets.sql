-- Create "rate_limit_buckets" table
CREATE TABLE `rate_limit_buckets` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `key` text NOT NULL, `tat` datetime NOT NULL);
-- Create index "ratelimitbucket_key" to table: "rate_limit_buckets"
CREATE UNIQUE INDEX `ratelimitbucket_key` ON `rate_limit_buckets` (`key`);
-- Create index "ratelimitbucket_tat" to table: "rate_limit_buckets"
CREATE INDEX `ratelimitbucket_tat` ON `rate_limit_buckets` (`tat`);
