-- A connector's deliveries and signature failures, for the console's
-- Connectors pages and GET /api/admin/connectors/{id}: hourly buckets of
-- refused deliveries, and an index that lists and counts one connector's
-- calls without reading the project's others.
-- +goose Up
CREATE TABLE IF NOT EXISTS `signature_failures` (`connector_id` text,`hour` datetime,`project_id` text NOT NULL,`count` integer NOT NULL DEFAULT 0,`last_at` datetime NOT NULL,`last_reason` text NOT NULL,PRIMARY KEY (`connector_id`,`hour`));
CREATE INDEX IF NOT EXISTS `idx_calls_connector` ON `calls`(`connector_id`,`id`);

-- +goose Down
DROP INDEX IF EXISTS `idx_calls_connector`;
DROP TABLE IF EXISTS `signature_failures`;
