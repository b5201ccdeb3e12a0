-- A user name's skeleton (mesh.NameSkeleton): the form look-alikes share, so
-- that a new user name passing for an existing one is found by one lookup.
-- Rows of earlier versions are filled in by the store when it opens.
ALTER TABLE users ADD COLUMN username_skeleton TEXT NOT NULL DEFAULT '';
CREATE INDEX users_username_skeleton ON users (username_skeleton);
