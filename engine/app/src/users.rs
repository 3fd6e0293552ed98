//! Use cases of `users`: accounts and their administration (create, deactivate, reactivate,
//! change role, set a password). Logging in and tokens are [`crate::auth`].

use chrono::{DateTime, Utc};
use gantry_engine::domain::auth::check_password;
use gantry_engine::domain::types::{CustomerId, UserId};
use gantry_engine::domain::users::{NewUser, Role, User};
use gantry_engine::error::{DomainError, ErrorKind};
use gantry_engine::store::{auth as st, users};

use crate::auth::Secrets;
use crate::{AppError, AppResult, Db, commit, conn};

/// One account.
pub async fn user(db: &Db, id: UserId) -> AppResult<User> {
    let mut c = conn(db).await?;
    Ok(users::get_user(&mut c, id).await?)
}

/// Every account.
pub async fn users(db: &Db) -> AppResult<Vec<User>> {
    let mut c = conn(db).await?;
    Ok(users::list_users(&mut c).await?)
}

/// A new account; its password (if any) is checked against the policy and stored hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Required for (and only for) customer accounts.
    pub customer_id: Option<CustomerId>,
    /// Without one the account cannot log in.
    pub password: Option<String>,
}

/// Creates an account.
pub async fn create_user(
    db: &Db,
    secrets: &impl Secrets,
    now: DateTime<Utc>,
    new: NewAccount,
) -> AppResult<User> {
    let password_hash = match new.password {
        Some(pw) => {
            check_password(&pw).map_err(DomainError::Auth)?;
            Some(secrets.hash_password(pw).await?)
        }
        None => None,
    };
    let new = NewUser {
        email: new.email,
        display_name: new.display_name,
        role: new.role,
        customer_id: new.customer_id,
        password_hash,
    };
    let mut tx = db.begin().await?;
    let user = users::create_user(&mut tx, now, &new).await?;
    commit(tx).await?;
    Ok(user)
}

/// Sets the password of the account with `email` (an administrator's reset) and ends its
/// sessions.
pub async fn set_password(
    db: &Db,
    secrets: &impl Secrets,
    now: DateTime<Utc>,
    email: &str,
    password: String,
) -> AppResult<User> {
    check_password(&password).map_err(DomainError::Auth)?;
    let mut c = conn(db).await?;
    let user = users::user_by_email(&mut c, email).await?.ok_or_else(|| {
        AppError::refused(
            ErrorKind::NotFound,
            "NOT_FOUND",
            format!("no account with e-mail {email}"),
        )
    })?;
    drop(c);
    let hash = secrets.hash_password(password).await?;
    let mut tx = db.begin().await?;
    users::set_password_hash(&mut tx, now, user.id, Some(&hash)).await?;
    st::revoke_sessions(&mut tx, now, user.id).await?;
    commit(tx).await?;
    Ok(user)
}

/// Deactivates an account: its sessions and API tokens are revoked at once.
pub async fn deactivate_user(db: &Db, now: DateTime<Utc>, id: UserId) -> AppResult<User> {
    let mut tx = db.begin().await?;
    let user = users::deactivate_user(&mut tx, now, id).await?;
    st::revoke_all_for_user(&mut tx, now, user.id).await?;
    commit(tx).await?;
    Ok(user)
}

/// Reactivates an account (revoked tokens stay revoked).
pub async fn reactivate_user(db: &Db, now: DateTime<Utc>, id: UserId) -> AppResult<User> {
    let mut tx = db.begin().await?;
    let user = users::reactivate_user(&mut tx, now, id).await?;
    commit(tx).await?;
    Ok(user)
}

/// Changes an account's role; `customer_id` is required exactly for the customer role.
pub async fn change_role(
    db: &Db,
    now: DateTime<Utc>,
    id: UserId,
    role: Role,
    customer_id: Option<CustomerId>,
) -> AppResult<User> {
    let mut tx = db.begin().await?;
    let user = users::change_role(&mut tx, now, id, role, customer_id).await?;
    commit(tx).await?;
    Ok(user)
}
