use core::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use super::IntegrationError as E;
use super::delivery::*;
use super::signing::*;
use crate::error::{Coded, ErrorKind};

#[test]
fn standard_webhooks_reference_signature() {
    // The example of the Standard Webhooks specification.
    let key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let body = br#"{"test": 2432232314}"#;
    let sig = sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
    assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    let now = 1614265330 + 10;
    assert_eq!(
        verify(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            &sig,
            body,
            now
        ),
        Ok(())
    );
    // Another body, id or timestamp does not verify.
    assert!(
        verify(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            &sig,
            b"{}",
            now
        )
        .is_err()
    );
    assert!(verify(&key, "msg_other", "1614265330", &sig, body, now).is_err());
    assert!(
        verify(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265331",
            &sig,
            body,
            now
        )
        .is_err()
    );
}

#[test]
fn hmac_is_rfc_4231() {
    // RFC 4231 test case 2.
    let tag = B64
        .decode(body_hmac_base64("Jefe", b"what do ya want for nothing?"))
        .unwrap();
    assert_eq!(
        hex::encode(tag),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn rotation_signs_with_both_keys_and_either_verifies() {
    let old = secret_key(&secret_from_bytes(&[1; SECRET_BYTES])).unwrap();
    let new = secret_key(&secret_from_bytes(&[2; SECRET_BYTES])).unwrap();
    let header = signature_header(&[new.clone(), old.clone()], "msg_1", 1000, b"x");
    assert_eq!(header.split(' ').count(), 2);
    assert_eq!(verify(&old, "msg_1", "1000", &header, b"x", 1000), Ok(()));
    assert_eq!(verify(&new, "msg_1", "1000", &header, b"x", 1000), Ok(()));
    let other = secret_key(&secret_from_bytes(&[3; SECRET_BYTES])).unwrap();
    assert!(matches!(
        verify(&other, "msg_1", "1000", &header, b"x", 1000),
        Err(E::SignatureInvalid(_))
    ));
}

#[test]
fn timestamps_outside_the_tolerance_are_refused() {
    let key = secret_key(&secret_from_bytes(&[7; SECRET_BYTES])).unwrap();
    let sig = sign(&key, "m", 10_000, b"b");
    assert_eq!(verify(&key, "m", "10000", &sig, b"b", 10_300), Ok(()));
    assert_eq!(
        verify(&key, "m", "10000", &sig, b"b", 10_301),
        Err(E::TimestampOutOfTolerance { skew_secs: 301 })
    );
    assert!(verify(&key, "m", "10000", &sig, b"b", 9_699).is_err());
    assert!(verify(&key, "m", "soon", &sig, b"b", 10_000).is_err());
}

#[test]
fn secrets_are_whsec_base64() {
    let s = secret_from_bytes(&[9; SECRET_BYTES]);
    assert!(s.starts_with("whsec_"));
    assert_eq!(secret_key(&s).unwrap(), vec![9; SECRET_BYTES]);
    for bad in ["", "whsec_", "whsec_!!!", "sk_abc", "whsec_AAAA"] {
        assert_eq!(secret_key(bad), Err(E::SecretInvalid), "{bad}");
    }
}

#[test]
fn stripe_signatures() {
    let secret = "whsec_test_stripe";
    let payload = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
    let header = stripe_header(secret, 5_000, payload);
    assert_eq!(
        verify_stripe(secret, &header, payload, 5_100),
        Ok(StripeVerified { timestamp: 5_000 })
    );
    // Several v1 (Stripe sends one per secret while rotating) and unknown schemes are fine.
    let extra = format!("{header},v1=00ff,v0=abc");
    assert!(verify_stripe(secret, &extra, payload, 5_000).is_ok());
    // Tampered payload, wrong secret, stale or future timestamp, malformed header.
    assert!(matches!(
        verify_stripe(secret, &header, b"{}", 5_000),
        Err(E::SignatureInvalid(_))
    ));
    assert!(matches!(
        verify_stripe("whsec_other", &header, payload, 5_000),
        Err(E::SignatureInvalid(_))
    ));
    assert_eq!(
        verify_stripe(secret, &header, payload, 5_301),
        Err(E::TimestampOutOfTolerance { skew_secs: 301 })
    );
    assert!(verify_stripe(secret, &header, payload, 4_000).is_err());
    for bad in ["", "t=5000", "v1=abcd", "t=x,v1=abcd", "garbage"] {
        assert!(
            matches!(
                verify_stripe(secret, bad, payload, 5_000),
                Err(E::SignatureInvalid(_))
            ),
            "{bad}"
        );
    }
}

#[test]
fn body_hmacs_of_shops() {
    let body = br#"{"id":820982911946154508}"#;
    let sig = body_hmac_base64("shpss_secret", body);
    assert_eq!(verify_body_hmac("shpss_secret", &sig, body), Ok(()));
    assert!(verify_body_hmac("shpss_secret", &sig, b"{}").is_err());
    assert!(verify_body_hmac("other", &sig, body).is_err());
    assert!(verify_body_hmac("shpss_secret", "not base64!", body).is_err());
}

#[test]
fn endpoint_urls() {
    let ok = |u: &str, private: bool| check_url(u, private).map(|e| e.host);
    assert_eq!(
        ok("https://hooks.example.com/in?x=1", false).as_deref(),
        Ok("hooks.example.com")
    );
    assert_eq!(ok("HTTP://Example.COM:8080", false).as_deref(), Ok("example.com"));
    assert_eq!(
        ok("http://[2606:4700::1111]:443/x", false).as_deref(),
        Ok("2606:4700::1111")
    );
    // Private and loopback targets only when allowed.
    for u in [
        "http://127.0.0.1:9000/h",
        "http://localhost/h",
        "http://api.localhost/h",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8080/",
        "http://[fd00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
    ] {
        assert!(matches!(check_url(u, false), Err(E::UrlForbidden { .. })), "{u}");
        assert!(check_url(u, true).is_ok(), "{u}");
    }
    for u in [
        "",
        "ftp://example.com/",
        "example.com/hook",
        "https://user:pw@example.com/",
        "https://example.com/#frag",
        "https://exa mple.com/",
        "https://:80/",
        "https://example.com:0/",
        "https://example.com:99999/",
        "https://[::1/",
        "https://ex%61mple.com/",
    ] {
        assert!(matches!(check_url(u, true), Err(E::UrlInvalid { .. })), "{u:?}");
    }
    assert_eq!(
        check_url("http://localhost", false).unwrap_err().code(),
        "WEBHOOK_URL_FORBIDDEN"
    );
}

#[test]
fn forbidden_addresses() {
    let f = |s: &str| ip_forbidden(s.parse::<IpAddr>().unwrap());
    for s in [
        "1.1.1.1",
        "8.8.8.8",
        "2606:4700::1111",
        "2a00:1450::1",
        "100.128.0.1",
        "172.32.0.1",
    ] {
        assert!(!f(s), "{s}");
    }
    for s in [
        "127.0.0.2",
        "10.0.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.1.1",
        "0.1.2.3",
        "100.127.255.255",
        "198.18.0.1",
        "224.0.0.1",
        "255.255.255.255",
        "240.0.0.1",
        "192.0.2.1",
        "::",
        "::1",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "2001:db8::1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
    ] {
        assert!(f(s), "{s}");
    }
}

#[test]
fn event_types_must_be_known() {
    let known = ["order.created", "job.state_changed", "payment.recorded"];
    assert_eq!(
        check_event_types(&["order.created", " job.state_changed", "order.created"], &known),
        Ok(vec!["job.state_changed".to_string(), "order.created".to_string()])
    );
    assert_eq!(
        check_event_types(&["order.created", "order.exploded"], &known),
        Err(E::UnknownEventType("order.exploded".into()))
    );
    assert_eq!(check_event_types::<&str>(&[], &known), Err(E::NoEventTypes));
    assert_eq!(
        check_event_types(&["*"], &known).unwrap_err().code(),
        "WEBHOOK_UNKNOWN_EVENT_TYPE"
    );
}

#[test]
fn retries_back_off_exponentially_with_jitter_within_the_period() {
    let p = RetryPolicy {
        first_delay_ms: 1_000,
        max_delay_ms: 60_000,
        period_ms: 600_000,
    };
    // (attempt, jitter, expected delay)
    let cases = [
        (1, 1.0, 1_000),
        (1, 0.0, 500),
        (2, 1.0, 2_000),
        (3, 1.0, 4_000),
        (3, 0.5, 3_000),
        (7, 1.0, 60_000),  // 64 s capped at 60 s
        (40, 1.0, 60_000), // no overflow
        (0, 1.0, 1_000),
    ];
    for (attempt, jitter, delay) in cases {
        assert_eq!(
            p.after_failure(attempt, 0, 100_000, jitter),
            AfterFailure::RetryAt(100_000 + delay),
            "attempt {attempt} jitter {jitter}"
        );
    }
    // The last retry that still fits the period, then none.
    assert_eq!(
        p.after_failure(7, 0, 540_000, 1.0),
        AfterFailure::RetryAt(600_000)
    );
    assert_eq!(p.after_failure(7, 0, 540_001, 1.0), AfterFailure::GiveUp);
    assert_eq!(
        p.after_failure(1, 0, 100_000, f64::NAN),
        AfterFailure::RetryAt(100_500)
    );
    assert_eq!(RetryPolicy::default().period_ms, 259_200_000);
}

#[test]
fn the_circuit_opens_after_enough_failures_for_long_enough() {
    let c = Circuit {
        threshold: 3,
        min_failing_ms: 1_000,
    };
    assert!(!c.opens(2, 0, 5_000));
    assert!(!c.opens(3, 0, 999));
    assert!(c.opens(3, 0, 1_000));
    assert!(c.opens(10, 0, 60_000));
}

#[test]
fn delivery_bodies_are_deterministic_json() {
    let b = body(
        "order.created",
        42,
        "2026-12-05T00:00:00.000Z",
        r#"{"order_id":7}"#,
    );
    let v: serde_json::Value = serde_json::from_str(&b).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"type": "order.created", "timestamp": "2026-12-05T00:00:00.000Z", "event_id": 42, "data": {"order_id": 7}})
    );
    assert_eq!(
        b,
        body(
            "order.created",
            42,
            "2026-12-05T00:00:00.000Z",
            r#"{"order_id":7}"#
        )
    );
    assert_eq!(message_id(42), "msg_42");
    let broken: serde_json::Value = serde_json::from_str(&body("x", 1, "t", "{not json")).unwrap();
    assert!(broken["data"].is_null());
}

#[test]
fn codes_and_kinds() {
    assert_eq!(E::Replay.code(), "WEBHOOK_REPLAY");
    assert_eq!(E::Replay.kind(), ErrorKind::Conflict);
    assert_eq!(E::SignatureInvalid("x").kind(), ErrorKind::Unauthenticated);
    assert_eq!(
        E::TimestampOutOfTolerance { skew_secs: 1 }.code(),
        "WEBHOOK_TIMESTAMP_STALE"
    );
    assert_eq!(E::NoEventTypes.kind(), ErrorKind::Validation);
}

#[test]
fn every_event_type_is_documented_and_subscribable() {
    // Endpoints subscribe to `events::TYPES`; docs/events.md is the contract they read.
    let doc = include_str!("../../../../docs/events.md");
    let documented: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .filter(|t| t.contains('.'))
        .collect();
    let mut a = documented.clone();
    a.sort_unstable();
    let mut b = crate::events::TYPES.to_vec();
    b.sort_unstable();
    assert_eq!(a, b, "docs/events.md's table and events::TYPES differ");
}

#[test]
fn stripe_events_read_into_payments() {
    use super::payments::*;
    use crate::types::Currency;
    let pi = br#"{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1",
        "amount_received":2500,"currency":"eur","metadata":{"gantry_order_id":"12"}}}}"#;
    assert_eq!(
        parse_stripe_event(pi),
        Ok(ProviderEvent::Paid(ProviderPayment {
            event_id: "evt_1".into(),
            reference: "pi_1".into(),
            amount_minor: 2500,
            currency: Currency::EUR,
            order_id: Some(12),
        }))
    );
    let cs = br#"{"id":"evt_2","type":"checkout.session.completed","data":{"object":{"id":"cs_1",
        "amount_total":900,"currency":"usd","payment_status":"paid","client_reference_id":"7"}}}"#;
    match parse_stripe_event(cs) {
        Ok(ProviderEvent::Paid(p)) => assert_eq!(
            (p.order_id, p.amount_minor, p.currency.as_str()),
            (Some(7), 900, "USD")
        ),
        other => panic!("{other:?}"),
    }
    let unpaid = br#"{"id":"evt_3","type":"checkout.session.completed","data":{"object":{"id":"cs_2","payment_status":"unpaid"}}}"#;
    assert!(matches!(
        parse_stripe_event(unpaid),
        Ok(ProviderEvent::Ignored { .. })
    ));
    for bad in [
        &b"{not json"[..],
        br#"{"type":"payment_intent.succeeded","data":{"object":{}}}"#,
        br#"{"id":"evt_4","type":"payment_intent.succeeded","data":{"object":{"id":"pi","amount_received":-5,"currency":"eur"}}}"#,
        br#"{"id":"evt_5","type":"payment_intent.succeeded","data":{"object":{"id":"pi","amount_received":5,"currency":"euro"}}}"#,
        br#"{"id":"evt_6","type":"payment_intent.succeeded","data":[]}"#,
    ] {
        assert!(matches!(parse_stripe_event(bad), Err(E::PayloadInvalid(_))), "{}", String::from_utf8_lossy(bad));
    }
}
