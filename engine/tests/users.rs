//! Users persistence: customer records, accounts, roles.

// Test helpers outside #[test] fns may unwrap too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{code, t0};
use gantry_engine::ErrorKind;
use gantry_engine::domain::types::{CustomerId, UserId};
use gantry_engine::domain::users::{NewCustomer, NewUser, Permission, Role, User};
use gantry_engine::store::{Db, count_rows, users};

fn new_user(email: &str, role: Role, customer_id: Option<CustomerId>) -> NewUser {
    NewUser {
        email: email.into(),
        display_name: format!("{role} user"),
        role,
        customer_id,
        password_hash: Some(format!("opaque-hash-of-{email}")),
    }
}

async fn customer(db: &Db, name: &str) -> CustomerId {
    let mut tx = db.begin().await.unwrap();
    let c = users::create_customer(
        &mut tx,
        t0(),
        &NewCustomer {
            name: name.into(),
            email: Some(format!("Buyer@{name}.example")),
            company: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    c.id
}

async fn user(db: &Db, u: NewUser) -> User {
    let mut tx = db.begin().await.unwrap();
    let u = users::create_user(&mut tx, t0(), &u).await.unwrap();
    tx.commit().await.unwrap();
    u
}

async fn all_users(db: &Db) -> Vec<User> {
    let mut conn = db.pool().acquire().await.unwrap();
    users::list_users(&mut conn).await.unwrap()
}

gantry_engine::db_test!(creates_and_finds_accounts, |db| {
    let acme = customer(db, "acme").await;
    let admin = user(db, new_user("Root@Gantry.Example", Role::Admin, None)).await;
    let buyer = user(db, new_user(" Ann@Acme.Example ", Role::Customer, Some(acme))).await;
    assert_eq!(admin.email, "root@gantry.example");
    assert_eq!(
        (buyer.email.as_str(), buyer.customer_id, buyer.active),
        ("ann@acme.example", Some(acme), true)
    );
    assert!(buyer.can(Permission::OrdersReadOwn) && !buyer.can(Permission::OrdersReadAll));

    let mut conn = db.pool().acquire().await.unwrap();
    assert_eq!(users::get_user(&mut conn, buyer.id).await.unwrap(), buyer);
    assert_eq!(
        users::user_by_email(&mut conn, "ANN@acme.example").await.unwrap(),
        Some(buyer.clone())
    );
    assert_eq!(
        users::user_by_email(&mut conn, "nobody@acme.example")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        users::user_by_email(&mut conn, "not an address").await.unwrap(),
        None
    );
    let (u, hash) = users::credentials_by_email(&mut conn, "ann@acme.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (u.id, hash.as_deref()),
        (buyer.id, Some("opaque-hash-of- Ann@Acme.Example "))
    );
    assert_eq!(
        users::users_of_customer(&mut conn, acme).await.unwrap(),
        vec![buyer.clone()]
    );
    let c = users::get_customer(&mut conn, acme).await.unwrap();
    assert_eq!(
        (c.name.as_str(), c.email.as_deref()),
        ("acme", Some("buyer@acme.example"))
    );
    assert_eq!(users::list_customers(&mut conn).await.unwrap(), vec![c]);
    let e = users::get_user(&mut conn, UserId(999)).await.unwrap_err();
    assert_eq!(code(&e), ("NOT_FOUND", ErrorKind::NotFound));
    drop(conn);
    assert_eq!(all_users(db).await, vec![admin, buyer]);
});

gantry_engine::db_test!(rejects_bad_accounts_without_writing, |db| {
    let acme = customer(db, "acme").await;
    user(db, new_user("taken@gantry.example", Role::Sales, None)).await;
    let before = all_users(db).await;

    let cases: Vec<(NewUser, (&str, ErrorKind))> = vec![
        (
            new_user("TAKEN@gantry.example", Role::Planner, None),
            ("USER_EMAIL_TAKEN", ErrorKind::Conflict),
        ),
        (
            new_user("c@acme.example", Role::Customer, None),
            ("USER_CUSTOMER_REQUIRED", ErrorKind::Validation),
        ),
        (
            new_user("s@acme.example", Role::Sales, Some(acme)),
            ("USER_CUSTOMER_NOT_ALLOWED", ErrorKind::Validation),
        ),
        (
            new_user("c@acme.example", Role::Customer, Some(CustomerId(404))),
            ("NOT_FOUND", ErrorKind::NotFound),
        ),
        (
            new_user("no-at-sign", Role::Operator, None),
            ("USER_INVALID_EMAIL", ErrorKind::Validation),
        ),
        (
            NewUser {
                display_name: "  ".into(),
                ..new_user("x@gantry.example", Role::Operator, None)
            },
            ("USER_INVALID_FIELD", ErrorKind::Validation),
        ),
    ];
    let mut tx = db.begin().await.unwrap();
    for (u, want) in cases {
        let e = users::create_user(&mut tx, t0(), &u).await.unwrap_err();
        assert_eq!(code(&e), want, "{u:?}");
    }
    let e = users::create_customer(
        &mut tx,
        t0(),
        &NewCustomer {
            name: " ".into(),
            ..NewCustomer::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(code(&e), ("USER_INVALID_FIELD", ErrorKind::Validation));
    tx.commit().await.unwrap();
    assert_eq!(all_users(db).await, before);
    assert_eq!(count_rows(db, "customers").await.unwrap(), 1);
});

gantry_engine::db_test!(role_changes_and_deactivation, |db| {
    let acme = customer(db, "acme").await;
    let admin = user(db, new_user("root@gantry.example", Role::Admin, None)).await;
    let bob = user(db, new_user("bob@gantry.example", Role::Sales, None)).await;

    // The only admin can be neither demoted nor deactivated.
    let before = all_users(db).await;
    let mut tx = db.begin().await.unwrap();
    let e = users::change_role(&mut tx, t0(), admin.id, Role::Planner, None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("USER_LAST_ADMIN", ErrorKind::Conflict));
    let e = users::deactivate_user(&mut tx, t0(), admin.id).await.unwrap_err();
    assert_eq!(code(&e), ("USER_LAST_ADMIN", ErrorKind::Conflict));
    // Customer link rules apply to role changes too.
    let e = users::change_role(&mut tx, t0(), bob.id, Role::Customer, None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("USER_CUSTOMER_REQUIRED", ErrorKind::Validation));
    let e = users::change_role(&mut tx, t0(), bob.id, Role::Planner, Some(acme))
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("USER_CUSTOMER_NOT_ALLOWED", ErrorKind::Validation));
    let e = users::change_role(&mut tx, t0(), bob.id, Role::Customer, Some(CustomerId(9)))
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("NOT_FOUND", ErrorKind::NotFound));
    let e = users::change_role(&mut tx, t0(), UserId(999), Role::Planner, None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("NOT_FOUND", ErrorKind::NotFound));
    tx.commit().await.unwrap();
    assert_eq!(all_users(db).await, before);

    // Promote bob; now the first admin may step down and bob becomes a customer later.
    let mut tx = db.begin().await.unwrap();
    let bob2 = users::change_role(&mut tx, t0(), bob.id, Role::Admin, None)
        .await
        .unwrap();
    assert!(bob2.can(Permission::UsersAdmin));
    let a2 = users::change_role(&mut tx, t0(), admin.id, Role::Customer, Some(acme))
        .await
        .unwrap();
    assert_eq!((a2.role, a2.customer_id), (Role::Customer, Some(acme)));
    let back = users::change_role(&mut tx, t0(), admin.id, Role::Accountant, None)
        .await
        .unwrap();
    assert_eq!(back.customer_id, None);
    tx.commit().await.unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    let stored = users::get_user(&mut conn, admin.id).await.unwrap();
    assert_eq!((stored.role, stored.customer_id), (Role::Accountant, None));
    drop(conn);

    // Deactivation is idempotent and removes every permission.
    let mut tx = db.begin().await.unwrap();
    let d = users::deactivate_user(&mut tx, t0(), admin.id).await.unwrap();
    assert!(!d.active && !d.can(Permission::FinanceRead));
    assert_eq!(users::deactivate_user(&mut tx, t0(), admin.id).await.unwrap(), d);
    let e = users::deactivate_user(&mut tx, t0(), bob.id).await.unwrap_err();
    assert_eq!(code(&e), ("USER_LAST_ADMIN", ErrorKind::Conflict));
    tx.commit().await.unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    assert!(!users::get_user(&mut conn, admin.id).await.unwrap().active);
    assert!(users::get_user(&mut conn, bob.id).await.unwrap().active);
});

gantry_engine::db_test!(password_hash_and_reactivation, |db| {
    let u = user(db, new_user("op@gantry.example", Role::Operator, None)).await;
    let hash = |db: &Db| {
        let db = db.clone();
        async move {
            let mut conn = db.pool().acquire().await.unwrap();
            users::credentials_by_email(&mut conn, "op@gantry.example")
                .await
                .unwrap()
                .unwrap()
                .1
        }
    };
    let mut tx = db.begin().await.unwrap();
    users::set_password_hash(&mut tx, t0(), u.id, Some("new-opaque"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(hash(db).await.as_deref(), Some("new-opaque"));

    let mut tx = db.begin().await.unwrap();
    let e = users::set_password_hash(&mut tx, t0(), u.id, Some("  "))
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("USER_INVALID_FIELD", ErrorKind::Validation));
    let e = users::set_password_hash(&mut tx, t0(), UserId(999), Some("x"))
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("NOT_FOUND", ErrorKind::NotFound));
    tx.commit().await.unwrap();
    assert_eq!(hash(db).await.as_deref(), Some("new-opaque"));

    let mut tx = db.begin().await.unwrap();
    users::set_password_hash(&mut tx, t0(), u.id, None).await.unwrap();
    assert!(!users::deactivate_user(&mut tx, t0(), u.id).await.unwrap().active);
    let back = users::reactivate_user(&mut tx, t0(), u.id).await.unwrap();
    assert_eq!(users::reactivate_user(&mut tx, t0(), u.id).await.unwrap(), back);
    tx.commit().await.unwrap();
    assert_eq!(hash(db).await, None);
    assert_eq!(all_users(db).await, vec![User { active: true, ..u }]);
});
