-- The newest schema for sqlite (revision 0009), rendered from
-- src/switchboard/store/metadata.py by `python -m switchboard.store.metadata`: do not
-- edit. `migrate.upgrade` runs it, in one transaction, on an empty database.
-- tests/unit/test_schema_order.py holds it to the metadata; tests/ops/
-- test_migrations.py, the database it makes to the one the migrations make.

CREATE TABLE accounts (
    auth_token TEXT NOT NULL,
    date_created BIGINT NOT NULL,
    date_updated BIGINT NOT NULL,
    friendly_name TEXT NOT NULL,
    owner_account_sid VARCHAR(34) NOT NULL,
    sid VARCHAR(34) NOT NULL,
    status VARCHAR(16) NOT NULL,
    type VARCHAR(8) NOT NULL,
    is_main BOOLEAN NOT NULL,
    PRIMARY KEY (sid)
);

CREATE INDEX ix_accounts_owner ON accounts (owner_account_sid, sid);

CREATE TABLE api_keys (
    sid VARCHAR(34) NOT NULL,
    friendly_name TEXT,
    date_created BIGINT NOT NULL,
    date_updated BIGINT NOT NULL,
    account_sid VARCHAR(34) NOT NULL,
    secret_hash TEXT,
    secret TEXT,
    PRIMARY KEY (sid)
);

CREATE INDEX ix_keys_account ON api_keys (account_sid, sid);

CREATE TABLE applications (
    account_sid VARCHAR(34) NOT NULL,
    api_version TEXT,
    date_created BIGINT NOT NULL,
    date_updated BIGINT NOT NULL,
    friendly_name TEXT,
    message_status_callback TEXT,
    sid VARCHAR(34) NOT NULL,
    sms_fallback_method VARCHAR(4) NOT NULL,
    sms_fallback_url TEXT,
    sms_method VARCHAR(4) NOT NULL,
    sms_status_callback TEXT,
    sms_url TEXT,
    status_callback TEXT,
    status_callback_method VARCHAR(4) NOT NULL,
    voice_caller_id_lookup BOOLEAN NOT NULL,
    voice_fallback_method VARCHAR(4) NOT NULL,
    voice_fallback_url TEXT,
    voice_method VARCHAR(4) NOT NULL,
    voice_url TEXT,
    public_application_connect_enabled BOOLEAN NOT NULL,
    PRIMARY KEY (sid)
);

CREATE INDEX ix_applications_account ON applications (account_sid, sid);

CREATE INDEX ix_applications_account_name ON applications (account_sid, friendly_name, sid);

CREATE TABLE calls (
    account_sid VARCHAR(34) NOT NULL,
    answered_by TEXT,
    api_version TEXT,
    caller_name TEXT,
    date_created BIGINT NOT NULL,
    date_updated BIGINT NOT NULL,
    direction TEXT,
    duration TEXT,
    end_time BIGINT,
    forwarded_from TEXT,
    from_ TEXT,
    from_formatted TEXT,
    group_sid VARCHAR(34),
    parent_call_sid VARCHAR(34),
    phone_number_sid VARCHAR(34),
    price TEXT,
    price_unit TEXT,
    sid VARCHAR(34) NOT NULL,
    start_time BIGINT,
    status VARCHAR(16) NOT NULL,
    to_ TEXT,
    to_formatted TEXT,
    trunk_sid VARCHAR(34),
    queue_time TEXT,
    options TEXT NOT NULL,
    PRIMARY KEY (sid)
);

CREATE INDEX ix_calls_account ON calls (account_sid, sid);

CREATE INDEX ix_calls_parent ON calls (account_sid, parent_call_sid, sid);

CREATE TABLE client_calls (
    device_sid VARCHAR(34) NOT NULL,
    call_sid VARCHAR(34) NOT NULL,
    body TEXT NOT NULL,
    date_created BIGINT NOT NULL,
    PRIMARY KEY (device_sid, call_sid)
);

CREATE TABLE client_devices (
    sid VARCHAR(34) NOT NULL,
    account_sid VARCHAR(34) NOT NULL,
    identity VARCHAR(256) NOT NULL,
    key_sid VARCHAR(34) NOT NULL,
    answer VARCHAR(8) NOT NULL,
    script TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    date_created BIGINT NOT NULL,
    PRIMARY KEY (sid)
);

CREATE INDEX ix_client_devices_account ON client_devices (account_sid, sid);

CREATE INDEX ix_client_devices_identity ON client_devices (account_sid, identity, sid);

CREATE TABLE handsets (
    account_sid VARCHAR(34) NOT NULL,
    phone_number VARCHAR(16) NOT NULL,
    message_outcome VARCHAR(16) NOT NULL,
    message_error_code INTEGER,
    call_outcome VARCHAR(16) NOT NULL,
    answered_by VARCHAR(32) NOT NULL,
    call_duration INTEGER NOT NULL,
    input TEXT NOT NULL,
    date_created BIGINT NOT NULL,
    date_updated BIGINT NOT NULL,
    PRIMARY KEY (account_sid, phone_number)
);

CREATE TABLE jobs (
    id VARCHAR(34) NOT NULL,
    account_sid VARCHAR(34) NOT NULL,
    kind VARCHAR(32) NOT NULL,
    subject VARCHAR(64) NOT NULL,
    due BIGINT NOT NULL,
    ready_at BIGINT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    owner VARCHAR(64),
    PRIMARY KEY (id)
);

CREATE INDEX ix_jobs_account ON jobs (account_sid);

CREATE INDEX ix_jobs_ready ON jobs (ready_at);

CREATE TABLE live_calls (
    sid VARCHAR(34) NOT NULL,
    account_sid VARCHAR(34) NOT NULL,
    state TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    claimed_until BIGINT NOT NULL,
    PRIMARY KEY (sid)
);

CREATE INDEX ix_live_calls_expiry ON live_calls (expires_at);

CREATE TABLE log_sizes (
    account_sid VARCHAR(34) NOT NULL,
    log VARCHAR(16) NOT NULL,
    size BIGINT NOT NULL,
    PRIMARY KEY (account_sid, log)
);

CREATE TABLE media (
    account_sid VARCHAR(34) NOT NULL,
    content_type TEXT NOT NULL,
    date_created BIGINT NOT NULL,
    date_updated BIGINT NOT NULL,
    parent_sid VARCHAR(34) NOT NULL,
    sid VARCHAR(34) NOT NULL,
    url TEXT NOT NULL,
    PRIMARY KEY (sid)
);

CREATE INDEX ix_media_parent ON media (account_sid, parent_sid, sid);

CREATE TABLE opt_outs (
    account_sid VARCHAR(34) NOT NULL,
    sender VARCHAR(16) NOT NULL,
    recipient VARCHAR(16) NOT NULL,
    date_created BIGINT NOT NULL,
    PRIMARY KEY (account_sid, sender, recipient)
);

CREATE TABLE recordings (
    account_sid VARCHAR(34) NOT NULL,
    api_version TEXT,
    call_sid VARCHAR(34),
    conference_sid VARCHAR(34),
    channels INTEGER NOT NULL,
    date_created BIGINT NOT NULL,
    date_updated BIGINT NOT NULL,
    start_time BIGINT NOT NULL,
    price TEXT,
    price_unit TEXT,
    duration TEXT NOT NULL,
    sid VARCHAR(34) NOT NULL,
    source VARCHAR(32) NOT NULL,
    status VARCHAR(16) NOT NULL,
    error_code INTEGER,
    PRIMARY KEY (sid)
);

CREATE INDEX ix_recordings_account ON recordings (account_sid, sid);

CREATE INDEX ix_recordings_call ON recordings (account_sid, call_sid, sid);

CREATE TABLE traces (
    sid VARCHAR(34) NOT NULL,
    account_sid VARCHAR(34) NOT NULL,
    kind VARCHAR(8) NOT NULL,
    status VARCHAR(16) NOT NULL,
    body TEXT NOT NULL,
    date_created BIGINT NOT NULL,
    PRIMARY KEY (sid)
);

CREATE INDEX ix_traces_account ON traces (account_sid, sid);

CREATE TABLE webhook_requests (
    sid VARCHAR(34) NOT NULL,
    account_sid VARCHAR(34) NOT NULL,
    trace_sid VARCHAR(34) NOT NULL,
    body TEXT NOT NULL,
    date_created BIGINT NOT NULL,
    PRIMARY KEY (sid)
);

CREATE INDEX ix_webhook_requests_account ON webhook_requests (account_sid, sid);

CREATE INDEX ix_webhook_requests_trace ON webhook_requests (trace_sid, sid);

CREATE TABLE incoming_phone_numbers (
    account_sid VARCHAR(34) NOT NULL,
    address_sid VARCHAR(34),
    address_requirements TEXT NOT NULL,
    api_version TEXT,
    beta BOOLEAN NOT NULL,
    capabilities TEXT NOT NULL,
    date_created BIGINT NOT NULL,
    date_updated BIGINT NOT NULL,
    friendly_name TEXT,
    identity_sid VARCHAR(34),
    phone_number VARCHAR(16) NOT NULL,
    origin TEXT,
    sid VARCHAR(34) NOT NULL,
    sms_application_sid VARCHAR(34),
    sms_fallback_method VARCHAR(4) NOT NULL,
    sms_fallback_url TEXT,
    sms_method VARCHAR(4) NOT NULL,
    sms_url TEXT,
    status_callback TEXT,
    status_callback_method VARCHAR(4) NOT NULL,
    trunk_sid VARCHAR(34),
    voice_receive_mode TEXT NOT NULL,
    voice_application_sid VARCHAR(34),
    voice_caller_id_lookup BOOLEAN NOT NULL,
    voice_fallback_method VARCHAR(4) NOT NULL,
    voice_fallback_url TEXT,
    voice_method VARCHAR(4) NOT NULL,
    voice_url TEXT,
    emergency_status TEXT NOT NULL,
    emergency_address_sid VARCHAR(34),
    emergency_address_status TEXT NOT NULL,
    bundle_sid VARCHAR(34),
    status TEXT,
    type TEXT,
    PRIMARY KEY (sid),
    UNIQUE (phone_number),
    FOREIGN KEY(sms_application_sid) REFERENCES applications (sid) ON DELETE SET NULL,
    FOREIGN KEY(voice_application_sid) REFERENCES applications (sid) ON DELETE SET NULL
);

CREATE INDEX ix_numbers_account ON incoming_phone_numbers (account_sid, sid);

CREATE INDEX ix_numbers_sms_app ON incoming_phone_numbers (sms_application_sid);

CREATE INDEX ix_numbers_voice_app ON incoming_phone_numbers (voice_application_sid);

CREATE TABLE messages (
    account_sid VARCHAR(34) NOT NULL,
    api_version TEXT,
    body TEXT NOT NULL,
    date_created BIGINT NOT NULL,
    date_sent BIGINT,
    date_updated BIGINT NOT NULL,
    direction VARCHAR(16) NOT NULL,
    error_code INTEGER,
    error_message TEXT,
    from_ VARCHAR(64) NOT NULL,
    messaging_service_sid VARCHAR(34),
    num_media VARCHAR(4) NOT NULL,
    num_segments VARCHAR(4) NOT NULL,
    price TEXT,
    price_unit TEXT,
    sid VARCHAR(34) NOT NULL,
    status VARCHAR(24) NOT NULL,
    to_ VARCHAR(64) NOT NULL,
    status_callback TEXT,
    application_sid VARCHAR(34),
    history TEXT NOT NULL,
    order_key VARCHAR(32) NOT NULL,
    PRIMARY KEY (sid),
    FOREIGN KEY(application_sid) REFERENCES applications (sid) ON DELETE SET NULL
);

CREATE INDEX ix_messages_account ON messages (account_sid, order_key);

CREATE INDEX ix_messages_to ON messages (account_sid, to_, order_key);

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

INSERT INTO alembic_version (version_num) VALUES ('0009');
