//! Files on disk and uploaded models: the data directory and the object store.

use std::path::PathBuf;

use super::ConfigError;
use super::source::{Source, invalid};

/// Where uploaded model files are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectStoreConfig {
    /// A directory on local disk (default: `$GANTRY_DATA_DIR/objects`).
    Local { root: PathBuf },
    /// An S3-compatible bucket (AWS S3, MinIO).
    S3 {
        bucket: String,
        endpoint: Option<String>,
        region: String,
    },
}

/// `GANTRY_DATA_DIR`, `GANTRY_OBJECT_STORE`, `GANTRY_S3_BUCKET`, `GANTRY_S3_ENDPOINT`,
/// `GANTRY_S3_REGION`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageSettings {
    /// The SQLite database (by default) and local object storage (`GANTRY_DATA_DIR`, default
    /// `./data`).
    pub data_dir: PathBuf,
    /// Where uploaded model files are kept (`GANTRY_OBJECT_STORE`: `local` or `s3`).
    pub objects: ObjectStoreConfig,
}

pub(super) fn parse(src: &Source<'_>) -> Result<StorageSettings, ConfigError> {
    let data_dir = PathBuf::from(src.get("GANTRY_DATA_DIR").unwrap_or_else(|| "./data".into()));
    let objects = match src.get("GANTRY_OBJECT_STORE").as_deref() {
        None | Some("local") => ObjectStoreConfig::Local {
            root: data_dir.join("objects"),
        },
        Some("s3") => ObjectStoreConfig::S3 {
            bucket: src.get("GANTRY_S3_BUCKET").ok_or_else(|| {
                invalid(
                    "GANTRY_S3_BUCKET",
                    "",
                    "a bucket name (required when GANTRY_OBJECT_STORE=s3)",
                )
            })?,
            endpoint: src.get("GANTRY_S3_ENDPOINT"),
            region: src.get("GANTRY_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
        },
        Some(other) => return Err(invalid("GANTRY_OBJECT_STORE", other, "local or s3")),
    };
    Ok(StorageSettings { data_dir, objects })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{accepts, rejects};
    use super::*;

    #[test]
    fn local_by_default_under_the_data_dir() {
        let s = accepts(&[], |c| c.storage.clone());
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert_eq!(
            s.objects,
            ObjectStoreConfig::Local {
                root: PathBuf::from("./data/objects")
            }
        );
        let s = accepts(&[("GANTRY_DATA_DIR", "/srv/g")], |c| c.storage.clone());
        assert_eq!(
            s.objects,
            ObjectStoreConfig::Local {
                root: PathBuf::from("/srv/g/objects")
            }
        );
    }

    #[test]
    fn s3() {
        let s = accepts(
            &[
                ("GANTRY_OBJECT_STORE", "s3"),
                ("GANTRY_S3_BUCKET", "models"),
                ("GANTRY_S3_ENDPOINT", "http://minio:9000"),
            ],
            |c| c.storage.objects.clone(),
        );
        assert_eq!(
            s,
            ObjectStoreConfig::S3 {
                bucket: "models".into(),
                endpoint: Some("http://minio:9000".into()),
                region: "us-east-1".into()
            }
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        rejects(&[
            ("GANTRY_OBJECT_STORE", "ftp", "local or s3"),
            ("GANTRY_OBJECT_STORE", "S3", "local or s3"),
        ]);
        // s3 without a bucket names the bucket.
        let err =
            super::super::Config::from_map(&super::super::testing::env(&[("GANTRY_OBJECT_STORE", "s3")]))
                .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                setting: "GANTRY_S3_BUCKET",
                ..
            }
        ));
    }
}
