//! Pure geometry: parse STL (binary and ASCII), 3MF and OBJ from bytes in memory, then analyse the
//! mesh (volume, surface area, bounding box, closedness, orientation, units) and fit it to build volumes.
//!
//! No I/O and no clock: callers hand over the bytes. Every malformed input is a typed
//! [`GeometryError`] with a stable code; nothing here panics on any input (`fuzz/` exercises that).
//!
//! The pipeline is `parse(file_name, bytes, limits) -> (ModelFormat, Mesh)`, then
//! `analyse(format, &mesh) -> Analysis`, then `fit(analysis.size_mm, &build_volume) -> Option<Fit>`.
//! Parsers weld vertices with identical coordinates (per object), so the edge pairing in
//! [`analyse`] sees shared edges even in formats that store a triangle soup (STL).

mod analysis;
mod fit;
mod obj;
mod stl;
mod threemf;
mod weld;

pub use analysis::{Analysis, UnitsGuess, analyse};
pub use fit::{Axis, BuildVolume, Fit, Orientation, fit, fit_all};

use crate::error::{Coded, ErrorKind};
use serde::{Deserialize, Serialize};

/// A supported model file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelFormat {
    Stl,
    ThreeMf,
    Obj,
}

impl ModelFormat {
    /// All formats, in a stable order.
    pub const ALL: [ModelFormat; 3] = [ModelFormat::Stl, ModelFormat::ThreeMf, ModelFormat::Obj];

    /// The format named by a file's extension (case-insensitive), if it is one we read.
    pub fn from_file_name(name: &str) -> Option<ModelFormat> {
        let (_, ext) = name.rsplit_once('.')?;
        ModelFormat::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(ext))
    }

    /// The canonical extension without the dot: `"stl"`, `"3mf"` or `"obj"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelFormat::Stl => "stl",
            ModelFormat::ThreeMf => "3mf",
            ModelFormat::Obj => "obj",
        }
    }

    /// The registered media type, for storage metadata and downloads.
    pub fn media_type(self) -> &'static str {
        match self {
            ModelFormat::Stl => "model/stl",
            ModelFormat::ThreeMf => "model/3mf",
            ModelFormat::Obj => "model/obj",
        }
    }
}

impl std::fmt::Display for ModelFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Bounds on what a parser will build, so a hostile file cannot exhaust memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseLimits {
    /// Most triangles a model may have (after 3MF instancing).
    pub max_triangles: usize,
    /// Most bytes a 3MF part may inflate to (checked on the declared size and on the bytes read).
    pub max_uncompressed_bytes: u64,
}

impl ParseLimits {
    /// Highest uncompressed/compressed ratio accepted for a 3MF part larger than
    /// [`ParseLimits::RATIO_CHECK_ABOVE_BYTES`]. Model XML compresses roughly 5-15:1; deflate
    /// cannot exceed about 1032:1, which is what bombs use.
    pub const MAX_COMPRESSION_RATIO: u64 = 100;
    /// Parts smaller than this are not ratio-checked (tiny files compress oddly and are harmless).
    pub const RATIO_CHECK_ABOVE_BYTES: u64 = 1 << 20;
}

impl Default for ParseLimits {
    /// 20 million triangles (about 1 GB as binary STL) and 1 GiB of inflated 3MF XML.
    fn default() -> Self {
        ParseLimits {
            max_triangles: 20_000_000,
            max_uncompressed_bytes: 1 << 30,
        }
    }
}

/// An indexed triangle mesh in millimetres (3MF units are converted; STL/OBJ carry none, see
/// [`UnitsGuess`]). Vertices with identical coordinates are welded within an object.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mesh {
    pub vertices: Vec<[f32; 3]>,
    /// Indices into `vertices`, counter-clockwise seen from outside for a well-formed model.
    pub triangles: Vec<[u32; 3]>,
    /// Number of separate objects: STL solids, OBJ `o` groups (at least 1), 3MF build items.
    pub objects: u32,
}

/// Why a model was refused. Codes are contracts (`MODEL_*`), all of kind Validation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeometryError {
    #[error("unsupported model file type `{file_name}`: expected a .stl, .3mf or .obj file")]
    UnknownFormat { file_name: String },
    #[error("the file is named .{expected} but does not contain {expected} data: {found}")]
    FormatMismatch { expected: ModelFormat, found: String },
    #[error("the model file is truncated: {0}")]
    Truncated(String),
    #[error("the model file is malformed: {0}")]
    Malformed(String),
    #[error(
        "binary STL header declares {declared} triangles ({expected_bytes} bytes) but the file has \
         {actual_bytes} bytes"
    )]
    CountMismatch {
        declared: u64,
        expected_bytes: u64,
        actual_bytes: u64,
    },
    #[error("the model has a coordinate that is not a finite number (NaN or infinite): {0}")]
    NonFinite(String),
    #[error("the model has no triangles: {0}")]
    Empty(String),
    #[error("the model encloses no volume (it is flat or degenerate)")]
    ZeroVolume,
    #[error("the model has {triangles} triangles, more than the limit of {limit}")]
    TooLarge { triangles: u64, limit: u64 },
    #[error("the 3MF archive was refused as a possible zip bomb: {0}")]
    ArchiveBomb(String),
    #[error("the 3MF archive has no model part `{0}`")]
    MissingPart(String),
}

impl Coded for GeometryError {
    fn code(&self) -> &'static str {
        match self {
            GeometryError::UnknownFormat { .. } => "MODEL_UNKNOWN_FORMAT",
            GeometryError::FormatMismatch { .. } => "MODEL_FORMAT_MISMATCH",
            GeometryError::Truncated(_) => "MODEL_TRUNCATED",
            GeometryError::Malformed(_) => "MODEL_MALFORMED",
            GeometryError::CountMismatch { .. } => "MODEL_COUNT_MISMATCH",
            GeometryError::NonFinite(_) => "MODEL_NON_FINITE",
            GeometryError::Empty(_) => "MODEL_EMPTY",
            GeometryError::ZeroVolume => "MODEL_ZERO_VOLUME",
            GeometryError::TooLarge { .. } => "MODEL_TOO_LARGE",
            GeometryError::ArchiveBomb(_) => "MODEL_ARCHIVE_BOMB",
            GeometryError::MissingPart(_) => "MODEL_MISSING_PART",
        }
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Validation
    }
}

/// Parses a model file held in memory. The extension picks the format and the content is sniffed:
/// an unknown extension is [`GeometryError::UnknownFormat`], other content behind a known extension
/// is [`GeometryError::FormatMismatch`]. Binary and ASCII STL are told apart by content, not by the
/// `solid` prefix alone (some binary exporters write `solid` into the header).
pub fn parse(
    file_name: &str,
    bytes: &[u8],
    limits: &ParseLimits,
) -> Result<(ModelFormat, Mesh), GeometryError> {
    let format = ModelFormat::from_file_name(file_name).ok_or_else(|| GeometryError::UnknownFormat {
        file_name: file_name.chars().take(200).collect(),
    })?;
    if bytes.is_empty() {
        return Err(GeometryError::Empty("the file is empty".to_string()));
    }
    let mesh = match format {
        ModelFormat::Stl => stl::parse(bytes, limits)?,
        ModelFormat::ThreeMf => threemf::parse(bytes, limits)?,
        ModelFormat::Obj => obj::parse(bytes, limits)?,
    };
    Ok((format, mesh))
}

/// [`parse`] then [`analyse`]: the whole pure pipeline from bytes to an [`Analysis`].
pub fn parse_and_analyse(
    file_name: &str,
    bytes: &[u8],
    limits: &ParseLimits,
) -> Result<Analysis, GeometryError> {
    let (format, mesh) = parse(file_name, bytes, limits)?;
    analyse(format, &mesh)
}

/// What a buffer looks like when it is not the expected format, from well-known magic numbers.
fn foreign_magic(bytes: &[u8]) -> Option<&'static str> {
    const MAGICS: &[(&[u8], &str)] = &[
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"%PDF", "a PDF document"),
        (b"PK\x03\x04", "a zip archive"),
        (b"PK\x05\x06", "an empty zip archive"),
        (b"\x1F\x8B", "a gzip archive"),
        (b"7z\xBC\xAF", "a 7-zip archive"),
        (b"Rar!", "a RAR archive"),
        (b"\x7FELF", "an executable"),
        (b"MZ", "a Windows executable"),
        (b"<?xml", "an XML document"),
        (b"<!DOCTYPE", "an HTML document"),
        (b"<html", "an HTML document"),
        (b"ply", "a PLY model"),
        (b"ISO-10303", "a STEP model"),
        (b"#VRML", "a VRML model"),
        (b"glTF", "a glTF model"),
        (b"{", "a JSON document"),
    ];
    MAGICS
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map(|(_, what)| *what)
}

/// True if the first bytes look like text (no NULs or control characters other than whitespace).
fn looks_like_text(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .take(512)
        .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
}

/// Describes unexpected content for a [`GeometryError::FormatMismatch`].
fn describe_content(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "the file is empty".to_string();
    }
    if let Some(what) = foreign_magic(bytes) {
        return format!("it looks like {what}");
    }
    if looks_like_text(bytes) {
        let first: String = String::from_utf8_lossy(bytes.get(..40).unwrap_or(bytes))
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        return format!("it is text starting with {first:?}");
    }
    "it is binary data of an unknown kind".to_string()
}

/// Parses a decimal number token as f32, refusing NaN and infinities.
fn parse_coord(token: &[u8], what: impl Fn() -> String) -> Result<f32, GeometryError> {
    let text =
        std::str::from_utf8(token).map_err(|_| GeometryError::Malformed(format!("{}: not text", what())))?;
    match text.parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(GeometryError::NonFinite(format!("{} is {text}", what()))),
        Err(_) => Err(GeometryError::Malformed(format!(
            "{}: expected a number, found {:?}",
            what(),
            text.chars().take(40).collect::<String>()
        ))),
    }
}

/// [`GeometryError::TooLarge`] if `triangles` exceeds the limit.
fn check_triangle_limit(triangles: u64, limits: &ParseLimits) -> Result<(), GeometryError> {
    let limit = u64::try_from(limits.max_triangles).unwrap_or(u64::MAX);
    if triangles > limit {
        return Err(GeometryError::TooLarge { triangles, limit });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_extensions_case_insensitively() {
        let cases = [
            ("part.stl", Some(ModelFormat::Stl)),
            ("PART.STL", Some(ModelFormat::Stl)),
            ("a.b.3MF", Some(ModelFormat::ThreeMf)),
            ("x.obj", Some(ModelFormat::Obj)),
            ("x.step", None),
            ("stl", None),
            ("", None),
            (".stl", Some(ModelFormat::Stl)),
        ];
        for (name, want) in cases {
            assert_eq!(ModelFormat::from_file_name(name), want, "{name}");
        }
        for f in ModelFormat::ALL {
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(serde_json::from_str::<ModelFormat>(&json).unwrap(), f);
        }
        assert_eq!(
            serde_json::to_string(&ModelFormat::ThreeMf).unwrap(),
            "\"three_mf\""
        );
    }

    #[test]
    fn every_error_is_a_validation_error_with_a_model_code() {
        let errors = [
            GeometryError::UnknownFormat {
                file_name: "a".into(),
            },
            GeometryError::FormatMismatch {
                expected: ModelFormat::Stl,
                found: "x".into(),
            },
            GeometryError::Truncated("x".into()),
            GeometryError::Malformed("x".into()),
            GeometryError::CountMismatch {
                declared: 1,
                expected_bytes: 134,
                actual_bytes: 84,
            },
            GeometryError::NonFinite("x".into()),
            GeometryError::Empty("x".into()),
            GeometryError::ZeroVolume,
            GeometryError::TooLarge {
                triangles: 2,
                limit: 1,
            },
            GeometryError::ArchiveBomb("x".into()),
            GeometryError::MissingPart("x".into()),
        ];
        let mut codes: Vec<&str> = errors.iter().map(|e| e.code()).collect();
        assert!(errors.iter().all(|e| e.kind() == ErrorKind::Validation));
        assert!(codes.iter().all(|c| c.starts_with("MODEL_")));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len(), "codes are distinct");
    }

    #[test]
    fn content_descriptions_name_what_was_found() {
        assert_eq!(describe_content(b""), "the file is empty");
        assert_eq!(describe_content(b"\x89PNG\r\n"), "it looks like a PNG image");
        assert_eq!(
            describe_content(b"hello\nworld"),
            "it is text starting with \"hello\""
        );
        assert_eq!(
            describe_content(&[0, 1, 2]),
            "it is binary data of an unknown kind"
        );
    }
}
