//! Signatures of webhooks, both ways (pure: the caller passes the secret, the body, the time).
//!
//! - **Outbound**, the Standard Webhooks format: headers `webhook-id`, `webhook-timestamp` (epoch
//!   seconds) and `webhook-signature` = space-separated `v1,<base64 HMAC-SHA256 of
//!   "{id}.{timestamp}.{body}">`, one per secret in force (two while a rotated secret overlaps).
//!   Secrets are `whsec_` + base64 of 24 random bytes; the key is the decoded bytes.
//! - **Inbound**: Stripe (`Stripe-Signature: t=…,v1=…`, HMAC-SHA256 hex of `"{t}.{payload}"`,
//!   a tolerance on `t`), Shopify (`X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the body) and
//!   WooCommerce (`X-WC-Webhook-Signature`: the same), and Gantry's generic carrier format
//!   (the Standard Webhooks headers above, verified with [`verify`]).
//!
//! Every comparison of a signature is constant-time (`Mac::verify_slice`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{KeyInit, Mac};

use super::IntegrationError;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The prefix of a Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a new secret.
pub const SECRET_BYTES: usize = 24;
/// The accepted skew of a signed timestamp, either way (Stripe's and Standard Webhooks' 5 min).
pub const TOLERANCE_SECS: i64 = 300;

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    match <HmacSha256 as KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable_mac(),
    }
}

#[cold]
fn unreachable_mac() -> HmacSha256 {
    // Not reachable: HMAC accepts keys of every length. Keyed with nothing rather than panic.
    <HmacSha256 as KeyInit>::new(&Default::default())
}

fn hmac_parts(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = mac(key);
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

fn hmac_verify(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
    let mut m = mac(key);
    for p in parts {
        m.update(p);
    }
    m.verify_slice(tag).is_ok()
}

/// A new secret from `random` bytes (the caller draws them from the OS): `whsec_…`.
pub fn secret_from_bytes(random: &[u8; SECRET_BYTES]) -> String {
    format!("{SECRET_PREFIX}{}", B64.encode(random))
}

/// The key bytes of a `whsec_…` secret.
pub fn secret_key(secret: &str) -> Result<Vec<u8>, IntegrationError> {
    let b = secret
        .strip_prefix(SECRET_PREFIX)
        .ok_or(IntegrationError::SecretInvalid)?;
    match B64.decode(b) {
        Ok(k) if k.len() >= 16 && k.len() <= 64 => Ok(k),
        _ => Err(IntegrationError::SecretInvalid),
    }
}

/// One `v1,<base64>` signature of a message with `key`.
pub fn sign(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let ts = timestamp.to_string();
    let tag = hmac_parts(key, &[msg_id.as_bytes(), b".", ts.as_bytes(), b".", body]);
    format!("v1,{}", B64.encode(tag))
}

/// The `webhook-signature` header: one signature per key, space-separated (the current secret
/// first, then a rotated one still in its overlap period).
pub fn signature_header(keys: &[Vec<u8>], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|k| sign(k, msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks Standard Webhooks headers as a receiver does: the timestamp within
/// [`TOLERANCE_SECS`] of `now_secs`, and at least one `v1` signature in `header` made with `key`.
pub fn verify(
    key: &[u8],
    msg_id: &str,
    timestamp: &str,
    header: &str,
    body: &[u8],
    now_secs: i64,
) -> Result<(), IntegrationError> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| IntegrationError::SignatureInvalid("webhook-timestamp is not a number"))?;
    check_tolerance(ts, now_secs)?;
    let ts = ts.to_string();
    let ok = header.split_whitespace().any(|sig| {
        sig.strip_prefix("v1,")
            .and_then(|b| B64.decode(b).ok())
            .is_some_and(|tag| hmac_verify(key, &[msg_id.as_bytes(), b".", ts.as_bytes(), b".", body], &tag))
    });
    if ok {
        Ok(())
    } else {
        Err(IntegrationError::SignatureInvalid("no matching v1 signature"))
    }
}

fn check_tolerance(ts: i64, now_secs: i64) -> Result<(), IntegrationError> {
    if (now_secs - ts).abs() > TOLERANCE_SECS {
        return Err(IntegrationError::TimestampOutOfTolerance {
            skew_secs: now_secs - ts,
        });
    }
    Ok(())
}

/// A verified `Stripe-Signature`: its timestamp (epoch seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StripeVerified {
    pub timestamp: i64,
}

/// Checks a `Stripe-Signature: t=…,v1=…[,v1=…]` header for `payload` with the endpoint
/// secret (used as given, as Stripe does: the whole `whsec_…` text is the key), the timestamp
/// within [`TOLERANCE_SECS`] of `now_secs`.
pub fn verify_stripe(
    secret: &str,
    header: &str,
    payload: &[u8],
    now_secs: i64,
) -> Result<StripeVerified, IntegrationError> {
    let mut t = None;
    let mut sigs = Vec::new();
    for item in header.split(',') {
        match item.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.push(v.to_string()),
            _ => {}
        }
    }
    let t = t.ok_or(IntegrationError::SignatureInvalid("no t= in Stripe-Signature"))?;
    if sigs.is_empty() {
        return Err(IntegrationError::SignatureInvalid("no v1= in Stripe-Signature"));
    }
    let ts = t.to_string();
    let ok = sigs.iter().any(|s| {
        hex::decode(s)
            .ok()
            .is_some_and(|tag| hmac_verify(secret.as_bytes(), &[ts.as_bytes(), b".", payload], &tag))
    });
    if !ok {
        return Err(IntegrationError::SignatureInvalid("no matching v1 signature"));
    }
    check_tolerance(t, now_secs)?;
    Ok(StripeVerified { timestamp: t })
}

/// The `Stripe-Signature` header Stripe would send (tests and the docs' examples).
pub fn stripe_header(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    let ts = timestamp.to_string();
    let tag = hmac_parts(secret.as_bytes(), &[ts.as_bytes(), b".", payload]);
    format!("t={ts},v1={}", hex::encode(tag))
}

/// Base64 HMAC-SHA256 of the body, as Shopify (`X-Shopify-Hmac-Sha256`) and WooCommerce
/// (`X-WC-Webhook-Signature`) send it.
pub fn body_hmac_base64(secret: &str, body: &[u8]) -> String {
    B64.encode(hmac_parts(secret.as_bytes(), &[body]))
}

/// Checks a base64 body HMAC (Shopify, WooCommerce).
pub fn verify_body_hmac(secret: &str, header: &str, body: &[u8]) -> Result<(), IntegrationError> {
    let tag = B64
        .decode(header.trim())
        .map_err(|_| IntegrationError::SignatureInvalid("signature is not base64"))?;
    if hmac_verify(secret.as_bytes(), &[body], &tag) {
        Ok(())
    } else {
        Err(IntegrationError::SignatureInvalid(
            "signature does not match the body",
        ))
    }
}
