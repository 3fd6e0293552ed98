//! Object storage for model files and G-code, through the `object_store` crate: a directory on
//! local disk (`$GANTRY_DATA_DIR/objects`, the default) or an S3-compatible bucket (AWS S3,
//! MinIO; credentials from the usual `AWS_*` variables).
//!
//! Objects are addressed by the SHA-256 of their content (`models/ab/abcdef…`), so the same file
//! uploaded twice is stored once, and a write of an existing key is skipped. The store is
//! opened on first use, so a server that never receives an upload creates no directory.

use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use tokio::sync::OnceCell;

use crate::config::ObjectStoreConfig;

/// Object storage failed (I/O, network, credentials); never the caller's fault.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object storage: {0}")]
    Store(#[from] object_store::Error),
    #[error("object storage: cannot create {path}: {source}")]
    Dir { path: String, source: std::io::Error },
}

pub use gantry_app::printing::{gcode_key, model_key, sha256_hex, sliced_model_key};

/// Content-addressed object storage, opened lazily.
pub struct Storage {
    config: ObjectStoreConfig,
    store: OnceCell<Arc<dyn ObjectStore>>,
}

impl Storage {
    pub fn new(config: &ObjectStoreConfig) -> Storage {
        Storage {
            config: config.clone(),
            store: OnceCell::new(),
        }
    }

    async fn store(&self) -> Result<&Arc<dyn ObjectStore>, StorageError> {
        self.store
            .get_or_try_init(|| async {
                let store: Arc<dyn ObjectStore> = match &self.config {
                    ObjectStoreConfig::Local { root } => {
                        tokio::fs::create_dir_all(root)
                            .await
                            .map_err(|e| StorageError::Dir {
                                path: root.display().to_string(),
                                source: e,
                            })?;
                        Arc::new(object_store::local::LocalFileSystem::new_with_prefix(root)?)
                    }
                    ObjectStoreConfig::S3 {
                        bucket,
                        endpoint,
                        region,
                    } => {
                        let mut b = object_store::aws::AmazonS3Builder::from_env()
                            .with_bucket_name(bucket)
                            .with_region(region);
                        if let Some(e) = endpoint {
                            b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
                        }
                        Arc::new(b.build()?)
                    }
                };
                Ok(store)
            })
            .await
    }

    /// Whether an object exists.
    pub async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        match self.store().await?.head(&Path::from(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Stores `bytes` under `key` unless an object is there already (keys are content hashes,
    /// so it holds the same bytes). Returns whether it wrote. The write itself is atomic.
    pub async fn put_if_absent(&self, key: &str, bytes: Bytes) -> Result<bool, StorageError> {
        if self.exists(key).await? {
            return Ok(false);
        }
        self.store()
            .await?
            .put(&Path::from(key), PutPayload::from_bytes(bytes))
            .await?;
        Ok(true)
    }

    /// Stores `bytes` under `key`, replacing any object there (atomic).
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), StorageError> {
        self.store()
            .await?
            .put(&Path::from(key), PutPayload::from_bytes(bytes))
            .await?;
        Ok(())
    }

    /// The bytes of an object.
    pub async fn get(&self, key: &str) -> Result<Bytes, StorageError> {
        Ok(self.store().await?.get(&Path::from(key)).await?.bytes().await?)
    }

    /// Removes an object; an absent one is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self.store().await?.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

impl gantry_app::printing::ObjectStorage for Storage {
    async fn put_if_absent(&self, key: &str, bytes: Vec<u8>) -> Result<bool, String> {
        Storage::put_if_absent(self, key, Bytes::from(bytes))
            .await
            .map_err(|e| e.to_string())
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), String> {
        Storage::put(self, key, Bytes::from(bytes))
            .await
            .map_err(|e| e.to_string())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        match Storage::get(self, key).await {
            Ok(b) => Ok(Some(b.to_vec())),
            Err(StorageError::Store(object_store::Error::NotFound { .. })) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), String> {
        Storage::delete(self, key).await.map_err(|e| e.to_string())
    }
}

impl gantry_app::finance::ReceiptStore for Storage {
    async fn put_if_absent(&self, key: &str, bytes: Vec<u8>) -> Result<bool, String> {
        Storage::put_if_absent(self, key, Bytes::from(bytes))
            .await
            .map_err(|e| e.to_string())
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, String> {
        Storage::get(self, key)
            .await
            .map(|b| b.to_vec())
            .map_err(|e| e.to_string())
    }
}
