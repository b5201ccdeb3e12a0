-- Deliveries and the built-in mailbox are kept for a retention period
-- (serve --notify-retention), not forever. finished_at is when a delivery
-- was sent or dead-lettered, which its retention counts from; NULL while
-- it is pending. Those finished before it existed count from their
-- sending, or, dead-lettered at an unknown time, from now: they are kept
-- a whole period, for an admin to retry.
ALTER TABLE notify_deliveries ADD COLUMN finished_at TIMESTAMPTZ;
UPDATE notify_deliveries SET finished_at = coalesce(sent_at, now()) WHERE status <> 'pending';
CREATE INDEX notify_deliveries_finished ON notify_deliveries (finished_at) WHERE finished_at IS NOT NULL;

-- A sent delivery's payload is never read again, and may hold secrets
-- (approval links; a confirmation's token was dropped already): it goes.
UPDATE notify_deliveries SET payload = ''::bytea WHERE status = 'sent' AND length(payload) > 0;

CREATE INDEX notify_mailbox_created ON notify_mailbox (created_at);
