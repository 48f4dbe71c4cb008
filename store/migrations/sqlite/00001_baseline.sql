-- The schema intake had before versioned migrations, exactly as GORM's
-- AutoMigrate made it. IF NOT EXISTS lets a database made by that release
-- adopt this version with its data untouched; Migrate then checks that no
-- column is missing. A baseline is never undone: it has no Down.
-- +goose Up
CREATE TABLE IF NOT EXISTS `projects` (`id` text,`name` text NOT NULL,`rate_limit` integer,`rate_per` text NOT NULL DEFAULT '',`created_at` datetime,PRIMARY KEY (`id`));
CREATE TABLE IF NOT EXISTS `api_keys` (`id` text,`project_id` text NOT NULL,`name` text NOT NULL,`scope` text NOT NULL,`hash` text NOT NULL,`prefix` text NOT NULL,`created_at` datetime,`last_used_at` datetime,`revoked_at` datetime,`expires_at` datetime,`rate_limit` integer,`rate_per` text NOT NULL DEFAULT '',`connector_id` text,PRIMARY KEY (`id`));
CREATE UNIQUE INDEX IF NOT EXISTS `idx_api_keys_hash` ON `api_keys`(`hash`);
CREATE INDEX IF NOT EXISTS `idx_api_keys_project_id` ON `api_keys`(`project_id`);
CREATE TABLE IF NOT EXISTS `metrics` (`id` text,`project_id` text NOT NULL,`key` text NOT NULL,`name` text NOT NULL,`unit` text,`value` real NOT NULL DEFAULT 0,`value_at` datetime,`alerts` integer NOT NULL DEFAULT 0,`created_at` datetime,`updated_at` datetime,PRIMARY KEY (`id`));
CREATE UNIQUE INDEX IF NOT EXISTS `idx_metric_project_key` ON `metrics`(`project_id`,`key`);
CREATE TABLE IF NOT EXISTS `metric_points` (`id` text,`project_id` text NOT NULL,`metric_id` text NOT NULL,`call_id` text NOT NULL,`seq` integer NOT NULL DEFAULT 0,`value` real NOT NULL,`delta` real,`timestamp` datetime NOT NULL,`timestamp_ms` integer NOT NULL,`source` text,`metadata` text,`rule_version` integer,`created_at` datetime,PRIMARY KEY (`id`));
CREATE UNIQUE INDEX IF NOT EXISTS `idx_point_call_seq` ON `metric_points`(`call_id`,`seq`);
CREATE INDEX IF NOT EXISTS `idx_point_metric_ts` ON `metric_points`(`metric_id`,`timestamp_ms`);
CREATE INDEX IF NOT EXISTS `idx_metric_points_project_id` ON `metric_points`(`project_id`);
CREATE TABLE IF NOT EXISTS `inbox_items` (`id` text,`project_id` text NOT NULL,`call_id` text NOT NULL,`connector_id` text,`source` text,`kind` text NOT NULL,`failed` numeric NOT NULL DEFAULT false,`reason` text NOT NULL,`payload` text NOT NULL,`status` text NOT NULL,`resolved_by` text,`created_at` datetime,`updated_at` datetime,PRIMARY KEY (`id`));
CREATE INDEX IF NOT EXISTS `idx_inbox_items_status` ON `inbox_items`(`status`);
CREATE INDEX IF NOT EXISTS `idx_inbox_items_call_id` ON `inbox_items`(`call_id`);
CREATE INDEX IF NOT EXISTS `idx_inbox_items_project_id` ON `inbox_items`(`project_id`);
CREATE TABLE IF NOT EXISTS `calls` (`id` text,`ingest_id` text NOT NULL,`project_id` text NOT NULL,`connector_id` text,`source` text,`kind` text NOT NULL,`status` text NOT NULL,`error` text,`error_code` text,`attempts` integer NOT NULL DEFAULT 0,`fingerprint` text,`workflow_id` text NOT NULL,`result` text,`received_at` datetime NOT NULL,`completed_at` datetime,PRIMARY KEY (`id`));
CREATE INDEX IF NOT EXISTS `idx_calls_project_id` ON `calls`(`project_id`);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_calls_ingest_id` ON `calls`(`ingest_id`);
CREATE TABLE IF NOT EXISTS `rule_sets` (`id` text,`project_id` text NOT NULL,`connector_id` text NOT NULL DEFAULT '',`source` text NOT NULL DEFAULT '',`version` integer NOT NULL,`rules` text NOT NULL,`created_at` datetime,PRIMARY KEY (`id`));
CREATE UNIQUE INDEX IF NOT EXISTS `idx_ruleset_version` ON `rule_sets`(`project_id`,`connector_id`,`source`,`version`);
CREATE TABLE IF NOT EXISTS `tasks` (`id` text,`project_id` text NOT NULL,`source` text NOT NULL,`external_id` text,`text` text NOT NULL,`due_date` datetime,`priority` text,`notes` text,`call_id` text NOT NULL,`created_at` datetime,`updated_at` datetime,PRIMARY KEY (`id`));
CREATE UNIQUE INDEX IF NOT EXISTS `idx_task_external` ON `tasks`(`project_id`,`source`,`external_id`);
CREATE TABLE IF NOT EXISTS `connectors` (`id` text,`project_id` text NOT NULL,`type` text NOT NULL,`name` text NOT NULL,`secret` text,`previous_secret` text,`previous_until` datetime,`settings` text NOT NULL DEFAULT "{}",`enabled` numeric NOT NULL DEFAULT true,`key_id` text,`created_at` datetime,`updated_at` datetime,PRIMARY KEY (`id`));
CREATE INDEX IF NOT EXISTS `idx_connectors_project_id` ON `connectors`(`project_id`);
CREATE TABLE IF NOT EXISTS `identities` (`id` text,`project_id` text NOT NULL,`connector_id` text NOT NULL,`kind` text NOT NULL,`external_id` text NOT NULL,`name` text,`email` text,`user_id` text,`team_identity_id` text,`linked_id` text,`linked_at` datetime,`created_at` datetime,`updated_at` datetime,PRIMARY KEY (`id`));
CREATE INDEX IF NOT EXISTS `idx_identities_linked_id` ON `identities`(`linked_id`);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_identity_ext` ON `identities`(`project_id`,`connector_id`,`kind`,`external_id`);
CREATE TABLE IF NOT EXISTS `entities` (`id` text,`project_id` text NOT NULL,`kind` text NOT NULL,`name` text NOT NULL,`email` text,`team_id` text,`user_id` text,`created_at` datetime,`updated_at` datetime,PRIMARY KEY (`id`));
CREATE INDEX IF NOT EXISTS `idx_entities_project_id` ON `entities`(`project_id`);
CREATE TABLE IF NOT EXISTS `users` (`id` text,`project_id` text NOT NULL,`email` text NOT NULL,`name` text,`created_at` datetime,PRIMARY KEY (`id`));
CREATE UNIQUE INDEX IF NOT EXISTS `idx_user_email` ON `users`(`project_id`,`email`);
CREATE TABLE IF NOT EXISTS `activities` (`id` text,`project_id` text NOT NULL,`connector_id` text NOT NULL,`external_id` text NOT NULL,`type` text NOT NULL,`agent_id` text NOT NULL,`agent_identity_id` text NOT NULL,`team_identity_id` text,`moment` datetime NOT NULL,`moment_ms` integer NOT NULL,`day` text NOT NULL,`contact_key` text,`value` real,`value_is_money` numeric NOT NULL DEFAULT false,`call_id` text NOT NULL,`created_at` datetime,`updated_at` datetime,PRIMARY KEY (`id`));
CREATE INDEX IF NOT EXISTS `idx_activity_type` ON `activities`(`project_id`,`type`,`moment_ms`);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_activity_ext` ON `activities`(`project_id`,`connector_id`,`external_id`);
CREATE TABLE IF NOT EXISTS `sales` (`id` text,`project_id` text NOT NULL,`connector_id` text NOT NULL,`external_id` text NOT NULL,`agent_id` text NOT NULL,`agent_identity_id` text NOT NULL,`team_identity_id` text,`proposition_id` text NOT NULL,`proposition_identity_id` text NOT NULL,`sold_at` datetime NOT NULL,`sold_at_ms` integer NOT NULL,`day` text NOT NULL,`cancelled_at` datetime,`is_retention` numeric NOT NULL DEFAULT false,`contract_value` real,`contact_key` text,`electricity_usage` real,`electricity_return` real,`gas_usage` real,`connection_count` integer,`call_id` text NOT NULL,`created_at` datetime,`updated_at` datetime,PRIMARY KEY (`id`));
CREATE INDEX IF NOT EXISTS `idx_sale_time` ON `sales`(`project_id`,`sold_at_ms`);
CREATE UNIQUE INDEX IF NOT EXISTS `idx_sale_ext` ON `sales`(`project_id`,`connector_id`,`external_id`);
CREATE TABLE IF NOT EXISTS `bodies` (`id` text,`project_id` text NOT NULL,`data` blob NOT NULL,`created_at` datetime,PRIMARY KEY (`id`));
CREATE INDEX IF NOT EXISTS `idx_bodies_created_at` ON `bodies`(`created_at`);
CREATE TABLE IF NOT EXISTS `console_sessions` (`id` text,`token_hash` text NOT NULL,`instance` numeric NOT NULL DEFAULT false,`project_id` text,`csrf` text NOT NULL,`expires_at` datetime NOT NULL,`created_at` datetime,PRIMARY KEY (`id`));
CREATE INDEX IF NOT EXISTS `idx_console_sessions_expires_at` ON `console_sessions`(`expires_at`);
CREATE TABLE IF NOT EXISTS `alerts` (`id` text,`project_id` text NOT NULL,`name` text NOT NULL,`metric_id` text NOT NULL,`condition` text,`for` integer NOT NULL DEFAULT 0,`stale_after` integer NOT NULL DEFAULT 0,`channels` text NOT NULL,`enabled` numeric NOT NULL DEFAULT true,`state` text NOT NULL,`pending_since` datetime,`seen_at` datetime,`last_value` real,`last_error` text,`changed_at` datetime,`created_at` datetime,`updated_at` datetime,PRIMARY KEY (`id`));
CREATE INDEX IF NOT EXISTS `idx_alerts_state` ON `alerts`(`state`);
CREATE INDEX IF NOT EXISTS `idx_alerts_metric_id` ON `alerts`(`metric_id`);
CREATE INDEX IF NOT EXISTS `idx_alerts_project_id` ON `alerts`(`project_id`);
CREATE TABLE IF NOT EXISTS `alert_events` (`id` text,`project_id` text NOT NULL,`alert_id` text NOT NULL,`state` text NOT NULL,`value` real,`previous` real,`call_id` text,`reason` text,`at` datetime NOT NULL,`delivered_at` datetime,`failed` numeric NOT NULL DEFAULT false,`error` text,`created_at` datetime,PRIMARY KEY (`id`));
CREATE INDEX IF NOT EXISTS `idx_alert_events_created_at` ON `alert_events`(`created_at`);
CREATE INDEX IF NOT EXISTS `idx_alert_events_delivered_at` ON `alert_events`(`delivered_at`);
CREATE INDEX IF NOT EXISTS `idx_alert_events_alert_id` ON `alert_events`(`alert_id`);
CREATE INDEX IF NOT EXISTS `idx_alert_events_project_id` ON `alert_events`(`project_id`);
CREATE TABLE IF NOT EXISTS `alert_deliveries` (`event_id` text,`channel_key` text,`delivered_at` datetime NOT NULL,PRIMARY KEY (`event_id`,`channel_key`));
