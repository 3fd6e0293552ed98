-- Issue #13: customers register themselves (`signUp`). Every attempt is recorded per client
-- address before anything else is checked, so the rate limit (SignUpPolicy) also holds for
-- parallel bursts; rows older than a day are deleted as new ones arrive.
CREATE TABLE signup_attempts (
    id ID_PK,
    address TEXT NOT NULL,
    attempted_at BIGINT NOT NULL
);
CREATE INDEX signup_attempts_address ON signup_attempts (address, attempted_at);
