CREATE TABLE activities (
    id character varying(40) NOT NULL,
    project_id character varying(40) NOT NULL,
    connector_id character varying(40) NOT NULL,
    external_id character varying(200) NOT NULL,
    type character varying(200) NOT NULL,
    agent_id character varying(200) NOT NULL,
    agent_identity_id character varying(40) NOT NULL,
    team_identity_id character varying(40),
    moment timestamp with time zone NOT NULL,
    moment_ms bigint NOT NULL,
    day character varying(10) NOT NULL,
    contact_key character varying(200),
    value numeric,
    value_is_money boolean DEFAULT false NOT NULL,
    call_id character varying(64) NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);
CREATE TABLE alert_deliveries (
    event_id character varying(40) NOT NULL,
    channel_key character varying(32) NOT NULL,
    delivered_at timestamp with time zone NOT NULL
);
CREATE TABLE alert_events (
    id character varying(40) NOT NULL,
    project_id character varying(40) NOT NULL,
    alert_id character varying(40) NOT NULL,
    state character varying(16) NOT NULL,
    value numeric,
    previous numeric,
    call_id character varying(64),
    reason text,
    at timestamp with time zone NOT NULL,
    delivered_at timestamp with time zone,
    failed boolean DEFAULT false NOT NULL,
    error text,
    created_at timestamp with time zone
);
CREATE TABLE alerts (
    id character varying(40) NOT NULL,
    project_id character varying(40) NOT NULL,
    name character varying(200) NOT NULL,
    metric_id character varying(40) NOT NULL,
    condition text,
    "for" bigint DEFAULT 0 NOT NULL,
    stale_after bigint DEFAULT 0 NOT NULL,
    channels text NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    state character varying(16) NOT NULL,
    pending_since timestamp with time zone,
    seen_at timestamp with time zone,
    last_value numeric,
    last_error text,
    changed_at timestamp with time zone,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);
CREATE TABLE api_keys (
    id character varying(40) NOT NULL,
    project_id character varying(40) NOT NULL,
    name character varying(200) NOT NULL,
    scope character varying(16) NOT NULL,
    hash character varying(64) NOT NULL,
    prefix character varying(16) NOT NULL,
    created_at timestamp with time zone,
    last_used_at timestamp with time zone,
    revoked_at timestamp with time zone,
    expires_at timestamp with time zone,
    rate_limit bigint,
    rate_per character varying(1) DEFAULT ''::character varying NOT NULL,
    connector_id character varying(40)
);
CREATE TABLE bodies (
    id character varying(40) NOT NULL,
    project_id character varying(40) NOT NULL,
    data bytea NOT NULL,
    created_at timestamp with time zone
);
CREATE TABLE calls (
    id character varying(40) NOT NULL,
    ingest_id character varying(64) NOT NULL,
    project_id character varying(40) NOT NULL,
    connector_id character varying(40),
    source character varying(200),
    kind character varying(40) NOT NULL,
    status character varying(16) NOT NULL,
    error text,
    error_code character varying(40),
    attempts bigint DEFAULT 0 NOT NULL,
    fingerprint character varying(32),
    workflow_id character varying(300) NOT NULL,
    result text,
    received_at timestamp with time zone NOT NULL,
    completed_at timestamp with time zone
);
CREATE TABLE connectors (
    id character varying(40) NOT NULL,
    project_id character varying(40) NOT NULL,
    type character varying(40) NOT NULL,
    name character varying(200) NOT NULL,
    secret text,
    previous_secret text,
    previous_until timestamp with time zone,
    settings text DEFAULT '{}'::text NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    key_id character varying(40),
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);
CREATE TABLE console_sessions (
    id character varying(64) NOT NULL,
    token_hash character varying(64) NOT NULL,
    instance boolean DEFAULT false NOT NULL,
    project_id character varying(40),
    csrf character varying(64) NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone
);
CREATE TABLE entities (
    id character varying(40) NOT NULL,
    project_id character varying(40) NOT NULL,
    kind character varying(16) NOT NULL,
    name character varying(200) NOT NULL,
    email character varying(320),
    team_id character varying(40),
    user_id character varying(40),
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);
CREATE TABLE identities (
    id character varying(40) NOT NULL,
    project_id character varying(40) NOT NULL,
    connector_id character varying(40) NOT NULL,
    kind character varying(16) NOT NULL,
    external_id character varying(200) NOT NULL,
    name character varying(200),
    email character varying(320),
    user_id character varying(40),
    team_identity_id character varying(40),
    linked_id character varying(40),
    linked_at timestamp with time zone,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);
CREATE TABLE inbox_items (
    id character varying(40) NOT NULL,
    project_id character varying(40) NOT NULL,
    call_id character varying(64) NOT NULL,
    connector_id character varying(40),
    source character varying(200),
    kind character varying(40) NOT NULL,
    failed boolean DEFAULT false NOT NULL,
    reason text NOT NULL,
    payload text NOT NULL,
    status character varying(16) NOT NULL,
    resolved_by character varying(64),
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);
CREATE TABLE metric_points (
    id character varying(40) NOT NULL,
    project_id character varying(40) NOT NULL,
    metric_id character varying(40) NOT NULL,
    call_id character varying(64) NOT NULL,
    seq bigint DEFAULT 0 NOT NULL,
    value numeric NOT NULL,
    delta numeric,
    "timestamp" timestamp with time zone NOT NULL,
    timestamp_ms bigint NOT NULL,
    source character varying(200),
    metadata text,
    rule_version bigint,
    created_at timestamp with time zone
);
CREATE TABLE metrics (
    id character varying(40) NOT NULL,
    project_id character varying(40) NOT NULL,
    key character varying(100) NOT NULL,
    name character varying(200) NOT NULL,
    unit character varying(20),
    value numeric DEFAULT 0 NOT NULL,
    value_at timestamp with time zone,
    alerts bigint DEFAULT 0 NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);
CREATE TABLE projects (
    id character varying(40) NOT NULL,
    name character varying(200) NOT NULL,
    rate_limit bigint,
    rate_per character varying(1) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone
);
CREATE TABLE rule_sets (
    id character varying(40) NOT NULL,
    project_id character varying(40) NOT NULL,
    connector_id character varying(40) DEFAULT ''::character varying NOT NULL,
    source character varying(200) DEFAULT ''::character varying NOT NULL,
    version bigint NOT NULL,
    rules text NOT NULL,
    created_at timestamp with time zone
);
CREATE TABLE sales (
    id character varying(40) NOT NULL,
    project_id character varying(40) NOT NULL,
    connector_id character varying(40) NOT NULL,
    external_id character varying(200) NOT NULL,
    agent_id character varying(200) NOT NULL,
    agent_identity_id character varying(40) NOT NULL,
    team_identity_id character varying(40),
    proposition_id character varying(200) NOT NULL,
    proposition_identity_id character varying(40) NOT NULL,
    sold_at timestamp with time zone NOT NULL,
    sold_at_ms bigint NOT NULL,
    day character varying(10) NOT NULL,
    cancelled_at timestamp with time zone,
    is_retention boolean DEFAULT false NOT NULL,
    contract_value numeric,
    contact_key character varying(200),
    electricity_usage numeric,
    electricity_return numeric,
    gas_usage numeric,
    connection_count bigint,
    call_id character varying(64) NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);
CREATE TABLE tasks (
    id character varying(40) NOT NULL,
    project_id character varying(40) NOT NULL,
    source character varying(200) NOT NULL,
    external_id character varying(200),
    text text NOT NULL,
    due_date timestamp with time zone,
    priority character varying(40),
    notes text,
    call_id character varying(64) NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);
CREATE TABLE users (
    id character varying(40) NOT NULL,
    project_id character varying(40) NOT NULL,
    email character varying(320) NOT NULL,
    name character varying(200),
    created_at timestamp with time zone
);
INSERT INTO activities VALUES ('act_06h3g30c6yk3rh2vypmk897hqm', 'p_06h3g308g35v5qa09g4nv0rc6c', 'c_06h3g30aw4dyfzzjt45d1f96er', 'act-1', 'Sale', '17', 'idn_06h3g30c6q6aze62ny6g9g33b0', '', '2026-03-02 08:15:00+00', 1772439300000, '2026-03-02', NULL, 149.5, false, 'ing_06h3g30c58p4wqnq4fje1ts190', '2026-12-02 18:37:23.382217+00', '2026-12-02 18:37:23.382217+00');
INSERT INTO alerts VALUES ('al_06h3g30ce0mhvhbehxcskryz7w', 'p_06h3g308g35v5qa09g4nv0rc6c', 'Revenue floor', 'm_06h3g309y94tap083hf5e3w5sr', 'value < 1000', 600, 0, '[{"type":"webhook","url":"http://127.0.0.1:9/hook","secret":"whsec_KpGQuLADYifZgpm7MXDzTjdRwOkVSN/8"}]', true, 'ok', '2026-12-02 18:37:23.470189+00', '2026-12-02 18:37:23.440507+00', 500, '', NULL, '2026-12-02 18:37:23.440827+00', '2026-12-02 18:37:23.470995+00');
INSERT INTO api_keys VALUES ('key_06h3g308g3yjptncc376bg30kr', 'p_06h3g308g35v5qa09g4nv0rc6c', 'Default admin key', 'admin', '00bfe86bebed4fbcfd9a13968982f0dc360bae78144cbe9d786e93c95e60aeaa', 'ik_ZDthz7', '2026-12-02 18:37:22.435645+00', '2026-12-02 18:37:22.800627+00', NULL, NULL, NULL, '', '');
INSERT INTO api_keys VALUES ('key_06h3g30a1kkrpvp17hdsvxmdmm', 'p_06h3g308g35v5qa09g4nv0rc6c', 'zapier', 'ingest', '209d488f02545b4f9bc73290241888fc561bff4169a3045b11a96b7061a9bd30', 'ik_aBICss', '2026-12-02 18:37:22.828992+00', NULL, NULL, NULL, NULL, '', '');
INSERT INTO api_keys VALUES ('key_06h3g30aw48kpe32tvrx97s8kw', 'p_06h3g308g35v5qa09g4nv0rc6c', 'CRM (connector)', 'ingest', '725278d3b11bd187c3d83bb8246acf6d3c002ed5b4569cbe1c2e28d2392a51e2', 'ik_DUPQix', '2026-12-02 18:37:23.042099+00', '2026-12-02 18:37:23.368853+00', NULL, NULL, NULL, '', 'c_06h3g30aw4dyfzzjt45d1f96er');
INSERT INTO calls VALUES ('call_06h3g30a4gra5nkt65p5wy6fyr', 'ing_3bcef679effef248e7ff7420eb81fff9', 'p_06h3g308g35v5qa09g4nv0rc6c', '', 'api', 'metric', 'done', '', '', 1, '2f3bbaaea23a8192c193a9402d3e649b', 'ingest/p_06h3g308g35v5qa09g4nv0rc6c/api/ing_3bcef679effef248e7ff7420eb81fff9', '{"outcome":"updated","metric_id":"m_06h3g309y94tap083hf5e3w5sr","metric_key":"revenue","unit":"USD","previous_value":0,"new_value":1200.5,"current":true,"ref":"revenue"}', '2026-12-02 18:37:22.842917+00', '2026-12-02 18:37:22.852055+00');
INSERT INTO calls VALUES ('call_06h3g30a8nccvmwqkem0yhwdxc', 'ing_06h3g30a7jdkz3b09sdyb4c1m4', 'p_06h3g308g35v5qa09g4nv0rc6c', '', 'api', 'metric', 'done', '', '', 1, '', 'ingest/p_06h3g308g35v5qa09g4nv0rc6c/api/ing_06h3g30a7jdkz3b09sdyb4c1m4', '{"outcome":"updated","metric_id":"m_06h3g309y94tap083hf5e3w5sr","metric_key":"revenue","unit":"USD","previous_value":1200.5,"new_value":123456.78,"current":true,"ref":"revenue"}', '2026-12-02 18:37:22.876522+00', '2026-12-02 18:37:22.885565+00');
INSERT INTO calls VALUES ('call_06h3g30ad3gxq8gak2ka5jmvnc', 'ing_06h3g30abh0sw76kj1dtwje5xr', 'p_06h3g308g35v5qa09g4nv0rc6c', '', 'api', 'metric', 'done', '', '', 1, '', 'ingest/p_06h3g308g35v5qa09g4nv0rc6c/api/ing_06h3g30abh0sw76kj1dtwje5xr', '{"outcome":"inboxed","new_value":0,"current":false,"inbox_id":"inb_06h3g30ad0tved3ynhdsv1yqc0","message":"no metric matches \"churn\"","ref":"churn"}', '2026-12-02 18:37:22.908706+00', '2026-12-02 18:37:22.917487+00');
INSERT INTO calls VALUES ('call_06h3g30ajvhka7mrpsrxy0rhs8', 'ing_06h3g30ah6pdybefbcb4593yx8', 'p_06h3g308g35v5qa09g4nv0rc6c', '', 'shop', 'data', 'done', '', '', 1, '', 'ingest/p_06h3g308g35v5qa09g4nv0rc6c/api/ing_06h3g30ah6pdybefbcb4593yx8', '{"updated":[{"outcome":"updated","metric_id":"m_06h3g309y94tap083hf5e3w5sr","metric_key":"revenue","unit":"USD","previous_value":123456.78,"new_value":123476.77,"current":true,"ref":"revenue"},{"outcome":"updated","metric_id":"m_06h3g309zxdt5eyaxzx1rmzgb8","metric_key":"visitors","previous_value":0,"new_value":3,"current":true,"ref":"visitors"}],"fields":["","visitors"],"rule_version":1,"rules":[{"rule":"Order total","rule_id":"r_06h3g30afbb0zmz9x9bcjntwxc","matched":true,"metric":"revenue","value":19.99,"op":"add","reads":["total","currency"]},{"rule":"visitors","rule_id":"r_06h3g30af8n0tgymt1wprcwhpr","matched":true,"metric":"visitors","value":3,"source_field":"visitors","reads":["visitors"]}]}', '2026-12-02 18:37:22.953625+00', '2026-12-02 18:37:22.964717+00');
INSERT INTO calls VALUES ('call_06h3g30aqcphhj75j57c14dj7r', 'ing_06h3g30any76fxzcbzyj8b9vx4', 'p_06h3g308g35v5qa09g4nv0rc6c', '', 'api', 'batch', 'done', '', '', 1, '', 'ingest/p_06h3g308g35v5qa09g4nv0rc6c/api/ing_06h3g30any76fxzcbzyj8b9vx4', '[{"outcome":"updated","metric_id":"m_06h3g309zxdt5eyaxzx1rmzgb8","metric_key":"visitors","previous_value":3,"new_value":5,"current":true,"ref":"visitors"},{"outcome":"updated","metric_id":"m_06h3g309zxdt5eyaxzx1rmzgb8","metric_key":"visitors","previous_value":5,"new_value":6,"current":true,"ref":"visitors"}]', '2026-12-02 18:37:22.99147+00', '2026-12-02 18:37:23.003532+00');
INSERT INTO calls VALUES ('call_06h3g30c6z8d4yn4hzkwn71fem', 'ing_06h3g30c58p4wqnq4fje1ts190', 'p_06h3g308g35v5qa09g4nv0rc6c', 'c_06h3g30aw4dyfzzjt45d1f96er', 'salesdash', 'activity', 'done', '', '', 1, '', 'ingest/p_06h3g308g35v5qa09g4nv0rc6c/c_06h3g30aw4dyfzzjt45d1f96er/ing_06h3g30c58p4wqnq4fje1ts190', '{"id":"act_06h3g30c6yk3rh2vypmk897hqm","external_id":"act-1","created":true}', '2026-12-02 18:37:23.370962+00', '2026-12-02 18:37:23.380171+00');
INSERT INTO calls VALUES ('call_06h3g30cat2hwj0qq41n2kcs2c', 'ing_06h3g30c9j6vfwey0tgghejr4m', 'p_06h3g308g35v5qa09g4nv0rc6c', 'c_06h3g30aw4dyfzzjt45d1f96er', 'salesdash', 'sale', 'done', '', '', 1, '', 'ingest/p_06h3g308g35v5qa09g4nv0rc6c/c_06h3g30aw4dyfzzjt45d1f96er/ing_06h3g30c9j6vfwey0tgghejr4m', '{"id":"sale_06h3g30caq9jja6ebbsgmak77w","external_id":"sale-1","created":true}', '2026-12-02 18:37:23.404009+00', '2026-12-02 18:37:23.412029+00');
INSERT INTO calls VALUES ('call_06h3g30chtbtda83yh750xas2w', 'ing_06h3g30cg3zhxtex6nrt7694e0', 'p_06h3g308g35v5qa09g4nv0rc6c', '', 'api', 'metric', 'done', '', '', 1, '', 'ingest/p_06h3g308g35v5qa09g4nv0rc6c/api/ing_06h3g30cg3zhxtex6nrt7694e0', '{"outcome":"updated","metric_id":"m_06h3g309y94tap083hf5e3w5sr","metric_key":"revenue","unit":"USD","previous_value":123476.77,"new_value":500,"current":true,"ref":"revenue"}', '2026-12-02 18:37:23.456065+00', '2026-12-02 18:37:23.469047+00');
INSERT INTO connectors VALUES ('c_06h3g30atcxrs985eaaq31wrec', 'p_06h3g308g35v5qa09g4nv0rc6c', 'stripe', 'Stripe live', 'whsec_prevrelease', '', NULL, '{}', true, '', '2026-12-02 18:37:23.027635+00', '2026-12-02 18:37:23.027635+00');
INSERT INTO connectors VALUES ('c_06h3g30aw4dyfzzjt45d1f96er', 'p_06h3g308g35v5qa09g4nv0rc6c', 'salesdash', 'CRM', '', '', NULL, '{"timezone":"Europe/Amsterdam"}', true, 'key_06h3g30aw48kpe32tvrx97s8kw', '2026-12-02 18:37:23.042783+00', '2026-12-02 18:37:23.042783+00');
INSERT INTO identities VALUES ('idn_06h3g30c6q6aze62ny6g9g33b0', 'p_06h3g308g35v5qa09g4nv0rc6c', 'c_06h3g30aw4dyfzzjt45d1f96er', 'agent', '17', 'Anna de Vries', '', '', '', '', NULL, '2026-12-02 18:37:23.381376+00', '2026-12-02 18:37:23.381376+00');
INSERT INTO identities VALUES ('idn_06h3g30cahm2ke2z343f61ttz0', 'p_06h3g308g35v5qa09g4nv0rc6c', 'c_06h3g30aw4dyfzzjt45d1f96er', 'proposition', '7', 'Fiber 1000', '', '', '', '', NULL, '2026-12-02 18:37:23.412547+00', '2026-12-02 18:37:23.412547+00');
INSERT INTO inbox_items VALUES ('inb_06h3g30ad0tved3ynhdsv1yqc0', 'p_06h3g308g35v5qa09g4nv0rc6c', 'ing_06h3g30abh0sw76kj1dtwje5xr', '', 'api', 'metric', false, 'no metric matches "churn"', '{"metric": "churn", "value": 3}', 'open', '', '2026-12-02 18:37:22.920277+00', '2026-12-02 18:37:22.920277+00');
INSERT INTO metric_points VALUES ('pt_06h3g30a4kt48vwdkq1wdvrv2r', 'p_06h3g308g35v5qa09g4nv0rc6c', 'm_06h3g309y94tap083hf5e3w5sr', 'ing_3bcef679effef248e7ff7420eb81fff9', 0, 1200.5, NULL, '2026-12-02 18:37:22.842915+00', 1796236642842, 'api', '', 0, '2026-12-02 18:37:22.853419+00');
INSERT INTO metric_points VALUES ('pt_06h3g30a8njk814dxtb7d3ypn8', 'p_06h3g308g35v5qa09g4nv0rc6c', 'm_06h3g309y94tap083hf5e3w5sr', 'ing_06h3g30a7jdkz3b09sdyb4c1m4', 0, 123456.78, NULL, '2026-12-02 18:37:22.876521+00', 1796236642876, 'api', '', 0, '2026-12-02 18:37:22.886148+00');
INSERT INTO metric_points VALUES ('pt_06h3g30ajt9aysvhx9hh1c505w', 'p_06h3g308g35v5qa09g4nv0rc6c', 'm_06h3g309y94tap083hf5e3w5sr', 'ing_06h3g30ah6pdybefbcb4593yx8', 0, 123476.77, 19.99, '2026-12-02 18:37:22.953623+00', 1796236642953, 'shop', '', 1, '2026-12-02 18:37:22.967902+00');
INSERT INTO metric_points VALUES ('pt_06h3g30ajrzet8jh8beg72m234', 'p_06h3g308g35v5qa09g4nv0rc6c', 'm_06h3g309zxdt5eyaxzx1rmzgb8', 'ing_06h3g30ah6pdybefbcb4593yx8', 1, 3, NULL, '2026-12-02 18:37:22.953623+00', 1796236642953, 'shop', '', 1, '2026-12-02 18:37:22.967902+00');
INSERT INTO metric_points VALUES ('pt_06h3g30aqf4v3dpr3fmryqjbdc', 'p_06h3g308g35v5qa09g4nv0rc6c', 'm_06h3g309zxdt5eyaxzx1rmzgb8', 'ing_06h3g30any76fxzcbzyj8b9vx4', 0, 5, NULL, '2026-12-02 18:37:22.991457+00', 1796236642991, 'api', '', 0, '2026-12-02 18:37:23.004248+00');
INSERT INTO metric_points VALUES ('pt_06h3g30aqeed6esyzkm4tdfnw4', 'p_06h3g308g35v5qa09g4nv0rc6c', 'm_06h3g309zxdt5eyaxzx1rmzgb8', 'ing_06h3g30any76fxzcbzyj8b9vx4', 1, 6, NULL, '2026-12-02 18:37:22.991467+00', 1796236642991, 'api', '', 0, '2026-12-02 18:37:23.004248+00');
INSERT INTO metric_points VALUES ('pt_06h3g30chpabp83k8m91ncgx28', 'p_06h3g308g35v5qa09g4nv0rc6c', 'm_06h3g309y94tap083hf5e3w5sr', 'ing_06h3g30cg3zhxtex6nrt7694e0', 0, 500, NULL, '2026-12-02 18:37:23.456063+00', 1796236643456, 'api', '', 0, '2026-12-02 18:37:23.470699+00');
INSERT INTO metrics VALUES ('m_06h3g309zxdt5eyaxzx1rmzgb8', 'p_06h3g308g35v5qa09g4nv0rc6c', 'visitors', 'Visitors', '', 6, '2026-12-02 18:37:22.991467+00', 0, '2026-12-02 18:37:22.815964+00', '2026-12-02 18:37:23.003966+00');
INSERT INTO metrics VALUES ('m_06h3g309y94tap083hf5e3w5sr', 'p_06h3g308g35v5qa09g4nv0rc6c', 'revenue', 'Revenue', 'USD', 500, '2026-12-02 18:37:23.456063+00', 1, '2026-12-02 18:37:22.80271+00', '2026-12-02 18:37:23.470352+00');
INSERT INTO projects VALUES ('p_06h3g308g35v5qa09g4nv0rc6c', 'Default', NULL, '', '2026-12-02 18:37:22.43416+00');
INSERT INTO rule_sets VALUES ('rs_06h3g30afkpyvsekm93z1985ng', 'p_06h3g308g35v5qa09g4nv0rc6c', '', 'shop', 1, '[{"id":"r_06h3g30afbb0zmz9x9bcjntwxc","name":"Order total","when":"event.type == \"order\"","metric":"revenue","value":"cents(payload.total, payload.currency)","op":"add","enabled":true},{"id":"r_06h3g30af8n0tgymt1wprcwhpr","name":"visitors","metric":"visitors","value":"num(payload[\"visitors\"])","enabled":true,"source_field":"visitors"}]', '2026-12-02 18:37:22.940452+00');
INSERT INTO sales VALUES ('sale_06h3g30caq9jja6ebbsgmak77w', 'p_06h3g308g35v5qa09g4nv0rc6c', 'c_06h3g30aw4dyfzzjt45d1f96er', 'sale-1', '17', 'idn_06h3g30c6q6aze62ny6g9g33b0', '', '7', 'idn_06h3g30cahm2ke2z343f61ttz0', '2026-03-02 09:00:00+00', 1772442000000, '2026-03-02', NULL, false, NULL, NULL, NULL, NULL, NULL, NULL, 'ing_06h3g30c9j6vfwey0tgghejr4m', '2026-12-02 18:37:23.412851+00', '2026-12-02 18:37:23.412851+00');
ALTER TABLE ONLY activities
    ADD CONSTRAINT activities_pkey PRIMARY KEY (id);
ALTER TABLE ONLY alert_deliveries
    ADD CONSTRAINT alert_deliveries_pkey PRIMARY KEY (event_id, channel_key);
ALTER TABLE ONLY alert_events
    ADD CONSTRAINT alert_events_pkey PRIMARY KEY (id);
ALTER TABLE ONLY alerts
    ADD CONSTRAINT alerts_pkey PRIMARY KEY (id);
ALTER TABLE ONLY api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);
ALTER TABLE ONLY bodies
    ADD CONSTRAINT bodies_pkey PRIMARY KEY (id);
ALTER TABLE ONLY calls
    ADD CONSTRAINT calls_pkey PRIMARY KEY (id);
ALTER TABLE ONLY connectors
    ADD CONSTRAINT connectors_pkey PRIMARY KEY (id);
ALTER TABLE ONLY console_sessions
    ADD CONSTRAINT console_sessions_pkey PRIMARY KEY (id);
ALTER TABLE ONLY entities
    ADD CONSTRAINT entities_pkey PRIMARY KEY (id);
ALTER TABLE ONLY identities
    ADD CONSTRAINT identities_pkey PRIMARY KEY (id);
ALTER TABLE ONLY inbox_items
    ADD CONSTRAINT inbox_items_pkey PRIMARY KEY (id);
ALTER TABLE ONLY metric_points
    ADD CONSTRAINT metric_points_pkey PRIMARY KEY (id);
ALTER TABLE ONLY metrics
    ADD CONSTRAINT metrics_pkey PRIMARY KEY (id);
ALTER TABLE ONLY projects
    ADD CONSTRAINT projects_pkey PRIMARY KEY (id);
ALTER TABLE ONLY rule_sets
    ADD CONSTRAINT rule_sets_pkey PRIMARY KEY (id);
ALTER TABLE ONLY sales
    ADD CONSTRAINT sales_pkey PRIMARY KEY (id);
ALTER TABLE ONLY tasks
    ADD CONSTRAINT tasks_pkey PRIMARY KEY (id);
ALTER TABLE ONLY users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);
CREATE UNIQUE INDEX idx_activity_ext ON activities USING btree (project_id, connector_id, external_id);
CREATE INDEX idx_activity_type ON activities USING btree (project_id, type, moment_ms);
CREATE INDEX idx_alert_events_alert_id ON alert_events USING btree (alert_id);
CREATE INDEX idx_alert_events_created_at ON alert_events USING btree (created_at);
CREATE INDEX idx_alert_events_delivered_at ON alert_events USING btree (delivered_at);
CREATE INDEX idx_alert_events_project_id ON alert_events USING btree (project_id);
CREATE INDEX idx_alerts_metric_id ON alerts USING btree (metric_id);
CREATE INDEX idx_alerts_project_id ON alerts USING btree (project_id);
CREATE INDEX idx_alerts_state ON alerts USING btree (state);
CREATE UNIQUE INDEX idx_api_keys_hash ON api_keys USING btree (hash);
CREATE INDEX idx_api_keys_project_id ON api_keys USING btree (project_id);
CREATE INDEX idx_bodies_created_at ON bodies USING btree (created_at);
CREATE UNIQUE INDEX idx_calls_ingest_id ON calls USING btree (ingest_id);
CREATE INDEX idx_calls_project_id ON calls USING btree (project_id);
CREATE INDEX idx_connectors_project_id ON connectors USING btree (project_id);
CREATE INDEX idx_console_sessions_expires_at ON console_sessions USING btree (expires_at);
CREATE INDEX idx_entities_project_id ON entities USING btree (project_id);
CREATE INDEX idx_identities_linked_id ON identities USING btree (linked_id);
CREATE UNIQUE INDEX idx_identity_ext ON identities USING btree (project_id, connector_id, kind, external_id);
CREATE INDEX idx_inbox_items_call_id ON inbox_items USING btree (call_id);
CREATE INDEX idx_inbox_items_project_id ON inbox_items USING btree (project_id);
CREATE INDEX idx_inbox_items_status ON inbox_items USING btree (status);
CREATE INDEX idx_metric_points_project_id ON metric_points USING btree (project_id);
CREATE UNIQUE INDEX idx_metric_project_key ON metrics USING btree (project_id, key);
CREATE UNIQUE INDEX idx_point_call_seq ON metric_points USING btree (call_id, seq);
CREATE INDEX idx_point_metric_ts ON metric_points USING btree (metric_id, timestamp_ms);
CREATE UNIQUE INDEX idx_ruleset_version ON rule_sets USING btree (project_id, connector_id, source, version);
CREATE UNIQUE INDEX idx_sale_ext ON sales USING btree (project_id, connector_id, external_id);
CREATE INDEX idx_sale_time ON sales USING btree (project_id, sold_at_ms);
CREATE UNIQUE INDEX idx_task_external ON tasks USING btree (project_id, source, external_id);
CREATE UNIQUE INDEX idx_user_email ON users USING btree (project_id, email);
