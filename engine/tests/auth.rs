//! Authentication persistence: login attempts and the rate-limit window, refresh-token rotation
//! and reuse, API tokens (scopes, hashing, last use), printer tokens.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, Utc};
use common::t0;
use gantry_engine::domain::auth::{AuthError, LoginPolicy, SessionPolicy, TokenKind};
use gantry_engine::domain::types::{PrinterId, from_millis};
use gantry_engine::domain::users::{NewUser, Permission, Role, User};
use gantry_engine::error::Coded;
use gantry_engine::store::auth::{self as st, RefreshOutcome, hash_token};
use gantry_engine::store::{Db, StoreError, col, count_rows, migrate, users};

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
    let sessions = &SessionPolicy::default();
    let mut tx = db.begin().await.unwrap();
    let session = st::create_refresh_token(&mut tx, t0(), u.id, &r1, sessions)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    assert!(st::session_active(&mut conn, &session).await.unwrap());
    drop(conn);

    let mut tx = db.begin().await.unwrap();
    let out = st::rotate_refresh_token(&mut tx, t0(), &r1, &r2, sessions)
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
    let out = st::rotate_refresh_token(&mut tx, t0(), &r1, &r3, sessions)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(out, RefreshOutcome::Rejected(AuthError::RefreshTokenReused));
    assert_eq!(count_rows(db, "refresh_tokens").await.unwrap(), 2);
    let mut conn = db.pool().acquire().await.unwrap();
    assert!(!st::session_active(&mut conn, &session).await.unwrap());
    drop(conn);
    let mut tx = db.begin().await.unwrap();
    let out = st::rotate_refresh_token(&mut tx, t0(), &r2, &r3, sessions)
        .await
        .unwrap();
    assert_eq!(out, RefreshOutcome::Rejected(AuthError::TokenRevoked));
    tx.commit().await.unwrap();

    // Expired: rejected, nothing written.
    let r4 = token(TokenKind::Refresh, 4);
    let mut tx = db.begin().await.unwrap();
    let short = SessionPolicy {
        refresh_ttl: Duration::minutes(1),
        ..SessionPolicy::default()
    };
    st::create_refresh_token(&mut tx, t0(), u.id, &r4, &short)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let out = st::rotate_refresh_token(&mut tx, t0() + Duration::minutes(2), &r4, &r3, sessions)
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
    let out = st::rotate_refresh_token(&mut tx, t0(), &r4, &r3, sessions)
        .await
        .unwrap();
    assert_eq!(out, RefreshOutcome::Rejected(AuthError::TokenRevoked));
    // Garbage never reaches the database.
    let out = st::rotate_refresh_token(&mut tx, t0(), "gtr_x", &r3, sessions)
        .await
        .unwrap();
    assert_eq!(out, RefreshOutcome::Rejected(AuthError::TokenInvalid));
});

/// (rotated_at, revoked_at, session_started_at, expires_at) of the stored refresh token `token`.
async fn refresh_row(db: &Db, token: &str) -> (Option<i64>, Option<i64>, DateTime<Utc>, DateTime<Utc>) {
    let row = sqlx::query(
        "SELECT rotated_at, revoked_at, session_started_at, expires_at FROM refresh_tokens \
         WHERE token_hash = $1",
    )
    .bind(hash_token(token))
    .fetch_one(db.pool())
    .await
    .unwrap();
    let t = "refresh_tokens";
    (
        col(&row, t, "rotated_at").unwrap(),
        col(&row, t, "revoked_at").unwrap(),
        from_millis(col(&row, t, "session_started_at").unwrap()),
        from_millis(col(&row, t, "expires_at").unwrap()),
    )
}

async fn rotate(db: &Db, at: DateTime<Utc>, old: &str, new: &str, policy: &SessionPolicy) -> RefreshOutcome {
    let mut tx = db.begin().await.unwrap();
    let out = st::rotate_refresh_token(&mut tx, at, old, new, policy)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    out
}

gantry_engine::db_test!(refresh_stops_at_the_session_maximum_age, |db| {
    let u = user(db, "m@x.io", Role::Sales).await;
    let policy = SessionPolicy {
        refresh_ttl: Duration::days(7),
        max_age: Duration::days(30),
    };
    let day = |d: i64| t0() + Duration::days(d);
    let r = |n: u8| token(TokenKind::Refresh, n);
    let mut tx = db.begin().await.unwrap();
    let session = st::create_refresh_token(&mut tx, t0(), u.id, &r(1), &policy)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(refresh_row(db, &r(1)).await.3, day(7));

    // Refreshed every 6 days, each token is used well within its own 7 days; the session's start
    // (the login) is carried to every successor.
    let mut current = r(1);
    for (n, d) in [(2, 6), (3, 12), (4, 18), (5, 24), (6, 29)] {
        let out = rotate(db, day(d), &current, &r(n), &policy).await;
        assert_eq!(
            out,
            RefreshOutcome::Rotated {
                user_id: u.id,
                session: session.clone()
            },
            "day {d}"
        );
        current = r(n);
        assert_eq!(refresh_row(db, &current).await.2, t0(), "day {d}");
    }
    // The token issued on day 29 expires with the session (day 30), not 7 days later.
    assert_eq!(refresh_row(db, &current).await.3, day(30));

    // From day 30 on the session cannot be refreshed, even with a token that has not expired:
    // rejected, nothing written, the token neither used up nor revoked.
    let rows = count_rows(db, "refresh_tokens").await.unwrap();
    let longer_token = SessionPolicy {
        refresh_ttl: Duration::days(60),
        ..policy
    };
    let mut tx = db.begin().await.unwrap();
    st::create_refresh_token(&mut tx, t0(), u.id, &r(7), &longer_token)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        refresh_row(db, &r(7)).await.3,
        day(30),
        "capped at the session end"
    );
    let out = rotate(db, day(30), &current, &r(8), &policy).await;
    assert_eq!(out, RefreshOutcome::Rejected(AuthError::SessionExpired));
    assert_eq!(AuthError::SessionExpired.code(), "AUTH_SESSION_EXPIRED");
    assert_eq!(count_rows(db, "refresh_tokens").await.unwrap(), rows + 1);
    let (rotated, revoked, started, _) = refresh_row(db, &current).await;
    assert_eq!((rotated, revoked, started), (None, None, t0()));
    // A session is not refreshed by a policy that lets tokens live longer than the session
    // either; only the maximum age decides.
    let generous = SessionPolicy {
        refresh_ttl: Duration::days(365),
        max_age: Duration::days(30),
    };
    let out = rotate(db, day(29) + Duration::hours(23), &r(7), &r(8), &generous).await;
    assert!(matches!(out, RefreshOutcome::Rotated { .. }), "{out:?}");
    assert_eq!(refresh_row(db, &r(8)).await.3, day(30));
    let out = rotate(db, day(31), &r(8), &r(9), &generous).await;
    assert_eq!(out, RefreshOutcome::Rejected(AuthError::SessionExpired));
    // The refused token was not used up: under a longer maximum age (the configuration changed)
    // it still rotates before its own expiry.
    let out = rotate(
        db,
        day(29) + Duration::hours(12),
        &current,
        &r(10),
        &SessionPolicy {
            max_age: Duration::days(90),
            ..policy
        },
    )
    .await;
    assert!(matches!(out, RefreshOutcome::Rotated { .. }), "{out:?}");

    // Reuse detection comes first: a used token presented after the end still revokes the family.
    let out = rotate(db, day(31), &r(1), &r(11), &policy).await;
    assert_eq!(out, RefreshOutcome::Rejected(AuthError::RefreshTokenReused));
    let mut conn = db.pool().acquire().await.unwrap();
    assert!(!st::session_active(&mut conn, &session).await.unwrap());
});

gantry_engine::db_test!(
    migration_gives_existing_sessions_their_first_token_as_start,
    |db| {
        let u = user(db, "g@x.io", Role::Sales).await;
        let policy = SessionPolicy::default();
        let r = |n: u8| token(TokenKind::Refresh, n);
        let mut tx = db.begin().await.unwrap();
        st::create_refresh_token(&mut tx, t0(), u.id, &r(1), &policy)
            .await
            .unwrap();
        st::create_refresh_token(&mut tx, t0() + Duration::days(1), u.id, &r(2), &policy)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        rotate(db, t0() + Duration::days(5), &r(1), &r(3), &policy).await;
        // The rows as migration 11 finds them: the new column at its default.
        sqlx::query("UPDATE refresh_tokens SET session_started_at = 0")
            .execute(db.pool())
            .await
            .unwrap();
        let m = migrate::MIGRATIONS
            .iter()
            .find(|m| m.name == "session_started_at")
            .unwrap();
        let backfill = m.statements(db.backend());
        assert_eq!(backfill.len(), 2, "{backfill:?}");
        sqlx::query(sqlx::AssertSqlSafe(backfill[1].clone()))
            .execute(db.pool())
            .await
            .unwrap();
        assert_eq!(refresh_row(db, &r(1)).await.2, t0());
        assert_eq!(refresh_row(db, &r(3)).await.2, t0());
        assert_eq!(refresh_row(db, &r(2)).await.2, t0() + Duration::days(1));
    }
);

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
