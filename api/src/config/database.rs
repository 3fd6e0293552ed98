//! The SQL database.

use std::path::Path;

use super::ConfigError;
use super::source::{Source, invalid};

/// `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseSettings {
    /// `sqlite://PATH` or `postgres://…` (default: `sqlite://$GANTRY_DATA_DIR/gantry.sqlite`).
    pub url: String,
}

impl DatabaseSettings {
    /// Whether the database is a SQLite file (its folder is created at start).
    pub fn is_sqlite(&self) -> bool {
        self.url.starts_with("sqlite:")
    }
}

pub(super) fn parse(src: &Source<'_>, data_dir: &Path) -> Result<DatabaseSettings, ConfigError> {
    let url = match src.get("DATABASE_URL") {
        Some(url) => {
            if !(url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"))
            {
                return Err(invalid(
                    "DATABASE_URL",
                    url,
                    "sqlite://PATH or postgres://USER@HOST:PORT/DB",
                ));
            }
            url
        }
        None => format!("sqlite://{}", data_dir.join("gantry.sqlite").display()),
    };
    Ok(DatabaseSettings { url })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{accepts, rejects};

    #[test]
    fn sqlite_in_the_data_dir_by_default() {
        let d = accepts(&[], |c| c.database.clone());
        assert_eq!(d.url, "sqlite://./data/gantry.sqlite");
        assert!(d.is_sqlite());
        let d = accepts(&[("GANTRY_DATA_DIR", "/var/lib/gantry")], |c| c.database.clone());
        assert_eq!(d.url, "sqlite:///var/lib/gantry/gantry.sqlite");
        for url in ["postgres://g@db:5432/g", "postgresql://g@db/g", "sqlite::memory:"] {
            assert_eq!(accepts(&[("DATABASE_URL", url)], |c| c.database.url.clone()), url);
        }
    }

    #[test]
    fn bad_values_name_the_variable() {
        rejects(&[
            ("DATABASE_URL", "mysql://x", "sqlite://PATH or postgres://"),
            ("DATABASE_URL", "db.example:5432", "sqlite://PATH or postgres://"),
        ]);
    }
}
