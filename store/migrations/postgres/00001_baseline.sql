-- The schema intake had before versioned migrations, exactly as GORM's
-- AutoMigrate made it. IF NOT EXISTS lets a database made by that release
-- adopt this version with its data untouched; Migrate then checks that no
-- column is missing. A baseline is never undone: it has no Down.
-- +goose Up
CREATE TABLE IF NOT EXISTS "projects" ("id" varchar(40),"name" varchar(200) NOT NULL,"rate_limit" bigint,"rate_per" varchar(1) NOT NULL DEFAULT '',"created_at" timestamptz,PRIMARY KEY ("id"));
CREATE TABLE IF NOT EXISTS "api_keys" ("id" varchar(40),"project_id" varchar(40) NOT NULL,"name" varchar(200) NOT NULL,"scope" varchar(16) NOT NULL,"hash" varchar(64) NOT NULL,"prefix" varchar(16) NOT NULL,"created_at" timestamptz,"last_used_at" timestamptz,"revoked_at" timestamptz,"expires_at" timestamptz,"rate_limit" bigint,"rate_per" varchar(1) NOT NULL DEFAULT '',"connector_id" varchar(40),PRIMARY KEY ("id"));
CREATE UNIQUE INDEX IF NOT EXISTS "idx_api_keys_hash" ON "api_keys" ("hash");
CREATE INDEX IF NOT EXISTS "idx_api_keys_project_id" ON "api_keys" ("project_id");
CREATE TABLE IF NOT EXISTS "metrics" ("id" varchar(40),"project_id" varchar(40) NOT NULL,"key" varchar(100) NOT NULL,"name" varchar(200) NOT NULL,"unit" varchar(20),"value" decimal NOT NULL DEFAULT 0,"value_at" timestamptz,"alerts" bigint NOT NULL DEFAULT 0,"created_at" timestamptz,"updated_at" timestamptz,PRIMARY KEY ("id"));
CREATE UNIQUE INDEX IF NOT EXISTS "idx_metric_project_key" ON "metrics" ("project_id","key");
CREATE TABLE IF NOT EXISTS "metric_points" ("id" varchar(40),"project_id" varchar(40) NOT NULL,"metric_id" varchar(40) NOT NULL,"call_id" varchar(64) NOT NULL,"seq" bigint NOT NULL DEFAULT 0,"value" decimal NOT NULL,"delta" decimal,"timestamp" timestamptz NOT NULL,"timestamp_ms" bigint NOT NULL,"source" varchar(200),"metadata" text,"rule_version" bigint,"created_at" timestamptz,PRIMARY KEY ("id"));
CREATE UNIQUE INDEX IF NOT EXISTS "idx_point_call_seq" ON "metric_points" ("call_id","seq");
CREATE INDEX IF NOT EXISTS "idx_point_metric_ts" ON "metric_points" ("metric_id","timestamp_ms");
CREATE INDEX IF NOT EXISTS "idx_metric_points_project_id" ON "metric_points" ("project_id");
CREATE TABLE IF NOT EXISTS "inbox_items" ("id" varchar(40),"project_id" varchar(40) NOT NULL,"call_id" varchar(64) NOT NULL,"connector_id" varchar(40),"source" varchar(200),"kind" varchar(40) NOT NULL,"failed" boolean NOT NULL DEFAULT false,"reason" text NOT NULL,"payload" text NOT NULL,"status" varchar(16) NOT NULL,"resolved_by" varchar(64),"created_at" timestamptz,"updated_at" timestamptz,PRIMARY KEY ("id"));
CREATE INDEX IF NOT EXISTS "idx_inbox_items_status" ON "inbox_items" ("status");
CREATE INDEX IF NOT EXISTS "idx_inbox_items_call_id" ON "inbox_items" ("call_id");
CREATE INDEX IF NOT EXISTS "idx_inbox_items_project_id" ON "inbox_items" ("project_id");
CREATE TABLE IF NOT EXISTS "calls" ("id" varchar(40),"ingest_id" varchar(64) NOT NULL,"project_id" varchar(40) NOT NULL,"connector_id" varchar(40),"source" varchar(200),"kind" varchar(40) NOT NULL,"status" varchar(16) NOT NULL,"error" text,"error_code" varchar(40),"attempts" bigint NOT NULL DEFAULT 0,"fingerprint" varchar(32),"workflow_id" varchar(300) NOT NULL,"result" text,"received_at" timestamptz NOT NULL,"completed_at" timestamptz,PRIMARY KEY ("id"));
CREATE INDEX IF NOT EXISTS "idx_calls_project_id" ON "calls" ("project_id");
CREATE UNIQUE INDEX IF NOT EXISTS "idx_calls_ingest_id" ON "calls" ("ingest_id");
CREATE TABLE IF NOT EXISTS "rule_sets" ("id" varchar(40),"project_id" varchar(40) NOT NULL,"connector_id" varchar(40) NOT NULL DEFAULT '',"source" varchar(200) NOT NULL DEFAULT '',"version" bigint NOT NULL,"rules" text NOT NULL,"created_at" timestamptz,PRIMARY KEY ("id"));
CREATE UNIQUE INDEX IF NOT EXISTS "idx_ruleset_version" ON "rule_sets" ("project_id","connector_id","source","version");
CREATE TABLE IF NOT EXISTS "tasks" ("id" varchar(40),"project_id" varchar(40) NOT NULL,"source" varchar(200) NOT NULL,"external_id" varchar(200),"text" text NOT NULL,"due_date" timestamptz,"priority" varchar(40),"notes" text,"call_id" varchar(64) NOT NULL,"created_at" timestamptz,"updated_at" timestamptz,PRIMARY KEY ("id"));
CREATE UNIQUE INDEX IF NOT EXISTS "idx_task_external" ON "tasks" ("project_id","source","external_id");
CREATE TABLE IF NOT EXISTS "connectors" ("id" varchar(40),"project_id" varchar(40) NOT NULL,"type" varchar(40) NOT NULL,"name" varchar(200) NOT NULL,"secret" text,"previous_secret" text,"previous_until" timestamptz,"settings" text NOT NULL DEFAULT '{}',"enabled" boolean NOT NULL DEFAULT true,"key_id" varchar(40),"created_at" timestamptz,"updated_at" timestamptz,PRIMARY KEY ("id"));
CREATE INDEX IF NOT EXISTS "idx_connectors_project_id" ON "connectors" ("project_id");
CREATE TABLE IF NOT EXISTS "identities" ("id" varchar(40),"project_id" varchar(40) NOT NULL,"connector_id" varchar(40) NOT NULL,"kind" varchar(16) NOT NULL,"external_id" varchar(200) NOT NULL,"name" varchar(200),"email" varchar(320),"user_id" varchar(40),"team_identity_id" varchar(40),"linked_id" varchar(40),"linked_at" timestamptz,"created_at" timestamptz,"updated_at" timestamptz,PRIMARY KEY ("id"));
CREATE INDEX IF NOT EXISTS "idx_identities_linked_id" ON "identities" ("linked_id");
CREATE UNIQUE INDEX IF NOT EXISTS "idx_identity_ext" ON "identities" ("project_id","connector_id","kind","external_id");
CREATE TABLE IF NOT EXISTS "entities" ("id" varchar(40),"project_id" varchar(40) NOT NULL,"kind" varchar(16) NOT NULL,"name" varchar(200) NOT NULL,"email" varchar(320),"team_id" varchar(40),"user_id" varchar(40),"created_at" timestamptz,"updated_at" timestamptz,PRIMARY KEY ("id"));
CREATE INDEX IF NOT EXISTS "idx_entities_project_id" ON "entities" ("project_id");
CREATE TABLE IF NOT EXISTS "users" ("id" varchar(40),"project_id" varchar(40) NOT NULL,"email" varchar(320) NOT NULL,"name" varchar(200),"created_at" timestamptz,PRIMARY KEY ("id"));
CREATE UNIQUE INDEX IF NOT EXISTS "idx_user_email" ON "users" ("project_id","email");
CREATE TABLE IF NOT EXISTS "activities" ("id" varchar(40),"project_id" varchar(40) NOT NULL,"connector_id" varchar(40) NOT NULL,"external_id" varchar(200) NOT NULL,"type" varchar(200) NOT NULL,"agent_id" varchar(200) NOT NULL,"agent_identity_id" varchar(40) NOT NULL,"team_identity_id" varchar(40),"moment" timestamptz NOT NULL,"moment_ms" bigint NOT NULL,"day" varchar(10) NOT NULL,"contact_key" varchar(200),"value" decimal,"value_is_money" boolean NOT NULL DEFAULT false,"call_id" varchar(64) NOT NULL,"created_at" timestamptz,"updated_at" timestamptz,PRIMARY KEY ("id"));
CREATE INDEX IF NOT EXISTS "idx_activity_type" ON "activities" ("project_id","type","moment_ms");
CREATE UNIQUE INDEX IF NOT EXISTS "idx_activity_ext" ON "activities" ("project_id","connector_id","external_id");
CREATE TABLE IF NOT EXISTS "sales" ("id" varchar(40),"project_id" varchar(40) NOT NULL,"connector_id" varchar(40) NOT NULL,"external_id" varchar(200) NOT NULL,"agent_id" varchar(200) NOT NULL,"agent_identity_id" varchar(40) NOT NULL,"team_identity_id" varchar(40),"proposition_id" varchar(200) NOT NULL,"proposition_identity_id" varchar(40) NOT NULL,"sold_at" timestamptz NOT NULL,"sold_at_ms" bigint NOT NULL,"day" varchar(10) NOT NULL,"cancelled_at" timestamptz,"is_retention" boolean NOT NULL DEFAULT false,"contract_value" decimal,"contact_key" varchar(200),"electricity_usage" decimal,"electricity_return" decimal,"gas_usage" decimal,"connection_count" bigint,"call_id" varchar(64) NOT NULL,"created_at" timestamptz,"updated_at" timestamptz,PRIMARY KEY ("id"));
CREATE INDEX IF NOT EXISTS "idx_sale_time" ON "sales" ("project_id","sold_at_ms");
CREATE UNIQUE INDEX IF NOT EXISTS "idx_sale_ext" ON "sales" ("project_id","connector_id","external_id");
CREATE TABLE IF NOT EXISTS "bodies" ("id" varchar(40),"project_id" varchar(40) NOT NULL,"data" bytea NOT NULL,"created_at" timestamptz,PRIMARY KEY ("id"));
CREATE INDEX IF NOT EXISTS "idx_bodies_created_at" ON "bodies" ("created_at");
CREATE TABLE IF NOT EXISTS "console_sessions" ("id" varchar(64),"token_hash" varchar(64) NOT NULL,"instance" boolean NOT NULL DEFAULT false,"project_id" varchar(40),"csrf" varchar(64) NOT NULL,"expires_at" timestamptz NOT NULL,"created_at" timestamptz,PRIMARY KEY ("id"));
CREATE INDEX IF NOT EXISTS "idx_console_sessions_expires_at" ON "console_sessions" ("expires_at");
CREATE TABLE IF NOT EXISTS "alerts" ("id" varchar(40),"project_id" varchar(40) NOT NULL,"name" varchar(200) NOT NULL,"metric_id" varchar(40) NOT NULL,"condition" text,"for" bigint NOT NULL DEFAULT 0,"stale_after" bigint NOT NULL DEFAULT 0,"channels" text NOT NULL,"enabled" boolean NOT NULL DEFAULT true,"state" varchar(16) NOT NULL,"pending_since" timestamptz,"seen_at" timestamptz,"last_value" decimal,"last_error" text,"changed_at" timestamptz,"created_at" timestamptz,"updated_at" timestamptz,PRIMARY KEY ("id"));
CREATE INDEX IF NOT EXISTS "idx_alerts_state" ON "alerts" ("state");
CREATE INDEX IF NOT EXISTS "idx_alerts_metric_id" ON "alerts" ("metric_id");
CREATE INDEX IF NOT EXISTS "idx_alerts_project_id" ON "alerts" ("project_id");
CREATE TABLE IF NOT EXISTS "alert_events" ("id" varchar(40),"project_id" varchar(40) NOT NULL,"alert_id" varchar(40) NOT NULL,"state" varchar(16) NOT NULL,"value" decimal,"previous" decimal,"call_id" varchar(64),"reason" text,"at" timestamptz NOT NULL,"delivered_at" timestamptz,"failed" boolean NOT NULL DEFAULT false,"error" text,"created_at" timestamptz,PRIMARY KEY ("id"));
CREATE INDEX IF NOT EXISTS "idx_alert_events_created_at" ON "alert_events" ("created_at");
CREATE INDEX IF NOT EXISTS "idx_alert_events_delivered_at" ON "alert_events" ("delivered_at");
CREATE INDEX IF NOT EXISTS "idx_alert_events_alert_id" ON "alert_events" ("alert_id");
CREATE INDEX IF NOT EXISTS "idx_alert_events_project_id" ON "alert_events" ("project_id");
CREATE TABLE IF NOT EXISTS "alert_deliveries" ("event_id" varchar(40),"channel_key" varchar(32),"delivered_at" timestamptz NOT NULL,PRIMARY KEY ("event_id","channel_key"));
