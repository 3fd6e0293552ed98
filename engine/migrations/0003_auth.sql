-- Authentication (issue #4): refresh tokens, API tokens, printer tokens and login attempts.
-- Secrets are high-entropy random tokens shown once; only their hex SHA-256 is stored.

-- Refresh tokens rotate on every use: the successor gets the same family and names its parent.
-- Presenting a token that was already rotated revokes the whole family (theft detection).
CREATE TABLE refresh_tokens (
    id ID_PK,
    user_id BIGINT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    family TEXT NOT NULL,
    parent_id BIGINT REFERENCES refresh_tokens (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    rotated_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- API tokens for integrators: scoped to a subset of the owner's role permissions
-- (comma-separated permission names), revocable, with the time of last use.
CREATE TABLE api_tokens (
    id ID_PK,
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Printer tokens: the credential a printer agent presents.
CREATE TABLE printer_tokens (
    id ID_PK,
    printer_id BIGINT NOT NULL REFERENCES printers (id),
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX printer_tokens_printer ON printer_tokens (printer_id);

-- Login attempts, for rate limiting per account (normalised e-mail, also for unknown
-- addresses) and per client address. Kept in the database so every replica sees the same counts.
CREATE TABLE login_attempts (
    id ID_PK,
    email TEXT NOT NULL,
    address TEXT NOT NULL,
    succeeded BIGINT NOT NULL,
    attempted_at BIGINT NOT NULL
);
CREATE INDEX login_attempts_email ON login_attempts (email, attempted_at);
CREATE INDEX login_attempts_address ON login_attempts (address, attempted_at);
