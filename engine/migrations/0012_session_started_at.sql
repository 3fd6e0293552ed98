-- Security (issue #12): a session (refresh-token family) has an absolute maximum age counted
-- from the login that started it (GANTRY_REFRESH_MAX_AGE_DAYS). Every token of a family carries
-- that start, copied on each rotation, so the limit does not depend on older rows being kept.
-- Existing families start at their oldest token.
ALTER TABLE refresh_tokens ADD COLUMN session_started_at BIGINT NOT NULL DEFAULT 0;
UPDATE refresh_tokens SET session_started_at = (
    SELECT MIN(f.created_at) FROM refresh_tokens f WHERE f.family = refresh_tokens.family
);
