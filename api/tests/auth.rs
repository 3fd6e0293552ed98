//! Authentication over HTTP: login, tokens, rotation, revocation, rate limits, API and printer
//! tokens, and that rejected credentials leak nothing and write nothing. Every test runs on
//! SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{TEST_PASSWORD, TestApp, code};
use gantry_engine::domain::users::Role;
use gantry_engine::store::count_rows;
use serde_json::{Value, json};
use sqlx::Row;

const SECRET: &str = "test-secret-0123456789abcdef-0123456789";

const ME: &str = "{ me { id email role active } }";
const LOGIN: &str =
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }";
const REFRESH: &str =
    "mutation($r: String!) { refresh(refreshToken: $r) { accessToken refreshToken user { email } } }";
const LOGOUT: &str = "mutation($r: String!) { logout(refreshToken: $r) }";

/// An error response with the given code and reason, and no data at all.
#[track_caller]
fn assert_rejected(v: &Value, want_code: &str, want_reason: &str) {
    assert_eq!(code(v), (want_code, want_reason), "{v}");
    assert!(v["data"].is_null(), "data leaked: {v}");
}

async fn try_login(app: &TestApp, email: &str, password: &str) -> Value {
    app.graphql(LOGIN, json!({"e": email, "p": password})).await
}

fn jwt(secret: &str, claims: &Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap()
}

async fn text_column_values(app: &TestApp, table: &str, cols: &[&str]) -> Vec<String> {
    let sql = format!("SELECT {} FROM {table}", cols.join(", "));
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(app.db.db.pool())
        .await
        .unwrap();
    let mut out = Vec::new();
    for r in rows {
        for c in cols {
            out.push(r.try_get::<String, _>(*c).unwrap());
        }
    }
    out
}

app_test!(login_me_and_wrong_credentials_look_the_same, |app| {
    let id = app
        .create_user(Role::Planner, "Pat@Example.com", TEST_PASSWORD)
        .await;
    let payload = app.login("pat@example.com", TEST_PASSWORD).await;
    assert_eq!(payload["user"]["email"], "pat@example.com");
    assert!(payload["refreshToken"].as_str().unwrap().starts_with("gtr_"));
    let access = payload["accessToken"].as_str().unwrap();
    let me = app.graphql_as(access, ME, json!({})).await;
    assert_eq!(
        me["data"]["me"],
        json!({"id": id.to_string(), "email": "pat@example.com", "role": "PLANNER", "active": true})
    );

    let wrong_pw = try_login(app, "pat@example.com", "not the password").await;
    let unknown = try_login(app, "nobody@example.com", TEST_PASSWORD).await;
    let malformed = try_login(app, "not an address", TEST_PASSWORD).await;
    for v in [&wrong_pw, &unknown, &malformed] {
        assert_rejected(v, "UNAUTHENTICATED", "AUTH_INVALID_CREDENTIALS");
        assert_eq!(v["errors"][0]["message"], wrong_pw["errors"][0]["message"]);
    }
    // Anonymous callers get UNAUTHENTICATED from fields that need a caller.
    let anon = app.graphql(ME, json!({})).await;
    assert_rejected(&anon, "UNAUTHENTICATED", "UNAUTHENTICATED");
});

app_test_with!(
    expired_forged_and_malformed_tokens_are_rejected_without_data,
    [("GANTRY_JWT_SECRET", SECRET)],
    |app| {
        let admin = app.login_as(Role::Admin).await;
        let me = app.graphql_as(&admin, ME, json!({})).await;
        let uid = me["data"]["me"]["id"].as_str().unwrap().to_string();
        let now = chrono::Utc::now().timestamp();
        let claims = |iat: i64, exp: i64| json!({"sub": uid.to_string(), "role": "admin", "sid": "x", "iat": iat, "exp": exp, "jti": "j"});
        let expired = jwt(SECRET, &claims(now - 120, now - 60));
        let forged = jwt("another-secret-0123456789abcdef-012345", &claims(now, now + 600));
        let create = "mutation { createUser(input: {email: \"x@y.io\", displayName: \"X\", role: SALES, password: \"long enough pw\"}) { id } }";
        let users_before = count_rows(&app.db.db, "users").await.unwrap();
        for (token, reason) in [
            (expired.as_str(), "AUTH_TOKEN_EXPIRED"),
            (forged.as_str(), "AUTH_TOKEN_INVALID"),
            ("not-a-token", "AUTH_TOKEN_INVALID"),
            (
                "gty_0000000000000000000000000000000000000000000000000000000000000000",
                "AUTH_TOKEN_INVALID",
            ),
        ] {
            assert_rejected(
                &app.graphql_as(token, ME, json!({})).await,
                "UNAUTHENTICATED",
                reason,
            );
            assert_rejected(
                &app.graphql_as(token, create, json!({})).await,
                "UNAUTHENTICATED",
                reason,
            );
        }
        // A token signed with the right key but tampered with (payload swapped) fails too.
        let good = jwt(SECRET, &claims(now, now + 600));
        let other = jwt(
            SECRET,
            &json!({"sub": "999", "role": "admin", "sid": "x", "iat": now, "exp": now + 600, "jti": "k"}),
        );
        let g: Vec<&str> = good.split('.').collect();
        let o: Vec<&str> = other.split('.').collect();
        let tampered = format!("{}.{}.{}", g[0], o[1], g[2]);
        assert_rejected(
            &app.graphql_as(&tampered, ME, json!({})).await,
            "UNAUTHENTICATED",
            "AUTH_TOKEN_INVALID",
        );
        // alg=none is refused.
        let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", g[1]);
        assert_rejected(
            &app.graphql_as(&none, ME, json!({})).await,
            "UNAUTHENTICATED",
            "AUTH_TOKEN_INVALID",
        );
        // A validly signed token for a session that does not exist is revoked.
        assert_rejected(
            &app.graphql_as(&good, ME, json!({})).await,
            "UNAUTHENTICATED",
            "AUTH_TOKEN_REVOKED",
        );
        // Not a Bearer header.
        let v: Value = app
            .client
            .post(format!("{}/graphql", app.base))
            .header("Authorization", format!("Basic {admin}"))
            .json(&json!({"query": ME}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_rejected(&v, "UNAUTHENTICATED", "AUTH_TOKEN_INVALID");
        assert_eq!(count_rows(&app.db.db, "users").await.unwrap(), users_before);
    }
);

app_test_with!(
    access_tokens_expire,
    [("GANTRY_ACCESS_TOKEN_TTL_SECS", "1")],
    |app| {
        let token = app.login_as(Role::Sales).await;
        assert!(app.graphql_as(&token, ME, json!({})).await["errors"].is_null());
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        assert_rejected(
            &app.graphql_as(&token, ME, json!({})).await,
            "UNAUTHENTICATED",
            "AUTH_TOKEN_EXPIRED",
        );
    }
);

app_test!(refresh_rotates_and_reuse_revokes_the_session, |app| {
    app.create_user(Role::Operator, "op@gantry.test", TEST_PASSWORD)
        .await;
    let first = app.login("op@gantry.test", TEST_PASSWORD).await;
    let r1 = first["refreshToken"].as_str().unwrap().to_string();
    let v = app.graphql(REFRESH, json!({"r": r1})).await;
    assert!(v["errors"].is_null(), "{v}");
    let r2 = v["data"]["refresh"]["refreshToken"].as_str().unwrap().to_string();
    let a2 = v["data"]["refresh"]["accessToken"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    assert_eq!(v["data"]["refresh"]["user"]["email"], "op@gantry.test");
    assert!(app.graphql_as(&a2, ME, json!({})).await["errors"].is_null());

    // Presenting r1 again: reuse → the whole session is revoked, including r2 and its access token.
    assert_rejected(
        &app.graphql(REFRESH, json!({"r": r1})).await,
        "UNAUTHENTICATED",
        "AUTH_REFRESH_REUSED",
    );
    assert_rejected(
        &app.graphql(REFRESH, json!({"r": r2})).await,
        "UNAUTHENTICATED",
        "AUTH_TOKEN_REVOKED",
    );
    assert_rejected(
        &app.graphql_as(&a2, ME, json!({})).await,
        "UNAUTHENTICATED",
        "AUTH_TOKEN_REVOKED",
    );
    assert_rejected(
        &app.graphql_as(first["accessToken"].as_str().unwrap(), ME, json!({}))
            .await,
        "UNAUTHENTICATED",
        "AUTH_TOKEN_REVOKED",
    );
    // Garbage is simply invalid.
    assert_rejected(
        &app.graphql(REFRESH, json!({"r": "gtr_nope"})).await,
        "UNAUTHENTICATED",
        "AUTH_TOKEN_INVALID",
    );
    // Another session of the same account is unaffected.
    let other = app.login("op@gantry.test", TEST_PASSWORD).await;
    assert!(
        app.graphql_as(other["accessToken"].as_str().unwrap(), ME, json!({}))
            .await["errors"]
            .is_null()
    );
    // The database holds only hashes of refresh tokens.
    for h in text_column_values(app, "refresh_tokens", &["token_hash", "family"]).await {
        assert!(!h.contains(&r1[4..]) && !h.contains(&r2[4..]));
    }
});

app_test_with!(
    sessions_end_at_their_maximum_age,
    [("GANTRY_REFRESH_MAX_AGE_DAYS", "1")],
    |app| {
        app.create_user(Role::Planner, "pl@gantry.test", TEST_PASSWORD)
            .await;
        let first = app.login("pl@gantry.test", TEST_PASSWORD).await;
        let v = app.graphql(REFRESH, json!({"r": first["refreshToken"]})).await;
        assert!(v["errors"].is_null(), "{v}");
        let r2 = v["data"]["refresh"]["refreshToken"].as_str().unwrap().to_string();
        // The session was started by a login 25 hours ago; its tokens are otherwise fresh.
        let hours = 3_600_000_i64;
        sqlx::query(
            "UPDATE refresh_tokens SET session_started_at = session_started_at - $1, \
             created_at = created_at - $1",
        )
        .bind(25 * hours)
        .execute(app.db.db.pool())
        .await
        .unwrap();
        let rows = count_rows(&app.db.db, "refresh_tokens").await.unwrap();
        assert_rejected(
            &app.graphql(REFRESH, json!({"r": r2})).await,
            "UNAUTHENTICATED",
            "AUTH_SESSION_EXPIRED",
        );
        // Nothing changed: no successor, the token neither used up nor revoked.
        assert_eq!(count_rows(&app.db.db, "refresh_tokens").await.unwrap(), rows);
        let row = sqlx::query("SELECT rotated_at, revoked_at FROM refresh_tokens WHERE token_hash = $1")
            .bind(gantry_engine::store::auth::hash_token(&r2))
            .fetch_one(app.db.db.pool())
            .await
            .unwrap();
        let (rotated, revoked): (Option<i64>, Option<i64>) = (row.get("rotated_at"), row.get("revoked_at"));
        assert_eq!((rotated, revoked), (None, None));
        // Logging in again starts a new session, which refreshes.
        let again = app.login("pl@gantry.test", TEST_PASSWORD).await;
        let v = app.graphql(REFRESH, json!({"r": again["refreshToken"]})).await;
        assert!(v["errors"].is_null(), "{v}");
    }
);

app_test!(logout_revokes_refresh_and_access_tokens, |app| {
    app.create_user(Role::Accountant, "acc@gantry.test", TEST_PASSWORD)
        .await;
    let s = app.login("acc@gantry.test", TEST_PASSWORD).await;
    let (access, refresh) = (
        s["accessToken"].as_str().unwrap(),
        s["refreshToken"].as_str().unwrap(),
    );
    let v = app.graphql(LOGOUT, json!({"r": refresh})).await;
    assert_eq!(v["data"]["logout"], true, "{v}");
    assert_rejected(
        &app.graphql_as(access, ME, json!({})).await,
        "UNAUTHENTICATED",
        "AUTH_TOKEN_REVOKED",
    );
    assert_rejected(
        &app.graphql(REFRESH, json!({"r": refresh})).await,
        "UNAUTHENTICATED",
        "AUTH_TOKEN_REVOKED",
    );
    // Logging out twice is fine; an unknown token is not.
    assert_eq!(
        app.graphql(LOGOUT, json!({"r": refresh})).await["data"]["logout"],
        true
    );
    let unknown = format!("gtr_{}", "0".repeat(64));
    assert_eq!(
        code(&app.graphql(LOGOUT, json!({"r": unknown})).await),
        ("UNAUTHENTICATED", "AUTH_TOKEN_INVALID")
    );
});

app_test!(rate_limit_per_account, |app| {
    app.create_user(Role::Sales, "sam@gantry.test", TEST_PASSWORD)
        .await;
    app.create_user(Role::Sales, "sue@gantry.test", TEST_PASSWORD)
        .await;
    for _ in 0..5 {
        assert_rejected(
            &try_login(app, "sam@gantry.test", "wrong password").await,
            "UNAUTHENTICATED",
            "AUTH_INVALID_CREDENTIALS",
        );
    }
    // The sixth attempt is refused even with the right password, without checking it.
    let v = try_login(app, "SAM@gantry.test", TEST_PASSWORD).await;
    assert_rejected(&v, "RATE_LIMITED", "AUTH_RATE_LIMITED");
    let attempts = count_rows(&app.db.db, "login_attempts").await.unwrap();
    assert_eq!(attempts, 5, "a refused attempt is not recorded");
    // Another account from the same address is not affected (5 < 20 address failures).
    app.login("sue@gantry.test", TEST_PASSWORD).await;
});

app_test!(rate_limit_per_address_is_not_reset_by_a_success, |app| {
    app.create_user(Role::Sales, "sam@gantry.test", TEST_PASSWORD)
        .await;
    for i in 0..10 {
        let v = try_login(app, &format!("guess{i}@gantry.test"), "wrong password").await;
        assert_eq!(code(&v).0, "UNAUTHENTICATED");
    }
    app.login("sam@gantry.test", TEST_PASSWORD).await;
    for i in 10..20 {
        let v = try_login(app, &format!("guess{i}@gantry.test"), "wrong password").await;
        assert_eq!(code(&v).0, "UNAUTHENTICATED");
    }
    // 20 failures from this address in the window: even a correct login is refused.
    let v = try_login(app, "sam@gantry.test", TEST_PASSWORD).await;
    assert_rejected(&v, "RATE_LIMITED", "AUTH_RATE_LIMITED");
});

const CREATE_API: &str = "mutation($n: String!, $s: [String!]!) { createApiToken(name: $n, scopes: $s) \
     { token apiToken { id name prefix scopes lastUsedAt revokedAt } } }";
const LIST_API: &str = "{ apiTokens { id name prefix scopes lastUsedAt revokedAt } }";

app_test!(api_tokens_shown_once_hashed_scoped_and_revocable, |app| {
    let admin = app.login_as(Role::Admin).await;
    // Scopes narrow the role: an admin token limited to orders:read_all cannot list users.
    let v = app
        .graphql_as(&admin, CREATE_API, json!({"n": "ERP", "s": ["orders:read_all"]}))
        .await;
    assert!(v["errors"].is_null(), "{v}");
    let narrow = v["data"]["createApiToken"]["token"].as_str().unwrap().to_string();
    assert!(narrow.starts_with("gty_") && narrow.len() == 68);
    let t = &v["data"]["createApiToken"]["apiToken"];
    assert_eq!(t["prefix"].as_str().unwrap(), &narrow[..12]);
    assert_eq!(t["scopes"], json!(["orders:read_all"]));
    assert!(t["lastUsedAt"].is_null());
    let v = app.graphql_as(&narrow, "{ users { id } }", json!({})).await;
    assert_rejected(&v, "FORBIDDEN", "FORBIDDEN");
    let v = app.graphql_as(&narrow, ME, json!({})).await;
    assert_eq!(v["data"]["me"]["role"], "ADMIN", "{v}");

    let v = app
        .graphql_as(
            &admin,
            CREATE_API,
            json!({"n": "Admin bot", "s": ["users:admin"]}),
        )
        .await;
    let wide = v["data"]["createApiToken"]["token"].as_str().unwrap().to_string();
    let v = app.graphql_as(&wide, "{ users { id } }", json!({})).await;
    assert!(v["errors"].is_null(), "{v}");
    // An API token cannot mint tokens.
    let v = app
        .graphql_as(&wide, CREATE_API, json!({"n": "x", "s": ["users:admin"]}))
        .await;
    assert_rejected(&v, "FORBIDDEN", "FORBIDDEN");

    // Listing never shows the secret; last use is recorded.
    let v = app.graphql_as(&admin, LIST_API, json!({})).await;
    let list = v["data"]["apiTokens"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(!v.to_string().contains(&narrow[12..]) && !v.to_string().contains(&wide[12..]));
    assert!(list.iter().all(|t| !t["lastUsedAt"].is_null()), "{v}");
    // The database holds no plaintext.
    for value in text_column_values(app, "api_tokens", &["name", "prefix", "token_hash", "scopes"]).await {
        assert!(
            !value.contains(&narrow[4..]) && !value.contains(&wide[4..]),
            "{value}"
        );
    }

    // Revoked tokens stop working.
    let id = list.iter().find(|t| t["name"] == "ERP").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let v = app
        .graphql_as(
            &admin,
            "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }",
            json!({"id": id}),
        )
        .await;
    assert!(!v["data"]["revokeApiToken"]["revokedAt"].is_null(), "{v}");
    assert_rejected(
        &app.graphql_as(&narrow, ME, json!({})).await,
        "UNAUTHENTICATED",
        "AUTH_TOKEN_REVOKED",
    );
    assert!(app.graphql_as(&wide, ME, json!({})).await["errors"].is_null());
});

app_test!(
    api_token_scopes_must_be_granted_and_nothing_is_written_otherwise,
    |app| {
        let integrator = app.login_as(Role::Integrator).await;
        let cases = [
            (json!(["users:admin"]), "FORBIDDEN", "AUTH_SCOPE_NOT_GRANTED"),
            (json!(["orders:delete"]), "VALIDATION", "AUTH_UNKNOWN_SCOPE"),
            (json!([]), "VALIDATION", "AUTH_NO_SCOPES"),
        ];
        for (scopes, c, r) in cases {
            let v = app
                .graphql_as(&integrator, CREATE_API, json!({"n": "shop", "s": scopes}))
                .await;
            assert_rejected(&v, c, r);
        }
        let v = app
            .graphql_as(&integrator, CREATE_API, json!({"n": " ", "s": ["orders:write"]}))
            .await;
        assert_rejected(&v, "VALIDATION", "AUTH_INVALID_FIELD");
        assert_eq!(count_rows(&app.db.db, "api_tokens").await.unwrap(), 0);
        let v = app
            .graphql_as(
                &integrator,
                CREATE_API,
                json!({"n": "shop", "s": ["orders:write", "orders:read_all"]}),
            )
            .await;
        assert_eq!(
            v["data"]["createApiToken"]["apiToken"]["scopes"],
            json!(["orders:read_all", "orders:write"]),
            "{v}"
        );
        // Someone else's token cannot be revoked (and is not even acknowledged).
        let id = v["data"]["createApiToken"]["apiToken"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let sales = app.login_as(Role::Sales).await;
        let v = app
            .graphql_as(
                &sales,
                "mutation($id: ID!) { revokeApiToken(id: $id) { id } }",
                json!({"id": id}),
            )
            .await;
        assert_rejected(&v, "NOT_FOUND", "NOT_FOUND");
    }
);

app_test!(deactivated_users_are_locked_out, |app| {
    let admin = app.login_as(Role::Admin).await;
    let v = app
        .graphql_as(
            &admin,
            "mutation { createUser(input: {email: \"ivy@gantry.test\", displayName: \"Ivy\", role: INTEGRATOR, password: \"ivy's long password\"}) { id role } }",
            json!({}),
        )
        .await;
    assert!(v["errors"].is_null(), "{v}");
    let ivy_id = v["data"]["createUser"]["id"].as_str().unwrap().to_string();
    let s = app.login("ivy@gantry.test", "ivy's long password").await;
    let ivy = s["accessToken"].as_str().unwrap().to_string();
    let v = app
        .graphql_as(&ivy, CREATE_API, json!({"n": "shop", "s": ["orders:read_all"]}))
        .await;
    let api = v["data"]["createApiToken"]["token"].as_str().unwrap().to_string();

    let v = app
        .graphql_as(
            &admin,
            "mutation($id: ID!) { deactivateUser(id: $id) { active } }",
            json!({"id": ivy_id}),
        )
        .await;
    assert_eq!(v["data"]["deactivateUser"]["active"], false, "{v}");
    assert_rejected(
        &app.graphql_as(&ivy, ME, json!({})).await,
        "UNAUTHENTICATED",
        "AUTH_ACCOUNT_INACTIVE",
    );
    // Deactivation also revoked the account's API tokens and sessions.
    assert_rejected(
        &app.graphql_as(&api, ME, json!({})).await,
        "UNAUTHENTICATED",
        "AUTH_TOKEN_REVOKED",
    );
    assert_rejected(
        &app.graphql(REFRESH, json!({"r": s["refreshToken"]})).await,
        "UNAUTHENTICATED",
        "AUTH_TOKEN_REVOKED",
    );
    assert_rejected(
        &try_login(app, "ivy@gantry.test", "ivy's long password").await,
        "UNAUTHENTICATED",
        "AUTH_INVALID_CREDENTIALS",
    );
});

app_test!(
    admin_fields_are_guarded_and_rejected_mutations_write_nothing,
    |app| {
        let planner = app.login_as(Role::Planner).await;
        assert_rejected(
            &app.graphql_as(&planner, "{ users { id } }", json!({})).await,
            "FORBIDDEN",
            "FORBIDDEN",
        );
        let create = "mutation($pw: String) { createUser(input: {email: \"z@gantry.test\", displayName: \"Z\", role: SALES, password: $pw}) { id } }";
        let before = count_rows(&app.db.db, "users").await.unwrap();
        assert_rejected(
            &app.graphql_as(&planner, create, json!({"pw": "long enough pw"}))
                .await,
            "FORBIDDEN",
            "FORBIDDEN",
        );
        assert_rejected(
            &app.graphql(create, json!({"pw": "long enough pw"})).await,
            "UNAUTHENTICATED",
            "UNAUTHENTICATED",
        );
        let admin = app.login_as(Role::Admin).await;
        assert_rejected(
            &app.graphql_as(&admin, create, json!({"pw": "short"})).await,
            "VALIDATION",
            "AUTH_WEAK_PASSWORD",
        );
        assert_eq!(
            count_rows(&app.db.db, "users").await.unwrap(),
            before + 1,
            "only the admin was added"
        );
        // Role changes apply to the next request of an existing session.
        let pid = app.graphql_as(&planner, ME, json!({})).await["data"]["me"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let v = app
            .graphql_as(
                &admin,
                "mutation($id: ID!) { changeRole(id: $id, role: ADMIN) { role } }",
                json!({"id": pid}),
            )
            .await;
        assert_eq!(v["data"]["changeRole"]["role"], "ADMIN", "{v}");
        assert!(app.graphql_as(&planner, "{ users { id } }", json!({})).await["errors"].is_null());
        // The last admin cannot be removed; the rejected mutation returns no data.
        let aid = app.graphql_as(&admin, ME, json!({})).await["data"]["me"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let deactivate = "mutation($id: ID!) { deactivateUser(id: $id) { active } }";
        let v = app.graphql_as(&admin, deactivate, json!({"id": pid})).await;
        assert_eq!(v["data"]["deactivateUser"]["active"], false, "{v}");
        let v = app.graphql_as(&admin, deactivate, json!({"id": aid})).await;
        assert_rejected(&v, "CONFLICT", "USER_LAST_ADMIN");
        assert!(app.graphql_as(&admin, ME, json!({})).await["errors"].is_null());
    }
);

app_test!(change_password, |app| {
    let token = app.login_as(Role::Sales).await;
    let q = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
    let v = app
        .graphql_as(
            &token,
            q,
            json!({"c": "wrong one!!", "n": "a brand new password"}),
        )
        .await;
    assert_rejected(&v, "UNAUTHENTICATED", "AUTH_INVALID_CREDENTIALS");
    let v = app
        .graphql_as(&token, q, json!({"c": TEST_PASSWORD, "n": "short"}))
        .await;
    assert_rejected(&v, "VALIDATION", "AUTH_WEAK_PASSWORD");
    let v = app
        .graphql_as(
            &token,
            q,
            json!({"c": TEST_PASSWORD, "n": "a brand new password"}),
        )
        .await;
    assert_eq!(v["data"]["changePassword"], true, "{v}");
    // Every session of the account ended, this one included.
    assert_rejected(
        &app.graphql_as(&token, ME, json!({})).await,
        "UNAUTHENTICATED",
        "AUTH_TOKEN_REVOKED",
    );
    assert_eq!(
        code(&try_login(app, "sales@gantry.test", TEST_PASSWORD).await).1,
        "AUTH_INVALID_CREDENTIALS"
    );
    app.login("sales@gantry.test", "a brand new password").await;
});

app_test!(printer_tokens_for_agents, |app| {
    gantry_engine::store::demo::load(&app.db.db).await.unwrap();
    let planner = app.login_as(Role::Planner).await;
    let operator = app.login_as(Role::Operator).await;
    let create = "mutation($p: ID!) { createPrinterToken(printerId: $p) { token printerToken { id printerId prefix revokedAt } } }";
    assert_rejected(
        &app.graphql_as(&operator, create, json!({"p": 1})).await,
        "FORBIDDEN",
        "FORBIDDEN",
    );
    assert_rejected(
        &app.graphql_as(&planner, create, json!({"p": 999_999})).await,
        "NOT_FOUND",
        "NOT_FOUND",
    );
    let v = app.graphql_as(&planner, create, json!({"p": 1})).await;
    assert!(v["errors"].is_null(), "{v}");
    let token = v["data"]["createPrinterToken"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(token.starts_with("gtp_"));
    let id = v["data"]["createPrinterToken"]["printerToken"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for value in text_column_values(app, "printer_tokens", &["prefix", "token_hash"]).await {
        assert!(!value.contains(&token[4..]));
    }
    // A printer token is not a GraphQL credential.
    assert_rejected(
        &app.graphql_as(&token, ME, json!({})).await,
        "UNAUTHENTICATED",
        "AUTH_TOKEN_INVALID",
    );
    // The agent side can resolve it (engine lookup) until it is revoked.
    let mut conn = app.db.db.pool().acquire().await.unwrap();
    let found = gantry_engine::store::auth::printer_token_by_secret(&mut conn, &token)
        .await
        .unwrap();
    assert_eq!(found.id.to_string(), id);
    let v = app
        .graphql_as(
            &planner,
            "{ printerTokens(printerId: 1) { id prefix } }",
            json!({}),
        )
        .await;
    assert_eq!(
        v["data"]["printerTokens"][0]["prefix"].as_str().unwrap(),
        &token[..12]
    );
    let v = app
        .graphql_as(
            &planner,
            "mutation($id: ID!) { revokePrinterToken(id: $id) { revokedAt } }",
            json!({"id": id}),
        )
        .await;
    assert!(!v["data"]["revokePrinterToken"]["revokedAt"].is_null(), "{v}");
    let err = gantry_engine::store::auth::printer_token_by_secret(&mut conn, &token)
        .await
        .unwrap_err();
    assert_eq!(gantry_engine::error::Coded::code(&err), "AUTH_TOKEN_REVOKED");
});

app_test!(metrics_and_request_ids, |app| {
    let resp = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("X-Request-Id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "abc-123");
    let resp = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    let generated = resp.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(generated.len(), 32);
    // An implausible id is replaced.
    let resp = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("X-Request-Id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(resp.headers()["x-request-id"], "bad id with spaces");
    let _ = app.graphql(ME, json!({})).await;
    let resp = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = resp.text().await.unwrap();
    for want in [
        "gantry_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 3",
        "gantry_http_request_duration_seconds_count{route=\"/graphql\"} 1",
        "gantry_graphql_errors_total{code=\"UNAUTHENTICATED\"} 1",
        "gantry_queue_length 0",
        "gantry_agents_connected 0",
        "gantry_plan_gap 0",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
});

app_test_with!(
    per_address_limit_uses_forwarded_for_only_from_trusted_proxies,
    [("GANTRY_TRUSTED_PROXIES", "127.0.0.1")],
    |app| {
        app.create_user(Role::Sales, "sam@gantry.test", TEST_PASSWORD)
            .await;
        let login_from = |xff: &'static str, email: String, password: &'static str| async move {
            app.client
                .post(format!("{}/graphql", app.base))
                .header("X-Forwarded-For", xff)
                .json(&json!({"query": LOGIN, "variables": {"e": email, "p": password}}))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        };
        for i in 0..20 {
            let v = login_from("198.51.100.1", format!("guess{i}@gantry.test"), "wrong password").await;
            assert_eq!(code(&v).0, "UNAUTHENTICATED");
        }
        let v = login_from("198.51.100.1", "sam@gantry.test".into(), TEST_PASSWORD).await;
        assert_rejected(&v, "RATE_LIMITED", "AUTH_RATE_LIMITED");
        // Another client behind the same proxy is not affected.
        let v = login_from("198.51.100.2", "sam@gantry.test".into(), TEST_PASSWORD).await;
        assert!(v["errors"].is_null(), "{v}");
    }
);

app_test!(a_parallel_burst_cannot_pass_the_account_limit, |app| {
    app.create_user(Role::Sales, "sam@gantry.test", TEST_PASSWORD)
        .await;
    let mut handles = Vec::new();
    for _ in 0..12 {
        let client = app.client.clone();
        let url = format!("{}/graphql", app.base);
        handles.push(tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"query": LOGIN, "variables": {"e": "sam@gantry.test", "p": "wrong password"}}))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }));
    }
    let mut checked = 0;
    for h in handles {
        let v = h.await.unwrap();
        match code(&v) {
            ("UNAUTHENTICATED", "AUTH_INVALID_CREDENTIALS") => checked += 1,
            ("RATE_LIMITED", "AUTH_RATE_LIMITED") => {}
            other => panic!("{other:?}: {v}"),
        }
    }
    // At most 5 passwords were checked, however the 12 requests interleaved (attempts are
    // recorded before the check, so concurrent ones count each other).
    assert!(checked <= 5, "{checked} passwords checked");
    assert_eq!(count_rows(&app.db.db, "login_attempts").await.unwrap(), checked);
    let v = try_login(app, "sam@gantry.test", TEST_PASSWORD).await;
    if checked == 5 {
        assert_rejected(&v, "RATE_LIMITED", "AUTH_RATE_LIMITED");
    } else {
        assert!(v["errors"].is_null(), "{v}");
    }
});

/// `gantry create-user` / `set-password` bootstrap accounts; the password comes from stdin.
#[actix_web::test]
async fn cli_bootstraps_an_admin_who_can_log_in() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let app = common::spawn_app(gantry_engine::store::Backend::Sqlite).await;
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gantry"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &app.db.url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let args = [
        "create-user",
        "--email",
        "root@gantry.test",
        "--name",
        "Root",
        "--role",
        "admin",
    ];
    let out = run(&args, "short\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10 characters"));
    let out = run(&args, "the first admin password\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = app.login("root@gantry.test", "the first admin password").await;
    let out = run(
        &["set-password", "--email", "ROOT@gantry.test"],
        "a second admin password\n",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The old session ended; the new password works.
    assert_rejected(
        &app.graphql_as(s["accessToken"].as_str().unwrap(), ME, json!({}))
            .await,
        "UNAUTHENTICATED",
        "AUTH_TOKEN_REVOKED",
    );
    app.login("root@gantry.test", "a second admin password").await;
    let out = run(
        &["set-password", "--email", "nobody@gantry.test"],
        "a second admin password\n",
    );
    assert!(!out.status.success());
    app.stop().await;
}
