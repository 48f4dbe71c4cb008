-- A connector's deliveries and signature failures, for the console's
-- Connectors pages and GET /api/admin/connectors/{id}: hourly buckets of
-- refused deliveries, and an index that lists and counts one connector's
-- calls without reading the project's others.
--
-- No transaction: the index is built CONCURRENTLY, so that the serve
-- processes of the previous version keep recording calls while it builds.
-- A build that fails leaves an invalid index behind; drop it
-- (DROP INDEX idx_calls_connector) before migrating again.
-- +goose NO TRANSACTION
-- +goose Up
CREATE TABLE IF NOT EXISTS "signature_failures" ("connector_id" varchar(40),"hour" timestamptz,"project_id" varchar(40) NOT NULL,"count" bigint NOT NULL DEFAULT 0,"last_at" timestamptz NOT NULL,"last_reason" varchar(300) NOT NULL,PRIMARY KEY ("connector_id","hour"));
CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_calls_connector" ON "calls" ("connector_id","id");

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS "idx_calls_connector";
DROP TABLE IF EXISTS "signature_failures";
