-- Notification topics, one live topic per account; an offboarded account's
-- topic is marked deleted and removed once its deliveries are done.
CREATE TABLE notify_topics (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id TEXT NOT NULL,
	name       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	deleted_at TEXT
);
CREATE UNIQUE INDEX notify_topics_live ON notify_topics (account_id) WHERE deleted_at IS NULL;

-- Subscriptions: confirmed before they receive anything. token_hash is the
-- SHA-256 of the confirmation token; secret signs webhook bodies.
CREATE TABLE notify_subscriptions (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	topic_id      INTEGER NOT NULL REFERENCES notify_topics (id) ON DELETE CASCADE,
	account_id    TEXT NOT NULL,
	protocol      TEXT NOT NULL,
	endpoint      TEXT NOT NULL,
	status        TEXT NOT NULL,
	slack         INTEGER NOT NULL DEFAULT 0,
	token_hash    TEXT,
	token_expires TEXT,
	secret        TEXT NOT NULL,
	created_by    TEXT NOT NULL DEFAULT '',
	created_at    TEXT NOT NULL,
	confirmed_at  TEXT
);
CREATE INDEX notify_subscriptions_topic ON notify_subscriptions (topic_id, status);
CREATE UNIQUE INDEX notify_subscriptions_token ON notify_subscriptions (token_hash) WHERE token_hash IS NOT NULL;

-- The notification outbox: one row per message and endpoint, leased by a
-- sender while it delivers. dedupe is the subscription id, or the endpoint
-- of a direct message.
CREATE TABLE notify_deliveries (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	message_id      TEXT NOT NULL,
	subscription_id INTEGER NOT NULL DEFAULT 0,
	dedupe          TEXT NOT NULL,
	kind            TEXT NOT NULL,
	protocol        TEXT NOT NULL,
	endpoint        TEXT NOT NULL,
	subject         TEXT NOT NULL DEFAULT '',
	payload         BLOB NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt    TEXT NOT NULL,
	status          TEXT NOT NULL,
	last_error      TEXT NOT NULL DEFAULT '',
	lease_owner     TEXT NOT NULL DEFAULT '',
	lease_until     TEXT,
	created_at      TEXT NOT NULL,
	sent_at         TEXT,
	UNIQUE (message_id, dedupe)
);
CREATE INDEX notify_deliveries_due ON notify_deliveries (next_attempt) WHERE status = 'pending';
CREATE INDEX notify_deliveries_status ON notify_deliveries (status, id);
CREATE INDEX notify_deliveries_subscription ON notify_deliveries (subscription_id) WHERE status = 'pending';

-- The built-in mailbox: email "sent" when no SMTP server is configured.
CREATE TABLE notify_mailbox (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	message_id TEXT NOT NULL,
	recipient  TEXT NOT NULL,
	subject    TEXT NOT NULL,
	text_body  TEXT NOT NULL,
	html_body  TEXT NOT NULL,
	created_at TEXT NOT NULL
);

-- Addresses that asked for no more direct mail (outcomes, invitations).
CREATE TABLE notify_optouts (
	address    TEXT PRIMARY KEY,
	created_at TEXT NOT NULL
);

-- Every account onboarded before notifications existed gets its topic.
INSERT INTO notify_topics (account_id, name, created_at)
	SELECT id, 'DataLakeSharingApproval', created_at FROM accounts;
