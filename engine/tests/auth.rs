//! Authentication persistence: login attempts and the rate-limit window, refresh-token rotation
//! and reuse, API tokens (scopes, hashing, last use), printer tokens.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, Utc};
use common::t0;
use gantry_engine::domain::auth::{AuthError, LoginPolicy, TokenKind};
use gantry_engine::domain::types::PrinterId;
use gantry_engine::domain::users::{NewUser, Permission, Role, User};
use gantry_engine::error::Coded;
use gantry_engine::store::auth::{self as st, RefreshOutcome, hash_token};
use gantry_engine::store::{Db, StoreError, count_rows, users};

fn token(kind: TokenKind, n: u8) -> String {
    kind.format(&[n; 32])
}

async fn user(db: &Db, email: &str, role: Role) -> User {
    let mut tx = db.begin().await.unwrap();
    let u = users::create_user(
        &mut tx,
        t0(),
        &NewUser {
            email: email.into(),
            display_name: "U".into(),
            role,
            customer_id: None,
            password_hash: Some("opaque".into()),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    u
}

async fn attempt(db: &Db, at: DateTime<Utc>, email: &str, addr: &str, ok: bool) {
    let mut tx = db.begin().await.unwrap();
    st::record_login_attempt(&mut tx, at, email, addr, ok)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn reason(e: &StoreError) -> &'static str {
    e.code()
}

gantry_engine::db_test!(login_failures_window_and_reset, |db| {
    let p = LoginPolicy::default();
    let now = t0() + Duration::hours(2);
    // Outside the window: not counted.
    attempt(db, now - Duration::minutes(16), "a@x.io", "1.1.1.1", false).await;
    for m in [10, 9, 8] {
        attempt(db, now - Duration::minutes(m), "a@x.io", "1.1.1.1", false).await;
    }
    let mut conn = db.pool().acquire().await.unwrap();
    let f = st::login_failures(&mut conn, now, &p, "a@x.io", "1.1.1.1", None)
        .await
        .unwrap();
    assert_eq!((f.account, f.address), (3, 3));
    assert_eq!(f.account_oldest, Some(now - Duration::minutes(10)));
    drop(conn);
    // A success resets the account count but not the address count.
    attempt(db, now - Duration::minutes(7), "a@x.io", "1.1.1.1", true).await;
    attempt(db, now - Duration::minutes(6), "a@x.io", "2.2.2.2", false).await;
    let mut conn = db.pool().acquire().await.unwrap();
    let f = st::login_failures(&mut conn, now, &p, "a@x.io", "1.1.1.1", None)
        .await
        .unwrap();
    assert_eq!((f.account, f.address), (1, 3));
    let other = st::login_failures(&mut conn, now, &p, "b@x.io", "3.3.3.3", None)
        .await
        .unwrap();
    assert_eq!((other.account, other.address), (0, 0));
    drop(conn);
    // The caller's own pending attempt is excluded; marking it succeeded resets the account.
    let mut tx = db.begin().await.unwrap();
    let own = st::record_login_attempt(&mut tx, now - Duration::minutes(1), "a@x.io", "1.1.1.1", false)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    let f = st::login_failures(&mut conn, now, &p, "a@x.io", "1.1.1.1", Some(own))
        .await
        .unwrap();
    assert_eq!((f.account, f.address), (1, 3));
    let f = st::login_failures(&mut conn, now, &p, "a@x.io", "1.1.1.1", None)
        .await
        .unwrap();
    assert_eq!((f.account, f.address), (2, 4));
    drop(conn);
    let mut tx = db.begin().await.unwrap();
    st::mark_login_succeeded(&mut tx, own).await.unwrap();
    tx.commit().await.unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    let f = st::login_failures(&mut conn, now, &p, "a@x.io", "1.1.1.1", None)
        .await
        .unwrap();
    assert_eq!((f.account, f.address), (0, 3));
    drop(conn);
    let mut tx = db.begin().await.unwrap();
    st::forget_login_attempt(&mut tx, own).await.unwrap();
    tx.commit().await.unwrap();
    // Attempts older than a day are pruned.
    attempt(db, now + Duration::days(2), "c@x.io", "4.4.4.4", false).await;
    assert_eq!(count_rows(db, "login_attempts").await.unwrap(), 1);
});

gantry_engine::db_test!(refresh_rotation_reuse_expiry_and_logout, |db| {
    let u = user(db, "r@x.io", Role::Sales).await;
    let (r1, r2, r3) = (
        token(TokenKind::Refresh, 1),
        token(TokenKind::Refresh, 2),
        token(TokenKind::Refresh, 3),
    );
    let exp = t0() + Duration::days(30);
    let mut tx = db.begin().await.unwrap();
    let session = st::create_refresh_token(&mut tx, t0(), u.id, &r1, exp)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    assert!(st::session_active(&mut conn, &session).await.unwrap());
    drop(conn);

    let mut tx = db.begin().await.unwrap();
    let out = st::rotate_refresh_token(&mut tx, t0(), &r1, &r2, exp)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        out,
        RefreshOutcome::Rotated {
            user_id: u.id,
            session: session.clone()
        }
    );
    // Reuse of r1 revokes the family (and writes no successor).
    let mut tx = db.begin().await.unwrap();
    let out = st::rotate_refresh_token(&mut tx, t0(), &r1, &r3, exp)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(out, RefreshOutcome::Rejected(AuthError::RefreshTokenReused));
    assert_eq!(count_rows(db, "refresh_tokens").await.unwrap(), 2);
    let mut conn = db.pool().acquire().await.unwrap();
    assert!(!st::session_active(&mut conn, &session).await.unwrap());
    drop(conn);
    let mut tx = db.begin().await.unwrap();
    let out = st::rotate_refresh_token(&mut tx, t0(), &r2, &r3, exp)
        .await
        .unwrap();
    assert_eq!(out, RefreshOutcome::Rejected(AuthError::TokenRevoked));
    tx.commit().await.unwrap();

    // Expired: rejected, nothing written.
    let r4 = token(TokenKind::Refresh, 4);
    let mut tx = db.begin().await.unwrap();
    st::create_refresh_token(&mut tx, t0(), u.id, &r4, t0() + Duration::minutes(1))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let out = st::rotate_refresh_token(&mut tx, t0() + Duration::minutes(2), &r4, &r3, exp)
        .await
        .unwrap();
    assert_eq!(out, RefreshOutcome::Rejected(AuthError::TokenExpired));
    tx.commit().await.unwrap();
    assert_eq!(count_rows(db, "refresh_tokens").await.unwrap(), 3);

    // Logout: unknown token is invalid; a known one revokes its session.
    let mut tx = db.begin().await.unwrap();
    let e = st::revoke_refresh_token(&mut tx, t0(), &r3).await.unwrap_err();
    assert_eq!(reason(&e), "AUTH_TOKEN_INVALID");
    assert_eq!(st::revoke_refresh_token(&mut tx, t0(), &r4).await.unwrap(), u.id);
    tx.commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let out = st::rotate_refresh_token(&mut tx, t0(), &r4, &r3, exp)
        .await
        .unwrap();
    assert_eq!(out, RefreshOutcome::Rejected(AuthError::TokenRevoked));
    // Garbage never reaches the database.
    let out = st::rotate_refresh_token(&mut tx, t0(), "gtr_x", &r3, exp)
        .await
        .unwrap();
    assert_eq!(out, RefreshOutcome::Rejected(AuthError::TokenInvalid));
});

gantry_engine::db_test!(api_tokens_scopes_hashing_and_last_use, |db| {
    let owner = user(db, "i@x.io", Role::Integrator).await;
    let secret = token(TokenKind::Api, 7);
    // Rejections write nothing.
    let mut tx = db.begin().await.unwrap();
    for (scopes, want) in [
        (vec!["users:admin"], "AUTH_SCOPE_NOT_GRANTED"),
        (vec!["nope"], "AUTH_UNKNOWN_SCOPE"),
        (vec![], "AUTH_NO_SCOPES"),
    ] {
        let e = st::create_api_token(&mut tx, t0(), &owner, "erp", &scopes, &secret)
            .await
            .unwrap_err();
        assert_eq!(reason(&e), want);
    }
    let e = st::create_api_token(&mut tx, t0(), &owner, "erp", &["orders:write"], "gty_short")
        .await
        .unwrap_err();
    assert_eq!(reason(&e), "AUTH_TOKEN_INVALID");
    tx.commit().await.unwrap();
    assert_eq!(count_rows(db, "api_tokens").await.unwrap(), 0);

    let mut tx = db.begin().await.unwrap();
    let t = st::create_api_token(&mut tx, t0(), &owner, " erp ", &["orders:write"], &secret)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((t.name.as_str(), t.prefix.as_str()), ("erp", &secret[..12]));
    assert_eq!(t.scopes, vec![Permission::OrdersWrite]);
    let row = sqlx::query("SELECT token_hash FROM api_tokens")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let stored: String = gantry_engine::store::col(&row, "api_tokens", "token_hash").unwrap();
    assert_eq!(stored, hash_token(&secret));
    assert!(!stored.contains(&secret[4..]));

    // Last use is written at most once a minute.
    for (at, want) in [(0, 0), (30, 0), (61, 61)] {
        let now = t0() + Duration::seconds(at);
        let mut tx = db.begin().await.unwrap();
        st::touch_api_token(&mut tx, now, t.id).await.unwrap();
        tx.commit().await.unwrap();
        let mut conn = db.pool().acquire().await.unwrap();
        let got = st::api_token_by_secret(&mut conn, &secret).await.unwrap();
        assert_eq!(got.last_used_at, Some(t0() + Duration::seconds(want)), "{at}");
    }
    assert!(st::needs_touch(t0(), None));
    assert!(!st::needs_touch(t0() + Duration::seconds(10), Some(t0())));

    let mut tx = db.begin().await.unwrap();
    st::revoke_api_token(&mut tx, t0(), t.id).await.unwrap();
    let again = st::revoke_api_token(&mut tx, t0() + Duration::hours(1), t.id)
        .await
        .unwrap();
    assert_eq!(again.revoked_at, Some(t0()), "idempotent");
    tx.commit().await.unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    let e = st::api_token_by_secret(&mut conn, &secret).await.unwrap_err();
    assert_eq!(reason(&e), "AUTH_TOKEN_REVOKED");
    let e = st::api_token_by_secret(&mut conn, &token(TokenKind::Api, 8))
        .await
        .unwrap_err();
    assert_eq!(reason(&e), "AUTH_TOKEN_INVALID");
    assert_eq!(
        st::list_api_tokens(&mut conn, Some(owner.id))
            .await
            .unwrap()
            .len(),
        1
    );
});

gantry_engine::db_test!(printer_tokens_need_a_printer, |db| {
    let secret = token(TokenKind::Printer, 9);
    let mut tx = db.begin().await.unwrap();
    let e = st::create_printer_token(&mut tx, t0(), PrinterId(42), None, &secret)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::NotFound {
                entity: "printer",
                ..
            }
        ),
        "{e:?}"
    );
    drop(tx);
    assert_eq!(count_rows(db, "printer_tokens").await.unwrap(), 0);
});
