//! `gantry create-user` and `gantry set-password`: account bootstrap from the command line (the
//! first administrator of a fresh installation, or passwords for the demo staff). The password is
//! read from standard input (first line), never from an argument, so it stays out of shell
//! history and process listings.

use std::io::BufRead;

use anyhow::{Context, bail};
use gantry_app::Db;
use gantry_app::users::{self as app_users, NewAccount};
use gantry_engine::domain::auth::check_password;
use gantry_engine::domain::types::CustomerId;
use gantry_engine::domain::users::Role;

use crate::auth::OsSecrets;

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
    let new = NewAccount {
        email: email.into(),
        display_name: name.into(),
        role,
        customer_id: customer_id.map(CustomerId),
        password: Some(password),
    };
    let user = app_users::create_user(db, &OsSecrets, gantry_app::now(), new)
        .await
        .with_context(|| format!("creating {email}"))?;
    Ok(user.id.0)
}

/// Sets the password of an existing account and ends its sessions.
pub async fn set_password(db: &Db, email: &str, password: String) -> anyhow::Result<i64> {
    let user = app_users::set_password(db, &OsSecrets, gantry_app::now(), email, password).await?;
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
