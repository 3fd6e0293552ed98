//! The web app served at `/`.

use std::path::PathBuf;

use super::ConfigError;
use super::source::Source;

/// `GANTRY_WEB_DIR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSettings {
    /// The built web app's folder (default `web/out` when built; `None`: nothing is served at
    /// `/`). A named folder must exist.
    pub dir: Option<PathBuf>,
}

pub(super) fn parse(src: &Source<'_>) -> Result<WebSettings, ConfigError> {
    Ok(WebSettings {
        dir: crate::web_static::resolve_dir(src.get("GANTRY_WEB_DIR"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{accepts, rejects};

    #[test]
    fn an_existing_folder() {
        let dir = std::env::temp_dir();
        let d = dir.display().to_string();
        assert_eq!(
            accepts(&[("GANTRY_WEB_DIR", &d)], |c| c.web.dir.clone()),
            Some(dir)
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        rejects(&[(
            "GANTRY_WEB_DIR",
            "/no/such/gantry/web/out",
            "an existing directory holding the built web app",
        )]);
    }
}
