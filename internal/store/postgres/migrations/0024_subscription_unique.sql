-- An endpoint holds one live subscription to a topic. Subscribe checks for
-- one before adding its own, but two replicas' transactions made at once
-- both passed that check and both stayed, so the index decides. Live
-- duplicates kept before it are unsubscribed, keeping a confirmed one, else
-- the oldest.
UPDATE notify_subscriptions SET status = 'unsubscribed'
WHERE id IN (SELECT id FROM (
	SELECT id, row_number() OVER (PARTITION BY topic_id, protocol, endpoint
		ORDER BY status = 'confirmed' DESC, id) AS n
	FROM notify_subscriptions WHERE status <> 'unsubscribed') live WHERE n > 1);

CREATE UNIQUE INDEX notify_subscriptions_live_endpoint ON notify_subscriptions (topic_id, protocol, endpoint)
	WHERE status <> 'unsubscribed';
