//! `gantry create-user` and `gantry set-password`: account bootstrap from the command line (the
//! first administrator of a fresh installation, or passwords for the demo staff). The password is
//! read from standard input (first line), never from an argument, so it stays out of shell
//! history and process listings.

use std::io::BufRead;

use anyhow::{Context, bail};
use gantry_engine::domain::auth::check_password;
use gantry_engine::domain::types::CustomerId;
use gantry_engine::domain::users::{NewUser, Role};
use gantry_engine::store::{Db, users};

use crate::auth::hash_password;

/// Reads the password (first line of standard input, without its line ending) and checks the
/// password policy.
pub fn read_password(input: &mut dyn BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let pw = line.trim_end_matches(['\n', '\r']).to_string();
    if let Err(e) = check_password(&pw) {
        bail!("{e} (the password is read from the first line of standard input)");
    }
    Ok(pw)
}

/// Creates an account with a password; prints its id.
pub async fn create_user(
    db: &Db,
    email: &str,
    name: &str,
    role: &str,
    customer_id: Option<i64>,
    password: String,
) -> anyhow::Result<i64> {
    let role = Role::parse(role).map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = hash_password(password).await?;
    let mut tx = db.begin().await?;
    let user = users::create_user(
        &mut tx,
        gantry_engine::store::now(),
        &NewUser {
            email: email.into(),
            display_name: name.into(),
            role,
            customer_id: customer_id.map(CustomerId),
            password_hash: Some(hash),
        },
    )
    .await
    .with_context(|| format!("creating {email}"))?;
    tx.commit().await?;
    Ok(user.id.0)
}

/// Sets the password of an existing account and ends its sessions.
pub async fn set_password(db: &Db, email: &str, password: String) -> anyhow::Result<i64> {
    let mut conn = db.pool().acquire().await?;
    let user = users::user_by_email(&mut conn, email)
        .await?
        .with_context(|| format!("no account with e-mail {email}"))?;
    drop(conn);
    let hash = hash_password(password).await?;
    let now = gantry_engine::store::now();
    let mut tx = db.begin().await?;
    users::set_password_hash(&mut tx, now, user.id, Some(&hash)).await?;
    gantry_engine::store::auth::revoke_sessions(&mut tx, now, user.id).await?;
    tx.commit().await?;
    Ok(user.id.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_from_first_line() {
        let mut ok = "a long enough password\r\nignored\n".as_bytes();
        assert_eq!(read_password(&mut ok).unwrap(), "a long enough password");
        let mut short = "short\n".as_bytes();
        assert!(
            read_password(&mut short)
                .unwrap_err()
                .to_string()
                .contains("at least 10")
        );
        let mut empty = "".as_bytes();
        assert!(read_password(&mut empty).is_err());
    }
}
