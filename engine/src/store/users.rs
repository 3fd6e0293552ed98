//! Users persistence: CRM customer records and accounts (`customers`, `users`).
//!
//! E-mail addresses are stored normalised (lower case); lookups normalise their input.
//! Password hashes are opaque strings produced by the API layer and are never part of
//! [`User`]; [`credentials_by_email`] is the one read that returns one.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{StoreError, StoreResult, Tx, col, flag};
use crate::domain::types::{CustomerId, UserId, from_millis, to_millis};
use crate::domain::users::{
    Customer, NewCustomer, NewUser, Role, User, UserError, check_admin_remains, check_customer_link,
    check_password_hash, display_name, normalize_email,
};
use crate::error::DomainError;

macro_rules! user_cols {
    () => {
        "id, email, display_name, role, customer_id, active, created_at"
    };
}

fn rejected(e: UserError) -> StoreError {
    StoreError::Rejected(DomainError::User(e))
}

fn user_from_row(row: &AnyRow) -> StoreResult<User> {
    let role: String = col(row, "users", "role")?;
    Ok(User {
        id: UserId(col(row, "users", "id")?),
        email: col(row, "users", "email")?,
        display_name: col(row, "users", "display_name")?,
        role: Role::parse(&role).map_err(|_| StoreError::corrupt("users", format!("role {role:?}")))?,
        customer_id: col::<Option<i64>>(row, "users", "customer_id")?.map(CustomerId),
        active: flag(row, "users", "active")?,
        created_at: from_millis(col(row, "users", "created_at")?),
    })
}

fn customer_from_row(row: &AnyRow) -> StoreResult<Customer> {
    Ok(Customer {
        id: CustomerId(col(row, "customers", "id")?),
        name: col(row, "customers", "name")?,
        email: col(row, "customers", "email")?,
        company: col(row, "customers", "company")?,
        created_at: from_millis(col(row, "customers", "created_at")?),
    })
}

/// Creates a CRM customer record.
pub async fn create_customer(tx: &mut Tx, now: DateTime<Utc>, input: &NewCustomer) -> StoreResult<Customer> {
    let c = input.validate().map_err(rejected)?;
    let row = sqlx::query(
        "INSERT INTO customers (name, email, company, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id, name, email, company, created_at",
    )
    .bind(&c.name)
    .bind(c.email.as_deref())
    .bind(c.company.as_deref())
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await?;
    customer_from_row(&row)
}

/// A customer record by id.
pub async fn get_customer(conn: &mut AnyConnection, id: CustomerId) -> StoreResult<Customer> {
    let row = sqlx::query("SELECT id, name, email, company, created_at FROM customers WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::not_found("customer", id))?;
    customer_from_row(&row)
}

/// Replaces a customer record's name and company (its e-mail stays); returns the record.
pub async fn update_customer(
    tx: &mut Tx,
    id: CustomerId,
    name: &str,
    company: Option<&str>,
) -> StoreResult<Customer> {
    let c = NewCustomer {
        name: name.to_string(),
        email: None,
        company: company.map(str::to_string),
    }
    .validate()
    .map_err(rejected)?;
    let done = sqlx::query("UPDATE customers SET name = $1, company = $2 WHERE id = $3")
        .bind(&c.name)
        .bind(c.company.as_deref())
        .bind(id.0)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if done == 0 {
        return Err(StoreError::not_found("customer", id));
    }
    get_customer(&mut *tx, id).await
}

/// Renames an account; returns it.
pub async fn set_display_name(tx: &mut Tx, id: UserId, name: &str) -> StoreResult<User> {
    let name = display_name(name).map_err(rejected)?;
    let done = sqlx::query("UPDATE users SET display_name = $1 WHERE id = $2")
        .bind(&name)
        .bind(id.0)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if done == 0 {
        return Err(StoreError::not_found("user", id));
    }
    get_user(&mut *tx, id).await
}

/// All customer records, by id.
pub async fn list_customers(conn: &mut AnyConnection) -> StoreResult<Vec<Customer>> {
    let rows = sqlx::query("SELECT id, name, email, company, created_at FROM customers ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(customer_from_row).collect()
}

/// One page of customer records by id: those after `page.after`, at most `page.limit`;
/// with `search`, only those whose name, e-mail or company contains it (case-insensitive).
pub async fn customers_page(
    conn: &mut AnyConnection,
    search: Option<&str>,
    page: super::crm::Keyset,
) -> StoreResult<Vec<Customer>> {
    let pattern = search.map(str::trim).filter(|s| !s.is_empty()).map(|s| {
        let escaped = s
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    let rows = sqlx::query(
        "SELECT id, name, email, company, created_at FROM customers WHERE ($1 IS NULL OR id > $1) \
         AND ($2 IS NULL OR LOWER(name) LIKE $2 ESCAPE '\\' OR LOWER(COALESCE(email, '')) LIKE $2 ESCAPE '\\' \
         OR LOWER(COALESCE(company, '')) LIKE $2 ESCAPE '\\') ORDER BY id LIMIT $3",
    )
    .bind(page.after)
    .bind(pattern)
    .bind(page.limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(customer_from_row).collect()
}

async fn ensure_customer(conn: &mut AnyConnection, id: Option<CustomerId>) -> StoreResult<()> {
    if let Some(id) = id {
        get_customer(conn, id).await?;
    }
    Ok(())
}

/// Creates an account. Rejects an invalid or taken e-mail (`USER_EMAIL_TAKEN`, Conflict), a
/// customer account without a customer record or another role with one; an unknown customer
/// id is `NotFound`.
pub async fn create_user(tx: &mut Tx, now: DateTime<Utc>, input: &NewUser) -> StoreResult<User> {
    let u = input.validate().map_err(rejected)?;
    ensure_customer(&mut *tx, u.customer_id).await?;
    if user_by_email(&mut *tx, &u.email).await?.is_some() {
        return Err(rejected(UserError::EmailTaken(u.email)));
    }
    let res = sqlx::query(concat!(
        "INSERT INTO users (email, display_name, password_hash, role, customer_id, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, 1, $6) RETURNING ",
        user_cols!()
    ))
    .bind(&u.email)
    .bind(&u.display_name)
    .bind(u.password_hash.as_deref())
    .bind(u.role.as_str())
    .bind(u.customer_id.map(|c| c.0))
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await;
    match res {
        Ok(row) => user_from_row(&row),
        Err(e) => {
            let e = StoreError::from(e);
            if e.is_unique_violation() {
                Err(rejected(UserError::EmailTaken(u.email)))
            } else {
                Err(e)
            }
        }
    }
}

/// An account by id.
pub async fn get_user(conn: &mut AnyConnection, id: UserId) -> StoreResult<User> {
    let row = sqlx::query(concat!("SELECT ", user_cols!(), " FROM users WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::not_found("user", id))?;
    user_from_row(&row)
}

/// An account by e-mail (normalised before the lookup); `None` if absent or not an address.
pub async fn user_by_email(conn: &mut AnyConnection, email: &str) -> StoreResult<Option<User>> {
    Ok(credentials_by_email(conn, email).await?.map(|(u, _)| u))
}

/// An account and its opaque password hash, for the API's login. `None` if absent.
pub async fn credentials_by_email(
    conn: &mut AnyConnection,
    email: &str,
) -> StoreResult<Option<(User, Option<String>)>> {
    let Ok(email) = normalize_email(email) else {
        return Ok(None);
    };
    let row = sqlx::query(concat!(
        "SELECT ",
        user_cols!(),
        ", password_hash FROM users WHERE email = $1"
    ))
    .bind(&email)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(Some((user_from_row(&row)?, col(&row, "users", "password_hash")?))),
        None => Ok(None),
    }
}

/// All accounts, by id.
pub async fn list_users(conn: &mut AnyConnection) -> StoreResult<Vec<User>> {
    let rows = sqlx::query(concat!("SELECT ", user_cols!(), " FROM users ORDER BY id"))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(user_from_row).collect()
}

/// The accounts of one customer record, by id.
pub async fn users_of_customer(conn: &mut AnyConnection, customer: CustomerId) -> StoreResult<Vec<User>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        user_cols!(),
        " FROM users WHERE customer_id = $1 ORDER BY id"
    ))
    .bind(customer.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(user_from_row).collect()
}

async fn active_admins(conn: &mut AnyConnection) -> StoreResult<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND active = 1")
        .fetch_one(&mut *conn)
        .await?;
    col(&row, "users", "n")
}

/// Deactivates an account (idempotent). Refuses to deactivate the last active admin
/// (`USER_LAST_ADMIN`).
pub async fn deactivate_user(tx: &mut Tx, _now: DateTime<Utc>, id: UserId) -> StoreResult<User> {
    let user = get_user(&mut *tx, id).await?;
    if !user.active {
        return Ok(user);
    }
    let admins = active_admins(&mut *tx).await?;
    check_admin_remains(&user, user.role, false, admins).map_err(rejected)?;
    sqlx::query("UPDATE users SET active = 0 WHERE id = $1")
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    Ok(User {
        active: false,
        ..user
    })
}

/// Changes an account's role. `customer_id` must be given exactly when the new role is
/// `customer` (it replaces the old link; other roles drop it). Refuses to demote the last
/// active admin.
pub async fn change_role(
    tx: &mut Tx,
    _now: DateTime<Utc>,
    id: UserId,
    role: Role,
    customer_id: Option<CustomerId>,
) -> StoreResult<User> {
    check_customer_link(role, customer_id).map_err(rejected)?;
    let user = get_user(&mut *tx, id).await?;
    ensure_customer(&mut *tx, customer_id).await?;
    let admins = active_admins(&mut *tx).await?;
    check_admin_remains(&user, role, user.active, admins).map_err(rejected)?;
    sqlx::query("UPDATE users SET role = $1, customer_id = $2 WHERE id = $3")
        .bind(role.as_str())
        .bind(customer_id.map(|c| c.0))
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    Ok(User {
        role,
        customer_id,
        ..user
    })
}

/// Reactivates a deactivated account (idempotent).
pub async fn reactivate_user(tx: &mut Tx, _now: DateTime<Utc>, id: UserId) -> StoreResult<User> {
    let user = get_user(&mut *tx, id).await?;
    if user.active {
        return Ok(user);
    }
    sqlx::query("UPDATE users SET active = 1 WHERE id = $1")
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    Ok(User { active: true, ..user })
}

/// Replaces an account's opaque password hash (hashing is the API layer's job); `None` removes
/// it (the account can then not log in with a password). A blank hash is rejected.
pub async fn set_password_hash(
    tx: &mut Tx,
    _now: DateTime<Utc>,
    id: UserId,
    password_hash: Option<&str>,
) -> StoreResult<()> {
    let hash = check_password_hash(password_hash).map_err(rejected)?;
    get_user(&mut *tx, id).await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
