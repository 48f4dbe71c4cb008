-- A connector's deliveries and signature failures, for the console's
-- Connectors pages and GET /api/admin/connectors/{id}: hourly buckets of
-- refused deliveries, and an index that lists and counts one connector's
-- calls without reading the project's others.
--
-- No transaction: the index is built CONCURRENTLY, so that the serve
-- processes of the previous version keep recording calls while it builds.
-- A build that fails leaves an invalid index behind, which IF NOT EXISTS
-- would take for the index when the migration is run again: it is dropped
-- first (there is no valid one to lose, the migration not being applied).
-- +goose NO TRANSACTION
-- +goose Up
CREATE TABLE IF NOT EXISTS "signature_failures" ("connector_id" varchar(40),"hour" timestamptz,"project_id" varchar(40) NOT NULL,"count" bigint NOT NULL DEFAULT 0,"last_at" timestamptz NOT NULL,"last_reason" varchar(300) NOT NULL,PRIMARY KEY ("connector_id","hour"));
DROP INDEX CONCURRENTLY IF EXISTS "idx_calls_connector";
CREATE INDEX CONCURRENTLY "idx_calls_connector" ON "calls" ("connector_id","id");

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS "idx_calls_connector";
DROP TABLE IF EXISTS "signature_failures";
