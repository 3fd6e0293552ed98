//! This server among several on one database (`docs/deployment.md`): its replica id, its lease
//! timing, the settings every replica must agree on (checked when it joins), and on SQLite the
//! lock that keeps a second `gantry serve` off the same database file.

use std::path::PathBuf;
use std::time::Duration;

use gantry_actors::ClusterConfig;
use gantry_app::cluster::Agreed;
use gantry_app::lease::{LeaseConfig, replica_id};
use gantry_engine::store::Db;
use sha2::{Digest, Sha256};

use crate::config::Config;

/// The database file of a `sqlite:` URL (`None` for an in-memory database or another backend).
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

/// Why this server may not serve the database.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error(
        "another `gantry serve` is running on the SQLite database {db} (it holds {lock}); one server \
         serves a SQLite file — stop it first, or use PostgreSQL to run several servers"
    )]
    SqliteBusy { db: String, lock: String },
    #[error("cannot open the lock file {lock}: {source}")]
    LockFile { lock: String, source: std::io::Error },
}

/// On SQLite, locks `<database>.serve.lock` for the life of the returned file: a second
/// `gantry serve` on the same file refuses to start ([`JoinError::SqliteBusy`]). The lock is
/// the operating system's, so a killed server's lock is gone with it.
pub fn lock_sqlite(config: &Config) -> Result<Option<std::fs::File>, JoinError> {
    if !config.database.is_sqlite() {
        return Ok(None);
    }
    let Some(file) = sqlite_file(&config.database.url) else {
        return Ok(None);
    };
    let lock = PathBuf::from(format!("{}.serve.lock", file.display()));
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(|source| JoinError::LockFile {
            lock: lock.display().to_string(),
            source,
        })?;
    match f.try_lock() {
        Ok(()) => Ok(Some(f)),
        Err(std::fs::TryLockError::WouldBlock) => Err(JoinError::SqliteBusy {
            db: file.display().to_string(),
            lock: lock.display().to_string(),
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(JoinError::LockFile {
            lock: lock.display().to_string(),
            source,
        }),
    }
}

/// This replica's id: the host name (`HOSTNAME`, the pod's name on Kubernetes), the process id
/// and a random suffix.
pub fn this_replica() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .unwrap_or_default();
    let mut b = [0u8; 4];
    let _ = getrandom::fill(&mut b);
    replica_id(host.trim(), u32::from_le_bytes(b))
}

/// The cluster settings of this server: its id and lease timing (renewed five times per
/// lease). `sole` (SQLite with the file lock held): no other server runs, so the lease is taken
/// at once even if a killed predecessor's has not expired.
pub fn cluster_config(config: &Config, sole: bool) -> ClusterConfig {
    let ttl = Duration::from_secs(config.farm.leader_lease_secs);
    ClusterConfig {
        replica: this_replica(),
        lease: LeaseConfig {
            ttl,
            renew_every: ttl / 5,
            take_over_at_start: sole,
        },
    }
}

/// The settings replicas must agree on, with the variable to set when they differ.
pub fn agreed(config: &Config) -> Vec<Agreed> {
    let mut out = vec![
        Agreed {
            name: "schema version",
            value: gantry_engine::store::migrate::MIGRATIONS
                .iter()
                .map(|m| m.version)
                .max()
                .unwrap_or(0)
                .to_string(),
            fix: "run the same Gantry version on every replica (roll the update out to all of them)",
        },
        Agreed {
            name: "agent heartbeat",
            value: config.farm.agent_heartbeat_secs.to_string(),
            fix: "set the same GANTRY_AGENT_HEARTBEAT_SECS on every replica",
        },
        Agreed {
            name: "leader lease",
            value: config.farm.leader_lease_secs.to_string(),
            fix: "set the same GANTRY_LEADER_LEASE_SECS on every replica",
        },
    ];
    // Only a digest of the secret is stored (never the secret); without one every server signs
    // with its own random key, which several replicas cannot share.
    let secret = match &config.auth.jwt_secret {
        Some(s) => hex::encode(Sha256::digest(
            format!("gantry-jwt-fingerprint:{}", s.0).as_bytes(),
        )),
        None => NO_SECRET.into(),
    };
    out.push(Agreed {
        name: "JWT secret",
        value: secret,
        fix: "set the same GANTRY_JWT_SECRET on every replica (tokens signed by one must verify on all)",
    });
    out
}

/// What [`agreed`] records for a server without `GANTRY_JWT_SECRET`.
const NO_SECRET: &str = "unset (a random key per process)";

/// Joins the replicas on `db` ([`gantry_app::cluster::join`]): refused when a setting differs
/// from the running replicas', or when there is no JWT secret to share. A replica seen within
/// two lease periods, and again after one renewal, counts as running.
pub async fn join(db: &Db, config: &Config, replica: &str) -> Result<(), gantry_app::AppError> {
    let lease = Duration::from_secs(config.farm.leader_lease_secs);
    let unshareable = |a: &Agreed| a.value == NO_SECRET;
    gantry_app::cluster::join(
        db,
        replica,
        &agreed(config),
        lease * 2,
        lease / 5 + Duration::from_millis(500),
        &unshareable,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_file_of_a_sqlite_url() {
        let cases = [
            (
                "sqlite:///var/lib/gantry/gantry.db",
                Some("/var/lib/gantry/gantry.db"),
            ),
            ("sqlite://data/g.db?mode=rwc", Some("data/g.db")),
            ("sqlite:g.db", Some("g.db")),
            ("sqlite::memory:", None),
            ("postgres://x@y/z", None),
        ];
        for (url, want) in cases {
            assert_eq!(sqlite_file(url), want.map(PathBuf::from), "{url}");
        }
    }
}
