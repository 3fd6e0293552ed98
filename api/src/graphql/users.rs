//! Accounts and authentication: login, refresh, logout, account administration, API tokens for
//! integrators and printer tokens for agents.
//!
//! Secrets (refresh tokens, API tokens, printer tokens) appear exactly once, in the response of
//! the mutation that creates them; listings show only a recognisable prefix. Login failures are
//! rate-limited per account and per client address (`RATE_LIMITED`); a wrong e-mail and a wrong
//! password give the same `UNAUTHENTICATED` error.
//!
//! Customers register themselves with `signUp` (a customer record and a customer account,
//! rate-limited per client address); every other account is created by an administrator
//! (`createUser`). E-mail addresses are not verified (see the README's limitations).

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, SecondsFormat, Utc};
use gantry_app::auth::{self as app_auth, Refresh, Session};
use gantry_app::users::{self as app_users, NewAccount};
use gantry_app::{AppError, Db};
use gantry_engine::domain::auth::{ApiToken, PrinterToken};
use gantry_engine::domain::types::{CustomerId, PrinterId, UserId};
use gantry_engine::domain::users::{Permission, User};
use gantry_engine::error::DomainError;

use super::connection::id_arg;
use super::error::app_error;
use super::principal::{
    AnyPermissionGuard, ClientAddr, PermissionGuard, PrincipalKind, forbidden, principal,
};
use crate::auth::{Auth, OsSecrets};

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn gid(id: i64) -> ID {
    ID(id.to_string())
}

fn opt_id(id: Option<&ID>, entity: &'static str) -> async_graphql::Result<Option<i64>> {
    id.map(|i| id_arg(i, entity)).transpose()
}

/// The role of an account.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "Role", remote = "gantry_engine::domain::users::Role")]
pub enum GqlRole {
    Admin,
    Planner,
    Operator,
    Accountant,
    Sales,
    Customer,
    Integrator,
}

/// A user account.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "User")]
pub struct UserOut {
    pub id: ID,
    pub email: String,
    pub display_name: String,
    pub role: GqlRole,
    /// The CRM customer record of a customer account.
    pub customer_id: Option<ID>,
    pub active: bool,
    /// The permissions the role grants (`module:action`).
    pub permissions: Vec<String>,
    pub created_at: String,
}

impl From<User> for UserOut {
    fn from(u: User) -> Self {
        UserOut {
            id: gid(u.id.0),
            permissions: u
                .role
                .permissions()
                .iter()
                .map(|p| p.as_str().to_string())
                .collect(),
            email: u.email,
            display_name: u.display_name,
            role: u.role.into(),
            customer_id: u.customer_id.map(|c| gid(c.0)),
            active: u.active,
            created_at: time(u.created_at),
        }
    }
}

/// The tokens of a session.
#[derive(SimpleObject, Debug, Clone)]
pub struct AuthPayload {
    /// Short-lived access token: send as `Authorization: Bearer <accessToken>`.
    pub access_token: String,
    /// When the access token expires (RFC 3339).
    pub expires_at: String,
    /// Opaque refresh token: exchange it with `refresh` for new tokens (it is single-use).
    pub refresh_token: String,
    pub user: UserOut,
}

impl From<Session> for AuthPayload {
    fn from(s: Session) -> Self {
        AuthPayload {
            access_token: s.access.token,
            expires_at: time(s.access.expires_at),
            refresh_token: s.refresh_token,
            user: s.user.into(),
        }
    }
}

/// An integrator's API token (never the secret).
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "ApiToken")]
pub struct ApiTokenOut {
    pub id: ID,
    pub user_id: ID,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    /// Permission names the token is limited to.
    pub scopes: Vec<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<ApiToken> for ApiTokenOut {
    fn from(t: ApiToken) -> Self {
        ApiTokenOut {
            id: gid(t.id),
            user_id: gid(t.user_id.0),
            name: t.name,
            prefix: t.prefix,
            scopes: t.scopes.iter().map(|p| p.as_str().to_string()).collect(),
            created_at: time(t.created_at),
            last_used_at: t.last_used_at.map(time),
            revoked_at: t.revoked_at.map(time),
        }
    }
}

/// A newly created API token: `token` is shown this once and cannot be retrieved later.
#[derive(SimpleObject, Debug, Clone)]
pub struct CreatedApiToken {
    pub token: String,
    pub api_token: ApiTokenOut,
}

/// A printer agent's token (never the secret).
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "PrinterToken")]
pub struct PrinterTokenOut {
    pub id: ID,
    pub printer_id: ID,
    pub prefix: String,
    pub created_by: Option<ID>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<PrinterToken> for PrinterTokenOut {
    fn from(t: PrinterToken) -> Self {
        PrinterTokenOut {
            id: gid(t.id),
            printer_id: gid(t.printer_id.0),
            prefix: t.prefix,
            created_by: t.created_by.map(|u| gid(u.0)),
            created_at: time(t.created_at),
            last_used_at: t.last_used_at.map(time),
            revoked_at: t.revoked_at.map(time),
        }
    }
}

/// A newly created printer token: `token` is shown this once.
#[derive(SimpleObject, Debug, Clone)]
pub struct CreatedPrinterToken {
    pub token: String,
    pub printer_token: PrinterTokenOut,
}

/// A new account.
#[derive(InputObject, Debug, Clone)]
pub struct CreateUserInput {
    pub email: String,
    pub display_name: String,
    pub role: GqlRole,
    /// Required for (and only for) customer accounts.
    pub customer_id: Option<ID>,
    /// Initial password (at least 10 characters). Without one the account cannot log in.
    pub password: Option<String>,
}

/// Input of `signUp`.
#[derive(InputObject, Debug, Clone)]
pub struct SignUpInput {
    pub email: String,
    /// At least 10 characters.
    pub password: String,
    /// Your name, as it appears on orders.
    pub name: String,
    pub company: Option<String>,
}

#[derive(Default)]
pub struct UsersQuery;

#[Object]
impl UsersQuery {
    /// The account of the caller.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<UserOut> {
        let p = principal(ctx)?;
        let u = app_users::user(ctx.data::<Db>()?, p.user_id)
            .await
            .map_err(app_error)?;
        Ok(u.into())
    }

    /// All accounts (administrators).
    #[graphql(guard = "PermissionGuard(Permission::UsersAdmin)")]
    async fn users(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<UserOut>> {
        let list = app_users::users(ctx.data::<Db>()?).await.map_err(app_error)?;
        Ok(list.into_iter().map(UserOut::from).collect())
    }

    /// One account (administrators).
    #[graphql(guard = "PermissionGuard(Permission::UsersAdmin)")]
    async fn user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<UserOut> {
        let id = UserId(id_arg(&id, "user")?);
        let u = app_users::user(ctx.data::<Db>()?, id).await.map_err(app_error)?;
        Ok(u.into())
    }

    /// API tokens of the caller, or of `userId` (administrators). Secrets are never listed.
    async fn api_tokens(
        &self,
        ctx: &Context<'_>,
        user_id: Option<ID>,
    ) -> async_graphql::Result<Vec<ApiTokenOut>> {
        let p = principal(ctx)?;
        let user = opt_id(user_id.as_ref(), "user")?.map(UserId).unwrap_or(p.user_id);
        if user != p.user_id && !p.can(Permission::UsersAdmin) {
            return Err(forbidden());
        }
        let list = app_auth::api_tokens(ctx.data::<Db>()?, user)
            .await
            .map_err(app_error)?;
        Ok(list.into_iter().map(ApiTokenOut::from).collect())
    }

    /// Printer tokens, of one printer or all (planners, administrators). Secrets are never listed.
    #[graphql(guard = "AnyPermissionGuard(&[Permission::ProductionPlan, Permission::UsersAdmin])")]
    async fn printer_tokens(
        &self,
        ctx: &Context<'_>,
        printer_id: Option<ID>,
    ) -> async_graphql::Result<Vec<PrinterTokenOut>> {
        let printer_id = opt_id(printer_id.as_ref(), "printer")?.map(PrinterId);
        let list = app_auth::printer_tokens(ctx.data::<Db>()?, printer_id)
            .await
            .map_err(app_error)?;
        Ok(list.into_iter().map(PrinterTokenOut::from).collect())
    }
}

#[derive(Default)]
pub struct UsersMutation;

/// Requires a caller who logged in interactively (an API token cannot mint credentials or
/// change passwords).
pub(super) fn interactive(ctx: &Context<'_>) -> async_graphql::Result<UserId> {
    let p = principal(ctx)?;
    match p.kind {
        PrincipalKind::User => Ok(p.user_id),
        PrincipalKind::ApiToken { .. } => Err(forbidden()),
    }
}

/// Forgets remembered principals after a committed change to credentials (see `crate::auth`).
fn forget_principals(ctx: &Context<'_>) {
    if let Some(auth) = ctx.data_opt::<Auth>() {
        auth.forget_principals();
    }
}

#[Object]
impl UsersMutation {
    /// Logs in with e-mail and password. After 5 failures for an account (since its last
    /// success) or 20 from one address within 15 minutes, attempts get `RATE_LIMITED` until the
    /// window passes, even with the right password.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> async_graphql::Result<AuthPayload> {
        let auth = ctx.data::<Auth>()?;
        let address = ctx
            .data_opt::<ClientAddr>()
            .map(|a| a.0.clone())
            .unwrap_or_else(|| "unknown".into());
        let session = app_auth::login(
            ctx.data::<Db>()?,
            auth,
            gantry_app::now(),
            &email,
            password,
            &address,
        )
        .await
        .map_err(app_error)?;
        Ok(session.into())
    }

    /// Registers a customer (a customer record and a customer account) and logs in. At most 5
    /// attempts per client address within an hour (`AUTH_RATE_LIMITED`); a taken e-mail is
    /// `USER_EMAIL_TAKEN`, a short password `AUTH_WEAK_PASSWORD`; nothing is written then.
    async fn sign_up(&self, ctx: &Context<'_>, input: SignUpInput) -> async_graphql::Result<AuthPayload> {
        let address = ctx
            .data_opt::<ClientAddr>()
            .map(|a| a.0.clone())
            .unwrap_or_else(|| "unknown".into());
        let session = app_auth::sign_up(
            ctx.data::<Db>()?,
            ctx.data::<Auth>()?,
            gantry_app::now(),
            app_auth::SignUp {
                email: input.email,
                password: input.password,
                name: input.name,
                company: input.company,
            },
            &address,
        )
        .await
        .map_err(app_error)?;
        Ok(session.into())
    }

    /// Exchanges a refresh token for a new access token and a new refresh token. Each refresh
    /// token works once: presenting a used one again revokes the whole session. A session older
    /// than its maximum age (counted from the login) cannot be refreshed: log in again.
    async fn refresh(&self, ctx: &Context<'_>, refresh_token: String) -> async_graphql::Result<AuthPayload> {
        let auth = ctx.data::<Auth>()?;
        let db = ctx.data::<Db>()?;
        match app_auth::refresh(db, auth, gantry_app::now(), &refresh_token)
            .await
            .map_err(app_error)?
        {
            Refresh::Rotated(session) => Ok(session.into()),
            Refresh::Refused(e) => {
                forget_principals(ctx);
                Err(app_error(AppError::from(DomainError::Auth(e))))
            }
        }
    }

    /// Ends the session of a refresh token: it and every access token of the session stop working.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> async_graphql::Result<bool> {
        app_auth::logout(ctx.data::<Db>()?, gantry_app::now(), &refresh_token)
            .await
            .map_err(app_error)?;
        forget_principals(ctx);
        Ok(true)
    }

    /// Changes the caller's password. Every session of the account ends, this one included
    /// (log in again); API tokens stay valid.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> async_graphql::Result<bool> {
        let me = interactive(ctx)?;
        let auth = ctx.data::<Auth>()?;
        let db = ctx.data::<Db>()?;
        app_auth::change_password(db, auth, gantry_app::now(), me, current_password, new_password)
            .await
            .map_err(app_error)?;
        forget_principals(ctx);
        Ok(true)
    }

    /// Creates an account (administrators).
    #[graphql(guard = "PermissionGuard(Permission::UsersAdmin)")]
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> async_graphql::Result<UserOut> {
        let new = NewAccount {
            email: input.email,
            display_name: input.display_name,
            role: input.role.into(),
            customer_id: opt_id(input.customer_id.as_ref(), "customer")?.map(CustomerId),
            password: input.password,
        };
        let user = app_users::create_user(ctx.data::<Db>()?, &OsSecrets, gantry_app::now(), new)
            .await
            .map_err(app_error)?;
        Ok(user.into())
    }

    /// Deactivates an account (administrators): its sessions and API tokens stop working at once.
    #[graphql(guard = "PermissionGuard(Permission::UsersAdmin)")]
    async fn deactivate_user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<UserOut> {
        let id = UserId(id_arg(&id, "user")?);
        let user = app_users::deactivate_user(ctx.data::<Db>()?, gantry_app::now(), id)
            .await
            .map_err(app_error)?;
        forget_principals(ctx);
        Ok(user.into())
    }

    /// Reactivates an account (administrators). Revoked tokens stay revoked.
    #[graphql(guard = "PermissionGuard(Permission::UsersAdmin)")]
    async fn reactivate_user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<UserOut> {
        let id = UserId(id_arg(&id, "user")?);
        let user = app_users::reactivate_user(ctx.data::<Db>()?, gantry_app::now(), id)
            .await
            .map_err(app_error)?;
        Ok(user.into())
    }

    /// Changes an account's role (administrators). `customerId` is required exactly for the
    /// customer role. Takes effect on the account's next request.
    #[graphql(guard = "PermissionGuard(Permission::UsersAdmin)")]
    async fn change_role(
        &self,
        ctx: &Context<'_>,
        id: ID,
        role: GqlRole,
        customer_id: Option<ID>,
    ) -> async_graphql::Result<UserOut> {
        let id = UserId(id_arg(&id, "user")?);
        let customer_id = opt_id(customer_id.as_ref(), "customer")?.map(CustomerId);
        let db = ctx.data::<Db>()?;
        let user = app_users::change_role(db, gantry_app::now(), id, role.into(), customer_id)
            .await
            .map_err(app_error)?;
        forget_principals(ctx);
        Ok(user.into())
    }

    /// Creates an API token for the caller, limited to `scopes` (permission names the caller's
    /// role grants). The token is in this response only.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        name: String,
        scopes: Vec<String>,
    ) -> async_graphql::Result<CreatedApiToken> {
        let me = interactive(ctx)?;
        let db = ctx.data::<Db>()?;
        let created = app_auth::create_api_token(db, &OsSecrets, gantry_app::now(), me, &name, &scopes)
            .await
            .map_err(app_error)?;
        Ok(CreatedApiToken {
            token: created.token,
            api_token: created.record.into(),
        })
    }

    /// Revokes an API token (its owner or an administrator).
    async fn revoke_api_token(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ApiTokenOut> {
        let id = id_arg(&id, "api token")?;
        let p = principal(ctx)?;
        let any = p.can(Permission::UsersAdmin);
        let t = app_auth::revoke_api_token(ctx.data::<Db>()?, gantry_app::now(), p.user_id, any, id)
            .await
            .map_err(app_error)?;
        forget_principals(ctx);
        Ok(t.into())
    }

    /// Creates a token for a printer's agent (planners, administrators). The token is in this
    /// response only.
    #[graphql(guard = "AnyPermissionGuard(&[Permission::ProductionPlan, Permission::UsersAdmin])")]
    async fn create_printer_token(
        &self,
        ctx: &Context<'_>,
        printer_id: ID,
    ) -> async_graphql::Result<CreatedPrinterToken> {
        let printer_id = PrinterId(id_arg(&printer_id, "printer")?);
        let p = principal(ctx)?;
        let db = ctx.data::<Db>()?;
        let created =
            app_auth::create_printer_token(db, &OsSecrets, gantry_app::now(), printer_id, Some(p.user_id))
                .await
                .map_err(app_error)?;
        Ok(CreatedPrinterToken {
            token: created.token,
            printer_token: created.record.into(),
        })
    }

    /// Revokes a printer token (planners, administrators).
    #[graphql(guard = "AnyPermissionGuard(&[Permission::ProductionPlan, Permission::UsersAdmin])")]
    async fn revoke_printer_token(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<PrinterTokenOut> {
        let id = id_arg(&id, "printer token")?;
        let t = app_auth::revoke_printer_token(ctx.data::<Db>()?, gantry_app::now(), id)
            .await
            .map_err(app_error)?;
        Ok(t.into())
    }
}
