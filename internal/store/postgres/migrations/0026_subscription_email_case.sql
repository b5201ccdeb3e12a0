-- An email address is one endpoint whatever its case: its domain is
-- case-insensitive, and so in practice is its local part. The index of
-- 0024 compared addresses as they were spelled, so Ops@x.com and ops@x.com
-- could both be subscribed to a topic. It now compares email endpoints
-- lower-cased in ASCII letters (the "C" collation, as SQLite's lower()
-- does, whatever the database's locale); an address keeps the spelling it
-- was subscribed with, which is where mail goes. Webhook URLs keep their
-- case. Live duplicates kept before are unsubscribed, keeping a confirmed
-- one, else the oldest.
UPDATE notify_subscriptions SET status = 'unsubscribed'
WHERE id IN (SELECT id FROM (
	SELECT id, row_number() OVER (PARTITION BY topic_id, protocol,
			CASE WHEN protocol = 'email' THEN lower(endpoint COLLATE "C") ELSE endpoint END
		ORDER BY status = 'confirmed' DESC, id) AS n
	FROM notify_subscriptions WHERE status <> 'unsubscribed') live WHERE n > 1);

DROP INDEX notify_subscriptions_live_endpoint;
CREATE UNIQUE INDEX notify_subscriptions_live_endpoint ON notify_subscriptions
	(topic_id, protocol, (CASE WHEN protocol = 'email' THEN lower(endpoint COLLATE "C") ELSE endpoint END))
	WHERE status <> 'unsubscribed';
