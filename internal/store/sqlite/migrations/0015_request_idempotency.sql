-- The Idempotency-Key a requester sent with a create: asking again with the
-- same key returns the request made with it instead of making a second one.
-- Keys are the requester's own: another user's same key is another request.
ALTER TABLE access_requests ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX access_requests_idempotency ON access_requests (requester_account, requester_user, idempotency_key)
	WHERE idempotency_key IS NOT NULL;
