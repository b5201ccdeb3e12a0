-- Shared requests by their grant: when a grant ends (a catalog delete, an
-- offboarding, a revocation), the requests that granted through it end too.
CREATE INDEX access_requests_grant ON access_requests (grant_id) WHERE status = 'SHARED';
