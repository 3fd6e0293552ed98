//! Who is calling, and the permission guard used on every field that needs one.
//!
//! The HTTP layer authenticates the request (access token, API token) and puts a
//! [`Principal`] into the GraphQL request data; anonymous requests carry none. Resolvers ask
//! for it with [`principal`] (→ `UNAUTHENTICATED` when absent) and are guarded with
//! `#[graphql(guard = "PermissionGuard(Permission::X)")]` (→ `FORBIDDEN` when the role lacks it).
//! Customer scoping ("a customer sees only their own orders") is checked in the resolver with
//! [`Principal::may_see_customer`], because it depends on the row.

use async_graphql::{Context, ErrorExtensions, Guard};
use gantry_app::{Caller, Sees};
use gantry_engine::domain::types::{CustomerId, UserId};
use gantry_engine::domain::users::{Permission, Role};

/// How the caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// An interactive user with an access token.
    User,
    /// An integrator's API token, limited to `scopes` (a subset of its role's permissions).
    ApiToken { token_id: i64, scopes: Vec<Permission> },
}

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: UserId,
    pub role: Role,
    /// Set for customer accounts: the CRM record whose data they may see.
    pub customer_id: Option<CustomerId>,
    pub kind: PrincipalKind,
}

impl Principal {
    /// Whether this caller holds `p` (role grant, narrowed by API-token scopes).
    pub fn can(&self, p: Permission) -> bool {
        self.role.grants(p)
            && match &self.kind {
                PrincipalKind::User => true,
                PrincipalKind::ApiToken { scopes, .. } => scopes.contains(&p),
            }
    }

    /// Whether this caller may see data of `customer`: anyone who reads all orders, or the
    /// customer's own accounts.
    pub fn may_see_customer(&self, customer: CustomerId) -> bool {
        self.can(Permission::OrdersReadAll) || self.customer_id == Some(customer)
    }
}

/// The caller as the use cases see it: all customers' data with `orders:read_all`, a customer
/// account its own customer's, anyone else none.
pub fn caller(p: &Principal) -> Caller {
    let sees = if p.can(Permission::OrdersReadAll) {
        Sees::All
    } else if let Some(c) = p.customer_id {
        Sees::Own(c)
    } else {
        Sees::None
    };
    Caller {
        user_id: Some(p.user_id),
        sees,
    }
}

fn coded(message: &str, code: &'static str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| {
        e.set("code", code);
        e.set("reason", code);
    })
}

/// `UNAUTHENTICATED` error.
pub fn unauthenticated() -> async_graphql::Error {
    coded("authentication required", "UNAUTHENTICATED")
}

/// `FORBIDDEN` error.
pub fn forbidden() -> async_graphql::Error {
    coded("not allowed", "FORBIDDEN")
}

/// The caller, or `UNAUTHENTICATED`.
pub fn principal<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    ctx.data_opt::<Principal>().ok_or_else(unauthenticated)
}

/// Requires an authenticated caller holding a permission.
pub struct PermissionGuard(pub Permission);

impl Guard for PermissionGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let p = principal(ctx)?;
        if p.can(self.0) { Ok(()) } else { Err(forbidden()) }
    }
}

/// Requires any one of several permissions (e.g. orders:read_all or orders:read_own).
pub struct AnyPermissionGuard(pub &'static [Permission]);

impl Guard for AnyPermissionGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let p = principal(ctx)?;
        if self.0.iter().any(|perm| p.can(*perm)) {
            Ok(())
        } else {
            Err(forbidden())
        }
    }
}

/// The `Idempotency-Key` request header, when present; create mutations also take an
/// `idempotencyKey` argument, which wins over the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(pub String);

/// The client address of the request (for rate limits and audit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(pub String);
