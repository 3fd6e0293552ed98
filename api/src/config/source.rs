//! Where settings come from: the environment over the optional TOML file, and the parsers every
//! section shares (numbers in a range, one of a few words, true/false).

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::ops::RangeInclusive;
use std::str::FromStr;

use super::{ConfigError, KEYS};

/// The raw settings of one start: environment variables, then keys of the `GANTRY_CONFIG` file.
/// A value that is empty or only spaces counts as unset.
#[derive(Debug)]
pub struct Source<'a> {
    env: &'a HashMap<String, String>,
    /// File key → value, for the keys the file sets.
    file: HashMap<&'static str, String>,
    /// Every variable a section asked for (tests check these against [`KEYS`]).
    asked: RefCell<BTreeSet<&'static str>>,
}

impl<'a> Source<'a> {
    /// The environment `env` over the file it names in `GANTRY_CONFIG`, if any.
    pub fn new(env: &'a HashMap<String, String>) -> Result<Source<'a>, ConfigError> {
        let file = match env.get("GANTRY_CONFIG").filter(|p| !p.is_empty()) {
            Some(path) => read_file(path)?,
            None => HashMap::new(),
        };
        Ok(Source {
            env,
            file,
            asked: RefCell::new(BTreeSet::new()),
        })
    }

    /// The value of environment variable `var`, else of its file key; trimmed, `None` when unset
    /// or blank.
    pub fn get(&self, var: &'static str) -> Option<String> {
        self.asked.borrow_mut().insert(var);
        if let Some(v) = self.env.get(var).filter(|v| !v.trim().is_empty()) {
            return Some(v.trim().to_string());
        }
        let key = file_key(var)?;
        self.file
            .get(key)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// A whole number within `range` (`default` when unset); otherwise "a whole number in range".
    pub fn number<T>(&self, var: &'static str, default: T, range: RangeInclusive<T>) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd,
    {
        match self.get(var) {
            None => Ok(default),
            Some(v) => match v.parse::<T>() {
                Ok(n) if range.contains(&n) => Ok(n),
                _ => Err(invalid(var, v, "a whole number in range")),
            },
        }
    }

    /// One of `words` (`default` when unset); otherwise `accepted`.
    pub fn one_of<T: Clone>(
        &self,
        var: &'static str,
        default: T,
        words: &[(&str, T)],
        accepted: &'static str,
    ) -> Result<T, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(v) => match words.iter().find(|(w, _)| *w == v) {
                Some((_, value)) => Ok(value.clone()),
                None => Err(invalid(var, v, accepted)),
            },
        }
    }

    /// `true`/`1` or `false`/`0` (`default` when unset); otherwise "true or false".
    pub fn flag(&self, var: &'static str, default: bool) -> Result<bool, ConfigError> {
        self.one_of(
            var,
            default,
            &[("true", true), ("1", true), ("false", false), ("0", false)],
            "true or false",
        )
    }

    /// The variables asked for so far.
    #[cfg(test)]
    pub fn asked(&self) -> BTreeSet<&'static str> {
        self.asked.borrow().clone()
    }
}

/// The error for setting `var` with value `value`.
pub fn invalid(setting: &'static str, value: impl Into<String>, accepted: &'static str) -> ConfigError {
    ConfigError::Invalid {
        setting,
        value: value.into(),
        accepted,
    }
}

/// The config-file key of environment variable `var`.
fn file_key(var: &str) -> Option<&'static str> {
    KEYS.iter().find(|(e, _)| *e == var).map(|(_, k)| *k)
}

/// The keys of a config file: each must be one of [`KEYS`]; a value is a string, a whole number
/// or a boolean (`graphql_max_depth = 12` and `graphql_max_depth = "12"` are the same).
fn read_file(path: &str) -> Result<HashMap<&'static str, String>, ConfigError> {
    let error = |reason: String| ConfigError::File {
        path: path.to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| error(e.to_string()))?;
    let mut out = HashMap::new();
    for (name, value) in table {
        let Some(key) = KEYS.iter().map(|(_, k)| *k).find(|k| *k == name) else {
            return Err(error(format!(
                "unknown key `{name}` (the keys are the lower-case names listed in README.md, Configuration)"
            )));
        };
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(n) => n.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(error(format!(
                    "key `{name}`: expected a string, a whole number or a boolean, found {}",
                    other.type_str()
                )));
            }
        };
        out.insert(key, value);
    }
    Ok(out)
}
