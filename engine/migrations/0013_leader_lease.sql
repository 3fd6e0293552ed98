-- Scale-out (issue #16): several `gantry serve` replicas on one database.
--
-- The scheduler leader's lease: one row per lease name ('scheduler'). `holder` is the replica
-- holding it ('' after a resignation), `epoch` goes up by one on every takeover, `expires_at`
-- (epoch milliseconds) is pushed forward by the holder's renewals. Every write the leader makes
-- (plans, hand-overs, offline marks, holds) checks holder and epoch in its own transaction
-- (fencing): a leader that lost the lease writes nothing.
CREATE TABLE leader_lease (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    acquired_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
INSERT INTO leader_lease (name, holder, epoch, acquired_at, expires_at) VALUES ('scheduler', '', 0, 0, 0);
-- The replicas serving this database, each renewing `seen_at` every few seconds; a replica not
-- seen for a while is taken as gone (its agent connections with it).
CREATE TABLE replicas (
    id TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    seen_at BIGINT NOT NULL
);
-- Settings every replica must agree on (a digest of the JWT secret, the schema version, the
-- heartbeat): a replica whose value differs from a live replica's refuses to start.
CREATE TABLE cluster_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at BIGINT NOT NULL
);
-- Which replica holds a printer's agent connection (the gateway): control commands and the
-- leader's hand-overs are sent there. `connected` 0 keeps when the agent was last seen
-- (`seen_at`) after its connection ended; missed heartbeats are judged from this row.
CREATE TABLE agent_gateways (
    printer_id BIGINT PRIMARY KEY REFERENCES printers (id),
    replica TEXT NOT NULL,
    conn_id BIGINT NOT NULL,
    connected BIGINT NOT NULL,
    seen_at BIGINT NOT NULL
);
CREATE INDEX agent_gateways_replica ON agent_gateways (replica);
