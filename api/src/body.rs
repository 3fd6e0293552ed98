//! Reading a `POST /graphql` body within its limits, before anything is parsed.
//!
//! - A JSON (or any non-multipart) body may be at most `GANTRY_MAX_BODY_BYTES`.
//! - A multipart request from a caller who may not upload is held to the same limit as a whole:
//!   multipart is not a way around the JSON limit.
//! - A multipart request from a caller who may upload may carry up to [`MAX_UPLOAD_FILES`]
//!   files of `GANTRY_MAX_UPLOAD_BYTES` each, but its `operations` and `map` parts are still
//!   held to the JSON limit ([`check_multipart_parts`]).

use actix_web::web;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

/// Most files in one multipart request.
pub const MAX_UPLOAD_FILES: usize = 4;
/// Room for multipart boundaries and part headers beside the parts' contents.
const MULTIPART_FRAMING: usize = 64 << 10;

/// Request body limits: JSON bodies (`GANTRY_MAX_BODY_BYTES`) and uploaded files
/// (`GANTRY_MAX_UPLOAD_BYTES`, per file, in multipart requests).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub json: usize,
    pub upload: u64,
}

impl BodyLimits {
    /// The most bytes a whole request body may have.
    pub fn whole_body(&self, multipart: bool, may_upload: bool) -> usize {
        if !(multipart && may_upload) {
            return self.json;
        }
        let files = usize::try_from(self.upload)
            .unwrap_or(usize::MAX)
            .saturating_mul(MAX_UPLOAD_FILES);
        self.json
            .saturating_mul(2) // operations + map
            .saturating_add(files)
            .saturating_add(MULTIPART_FRAMING)
    }
}

/// Why a body was not read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the request body is larger than the limit of {0} bytes")]
    TooLarge(usize),
    #[error("the multipart part `{part}` is larger than the limit of {limit} bytes")]
    PartTooLarge { part: String, limit: u64 },
    #[error("the request body could not be read: {0}")]
    Read(String),
}

/// Reads the whole body, failing as soon as it passes `limit` bytes (nothing more is read).
pub async fn read_limited(mut payload: web::Payload, limit: usize) -> Result<Bytes, BodyError> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match e {
            actix_web::error::PayloadError::Overflow => BodyError::TooLarge(limit),
            other => BodyError::Read(other.to_string()),
        })?;
        if buf.len().saturating_add(chunk.len()) > limit {
            return Err(BodyError::TooLarge(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Checks a multipart body's `operations` and `map` parts against the JSON limit (file parts are
/// bounded by the upload limit when the request is parsed).
pub async fn check_multipart_parts(
    content_type: &str,
    body: &Bytes,
    json_limit: usize,
) -> Result<(), BodyError> {
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        // Not a valid multipart request: the GraphQL parser reports it.
        return Ok(());
    };
    let limit = u64::try_from(json_limit).unwrap_or(u64::MAX);
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .for_field("operations", limit)
            .for_field("map", limit),
    );
    let stream = futures_util::stream::once(std::future::ready(Ok::<_, std::io::Error>(body.clone())));
    let mut parts = multer::Multipart::with_constraints(stream, boundary, constraints);
    loop {
        match parts.next_field().await {
            Ok(Some(mut field)) => loop {
                match field.chunk().await {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => return size_error(e),
                }
            },
            Ok(None) => return Ok(()),
            Err(e) => return size_error(e),
        }
    }
}

fn size_error(e: multer::Error) -> Result<(), BodyError> {
    match e {
        multer::Error::FieldSizeExceeded { limit, field_name } => Err(BodyError::PartTooLarge {
            part: field_name.unwrap_or_default(),
            limit,
        }),
        // Malformed multipart: left to the GraphQL parser, which says what is wrong.
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_uploaders_get_more_than_the_json_limit() {
        let l = BodyLimits {
            json: 1000,
            upload: 10_000,
        };
        assert_eq!(l.whole_body(false, false), 1000);
        assert_eq!(l.whole_body(false, true), 1000);
        assert_eq!(l.whole_body(true, false), 1000);
        assert_eq!(l.whole_body(true, true), 2000 + 40_000 + MULTIPART_FRAMING);
    }

    fn multipart(ops: &str, file: &[u8]) -> (String, Bytes) {
        let b = "XyZ";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!("--{b}\r\ncontent-disposition: form-data; name=\"operations\"\r\n\r\n{ops}\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(
            format!("--{b}\r\ncontent-disposition: form-data; name=\"map\"\r\n\r\n{{\"0\":[\"variables.file\"]}}\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(
            format!("--{b}\r\ncontent-disposition: form-data; name=\"0\"; filename=\"a.stl\"\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
        (format!("multipart/form-data; boundary={b}"), Bytes::from(body))
    }

    #[tokio::test]
    async fn operations_over_the_json_limit_are_refused_files_are_not() {
        let (ct, body) = multipart("{\"query\":\"{ version }\"}", &[7u8; 5000]);
        assert!(check_multipart_parts(&ct, &body, 100).await.is_ok());
        let big = format!(
            "{{\"query\":\"{{ version }}\",\"variables\":{{\"x\":\"{}\"}}}}",
            "a".repeat(500)
        );
        let (ct, body) = multipart(&big, b"solid");
        match check_multipart_parts(&ct, &body, 100).await {
            Err(BodyError::PartTooLarge { part, limit }) => {
                assert_eq!(part, "operations");
                assert_eq!(limit, 100);
            }
            other => panic!("{other:?}"),
        }
    }
}
