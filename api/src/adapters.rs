//! The adapters the use cases of `gantry_app` need from the outside world, wired from the
//! configuration: object storage (`crate::storage`), the analysis cache (`crate::analysis_cache`:
//! Redis or in-process) and the slicer (`crate::slicer`: PrusaSlicer). Resolvers get them as
//! schema data and hand them on; they never name these themselves.

use gantry_app::printing::Services;
use gantry_engine::domain::printing::SliceSettings;

use crate::analysis_cache::AnalysisCache;
use crate::config::Config;
use crate::slicer::Slicer;
use crate::storage::Storage;

/// The printing services of the process (schema data).
pub struct PrintingServices {
    pub storage: Storage,
    pub cache: AnalysisCache,
    pub slicer: Slicer,
    pub max_upload_bytes: u64,
    pub settings: SliceSettings,
}

impl PrintingServices {
    pub fn from_config(config: &Config) -> PrintingServices {
        PrintingServices {
            storage: Storage::new(&config.storage.objects),
            cache: AnalysisCache::new(config.cache.redis_url.as_deref()),
            slicer: Slicer::new(&config.printing.slicer),
            max_upload_bytes: config.printing.max_upload_bytes,
            settings: SliceSettings::default(),
        }
    }
}

impl PrintingServices {
    /// The adapters as the use cases take them.
    pub fn adapters(&self) -> Services<'_, Storage, AnalysisCache, Slicer> {
        Services {
            storage: &self.storage,
            cache: &self.cache,
            slicer: &self.slicer,
            settings: &self.settings,
        }
    }
}
