//! Users domain (pure): accounts, roles and the permissions each role grants.
//!
//! A user has exactly one [`Role`]. A `customer` account belongs to one CRM customer record
//! (`customer_id`); every other role must not have one. E-mail addresses are normalised to
//! lower case and are unique across accounts. Password hashing and tokens are not handled here:
//! the hash is an opaque string supplied by the API layer.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::{Coded, ErrorKind};
use crate::types::{CustomerId, UserId};

/// Longest accepted e-mail address (RFC 5321 path limit).
pub const EMAIL_MAX: usize = 254;
/// Longest accepted display / customer name, in characters.
pub const NAME_MAX: usize = 120;

/// Rejections of users commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    /// The e-mail address is not a plausible address.
    #[error("invalid e-mail address {value:?}: {reason}")]
    InvalidEmail { value: String, reason: &'static str },
    /// A text field (display name, customer name, company, password hash) is invalid.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        field: &'static str,
        reason: &'static str,
    },
    /// The role name is not one of [`Role::ALL`].
    #[error("unknown role {0:?}")]
    UnknownRole(String),
    /// A customer account was requested without a customer record.
    #[error("a customer account requires a customer id")]
    CustomerIdRequired,
    /// A non-customer account was given a customer record.
    #[error("role {role} must not belong to a customer")]
    CustomerIdNotAllowed { role: Role },
    /// Another account already uses this (normalised) e-mail address.
    #[error("e-mail address {0:?} is already in use")]
    EmailTaken(String),
    /// The command would leave no active administrator.
    #[error("the last active administrator cannot be deactivated or demoted")]
    LastAdmin,
}

impl Coded for UserError {
    fn code(&self) -> &'static str {
        match self {
            UserError::InvalidEmail { .. } => "USER_INVALID_EMAIL",
            UserError::InvalidField { .. } => "USER_INVALID_FIELD",
            UserError::UnknownRole(_) => "USER_UNKNOWN_ROLE",
            UserError::CustomerIdRequired => "USER_CUSTOMER_REQUIRED",
            UserError::CustomerIdNotAllowed { .. } => "USER_CUSTOMER_NOT_ALLOWED",
            UserError::EmailTaken(_) => "USER_EMAIL_TAKEN",
            UserError::LastAdmin => "USER_LAST_ADMIN",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            UserError::InvalidEmail { .. }
            | UserError::InvalidField { .. }
            | UserError::UnknownRole(_)
            | UserError::CustomerIdRequired
            | UserError::CustomerIdNotAllowed { .. } => ErrorKind::Validation,
            UserError::EmailTaken(_) | UserError::LastAdmin => ErrorKind::Conflict,
        }
    }
}

/// A permission: one capability in one module, named `module:action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Permission {
    /// Read every order.
    #[serde(rename = "orders:read_all")]
    OrdersReadAll,
    /// Read the orders of one's own customer record.
    #[serde(rename = "orders:read_own")]
    OrdersReadOwn,
    /// Place orders for one's own customer record.
    #[serde(rename = "orders:place_own")]
    OrdersPlaceOwn,
    /// Create, change and cancel any order.
    #[serde(rename = "orders:write")]
    OrdersWrite,
    /// Edit the catalog (categories, products, prices).
    #[serde(rename = "catalog:write")]
    CatalogWrite,
    /// Read jobs, plans and the production schedule.
    #[serde(rename = "production:read")]
    ProductionRead,
    /// Plan production: create jobs, assign printers, run the scheduler.
    #[serde(rename = "production:plan")]
    ProductionPlan,
    /// Operate printers: start, finish and fail jobs, clear beds.
    #[serde(rename = "production:operate")]
    ProductionOperate,
    /// Read materials, stock levels and movements.
    #[serde(rename = "inventory:read")]
    InventoryRead,
    /// Change stock: receive, adjust and scrap spools, reserve and consume material.
    #[serde(rename = "inventory:write")]
    InventoryWrite,
    /// Read printers and maintenance.
    #[serde(rename = "equipment:read")]
    EquipmentRead,
    /// Change printers and maintenance (status, loaded material, plans, completion).
    #[serde(rename = "equipment:write")]
    EquipmentWrite,
    /// Read revenue, costs and invoices.
    #[serde(rename = "finance:read")]
    FinanceRead,
    /// Post to the ledger: issue invoices, record expenses, reverse entries, set tax rates.
    #[serde(rename = "finance:write")]
    FinanceWrite,
    /// Read customer records.
    #[serde(rename = "crm:read")]
    CrmRead,
    /// Create and edit customer records.
    #[serde(rename = "crm:write")]
    CrmWrite,
    /// Administer user accounts and roles.
    #[serde(rename = "users:admin")]
    UsersAdmin,
    /// Write product reviews (as a customer).
    #[serde(rename = "reviews:write")]
    ReviewsWrite,
    /// Open, read and reply to one's own support tickets (as a customer).
    #[serde(rename = "tickets:own")]
    TicketsOwn,
    /// Read webhook endpoints (without secrets) and the delivery log.
    #[serde(rename = "webhooks:read")]
    WebhooksRead,
    /// Create, rotate, enable and disable webhook endpoints; replay deliveries.
    #[serde(rename = "webhooks:manage")]
    WebhooksManage,
}

impl Permission {
    /// Every permission, in a stable order.
    pub const ALL: [Permission; 21] = [
        Permission::OrdersReadAll,
        Permission::OrdersReadOwn,
        Permission::OrdersPlaceOwn,
        Permission::OrdersWrite,
        Permission::CatalogWrite,
        Permission::ProductionRead,
        Permission::ProductionPlan,
        Permission::ProductionOperate,
        Permission::InventoryRead,
        Permission::InventoryWrite,
        Permission::EquipmentRead,
        Permission::EquipmentWrite,
        Permission::FinanceRead,
        Permission::FinanceWrite,
        Permission::CrmRead,
        Permission::CrmWrite,
        Permission::UsersAdmin,
        Permission::ReviewsWrite,
        Permission::TicketsOwn,
        Permission::WebhooksRead,
        Permission::WebhooksManage,
    ];

    /// The stable `module:action` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::OrdersReadAll => "orders:read_all",
            Permission::OrdersReadOwn => "orders:read_own",
            Permission::OrdersPlaceOwn => "orders:place_own",
            Permission::OrdersWrite => "orders:write",
            Permission::CatalogWrite => "catalog:write",
            Permission::ProductionRead => "production:read",
            Permission::ProductionPlan => "production:plan",
            Permission::ProductionOperate => "production:operate",
            Permission::InventoryRead => "inventory:read",
            Permission::InventoryWrite => "inventory:write",
            Permission::EquipmentRead => "equipment:read",
            Permission::EquipmentWrite => "equipment:write",
            Permission::FinanceRead => "finance:read",
            Permission::FinanceWrite => "finance:write",
            Permission::CrmRead => "crm:read",
            Permission::CrmWrite => "crm:write",
            Permission::UsersAdmin => "users:admin",
            Permission::ReviewsWrite => "reviews:write",
            Permission::TicketsOwn => "tickets:own",
            Permission::WebhooksRead => "webhooks:read",
            Permission::WebhooksManage => "webhooks:manage",
        }
    }

    /// Parses a `module:action` name.
    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The role of an account; decides its permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including user administration.
    Admin,
    /// Plans production from the order book.
    Planner,
    /// Runs the printers and the stock room.
    Operator,
    /// Reads finance, orders and customers.
    Accountant,
    /// Handles customers, orders and the catalog.
    Sales,
    /// A customer's own account (belongs to a CRM customer record).
    Customer,
    /// A machine client (shop front, ERP) that places and tracks orders.
    Integrator,
}

use Permission as P;

const ADMIN: &[Permission] = &Permission::ALL;
const PLANNER: &[Permission] = &[
    P::OrdersReadAll,
    P::ProductionRead,
    P::ProductionPlan,
    P::InventoryRead,
    P::EquipmentRead,
];
const OPERATOR: &[Permission] = &[
    P::ProductionRead,
    P::ProductionOperate,
    P::InventoryRead,
    P::InventoryWrite,
    P::EquipmentRead,
    P::EquipmentWrite,
];
const ACCOUNTANT: &[Permission] = &[
    P::OrdersReadAll,
    P::InventoryRead,
    P::FinanceRead,
    P::FinanceWrite,
    P::CrmRead,
];
const SALES: &[Permission] = &[
    P::OrdersReadAll,
    P::OrdersWrite,
    P::CatalogWrite,
    P::InventoryRead,
    P::CrmRead,
    P::CrmWrite,
];
const CUSTOMER: &[Permission] = &[
    P::OrdersReadOwn,
    P::OrdersPlaceOwn,
    P::ReviewsWrite,
    P::TicketsOwn,
];
const INTEGRATOR: &[Permission] = &[
    P::OrdersReadAll,
    P::OrdersWrite,
    P::ProductionRead,
    P::InventoryRead,
    P::EquipmentRead,
    P::WebhooksRead,
];

impl Role {
    /// Every role, in a stable order.
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Planner,
        Role::Operator,
        Role::Accountant,
        Role::Sales,
        Role::Customer,
        Role::Integrator,
    ];

    /// The stored name (`admin`, `planner`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Planner => "planner",
            Role::Operator => "operator",
            Role::Accountant => "accountant",
            Role::Sales => "sales",
            Role::Customer => "customer",
            Role::Integrator => "integrator",
        }
    }

    /// Parses a role name (case-insensitive, surrounding blanks ignored).
    pub fn parse(s: &str) -> Result<Role, UserError> {
        let t = s.trim().to_ascii_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == t)
            .ok_or_else(|| UserError::UnknownRole(s.to_string()))
    }

    /// The permissions this role grants.
    pub fn permissions(self) -> &'static [Permission] {
        match self {
            Role::Admin => ADMIN,
            Role::Planner => PLANNER,
            Role::Operator => OPERATOR,
            Role::Accountant => ACCOUNTANT,
            Role::Sales => SALES,
            Role::Customer => CUSTOMER,
            Role::Integrator => INTEGRATOR,
        }
    }

    /// Whether this role grants `p`.
    pub fn grants(self, p: Permission) -> bool {
        self.permissions().contains(&p)
    }

    /// Whether accounts of this role must belong to a customer record (only `customer`).
    pub fn is_customer(self) -> bool {
        self == Role::Customer
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Normalises and validates an e-mail address: trimmed, lower-cased, one `@`, a non-empty local
/// part of at most 64 characters, a dotted domain of non-empty labels, no blanks or control
/// characters, at most [`EMAIL_MAX`] characters.
pub fn normalize_email(s: &str) -> Result<String, UserError> {
    let e = s.trim().to_lowercase();
    let bad = |reason| {
        Err(UserError::InvalidEmail {
            value: s.to_string(),
            reason,
        })
    };
    if e.is_empty() {
        return bad("must not be empty");
    }
    if e.chars().count() > EMAIL_MAX {
        return bad("too long");
    }
    if e.chars()
        .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c))
    {
        return bad("contains a forbidden character");
    }
    let Some((local, domain)) = e.split_once('@') else {
        return bad("missing @");
    };
    if domain.contains('@') {
        return bad("more than one @");
    }
    if local.is_empty() || local.chars().count() > 64 {
        return bad("local part must have 1 to 64 characters");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return bad("misplaced dot in local part");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2
        || labels
            .iter()
            .any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-'))
    {
        return bad("domain must be dotted, e.g. example.com");
    }
    Ok(e)
}

fn text(field: &'static str, s: &str, max: usize) -> Result<String, UserError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(UserError::InvalidField {
            field,
            reason: "must not be empty",
        });
    }
    if t.chars().count() > max {
        return Err(UserError::InvalidField {
            field,
            reason: "too long",
        });
    }
    if t.chars().any(char::is_control) {
        return Err(UserError::InvalidField {
            field,
            reason: "contains a control character",
        });
    }
    Ok(t.to_string())
}

/// Optional text: blank becomes `None`.
fn opt_text(field: &'static str, s: Option<&str>, max: usize) -> Result<Option<String>, UserError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => text(field, t, max).map(Some),
    }
}

/// Checks the customer-record rule: a `customer` account needs one, other roles must not have one.
pub fn check_customer_link(role: Role, customer_id: Option<CustomerId>) -> Result<(), UserError> {
    match (role.is_customer(), customer_id) {
        (true, None) => Err(UserError::CustomerIdRequired),
        (false, Some(_)) => Err(UserError::CustomerIdNotAllowed { role }),
        _ => Ok(()),
    }
}

/// Checks a role change or deactivation against the rule that at least one active admin remains.
/// `active_admins` counts active admins including `current` if it is one.
pub fn check_admin_remains(
    current: &User,
    new_role: Role,
    new_active: bool,
    active_admins: i64,
) -> Result<(), UserError> {
    let loses_admin =
        current.active && current.role == Role::Admin && (new_role != Role::Admin || !new_active);
    if loses_admin && active_admins <= 1 {
        return Err(UserError::LastAdmin);
    }
    Ok(())
}

/// Checks an opaque password hash: `None` is allowed, a given one must be non-blank and at most
/// 1 024 bytes.
pub fn check_password_hash(hash: Option<&str>) -> Result<Option<&str>, UserError> {
    match hash {
        Some(h) if h.trim().is_empty() => Err(UserError::InvalidField {
            field: "password hash",
            reason: "must not be blank",
        }),
        Some(h) if h.len() > 1024 => Err(UserError::InvalidField {
            field: "password hash",
            reason: "too long",
        }),
        other => Ok(other),
    }
}

/// Input for a CRM customer record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewCustomer {
    pub name: String,
    pub email: Option<String>,
    pub company: Option<String>,
}

impl NewCustomer {
    /// Validates and normalises (trimmed name, lower-case e-mail, blank company dropped).
    pub fn validate(&self) -> Result<NewCustomer, UserError> {
        Ok(NewCustomer {
            name: text("customer name", &self.name, NAME_MAX)?,
            email: match self.email.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(e) => Some(normalize_email(e)?),
            },
            company: opt_text("company", self.company.as_deref(), NAME_MAX)?,
        })
    }
}

/// A CRM customer record (the party that places orders).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Customer {
    pub id: CustomerId,
    pub name: String,
    pub email: Option<String>,
    pub company: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Input for a new account. `password_hash` is opaque (hashed by the API layer) and optional:
/// machine accounts or invited users may have none yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub customer_id: Option<CustomerId>,
    pub password_hash: Option<String>,
}

/// Validates an account's display name (trimmed, 1 to [`NAME_MAX`] characters).
pub fn display_name(s: &str) -> Result<String, UserError> {
    text("display name", s, NAME_MAX)
}

impl NewUser {
    /// Validates and normalises: e-mail lower-cased, name trimmed, customer link checked,
    /// a given password hash must be non-blank.
    pub fn validate(&self) -> Result<NewUser, UserError> {
        let email = normalize_email(&self.email)?;
        let display_name = text("display name", &self.display_name, NAME_MAX)?;
        check_customer_link(self.role, self.customer_id)?;
        let password_hash = check_password_hash(self.password_hash.as_deref())?.map(str::to_string);
        Ok(NewUser {
            email,
            display_name,
            role: self.role,
            customer_id: self.customer_id,
            password_hash,
        })
    }
}

/// An account. The password hash is deliberately not part of it (see the store's
/// `credentials_by_email`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub customer_id: Option<CustomerId>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl User {
    /// Whether the account is active and its role grants `p`.
    pub fn can(&self, p: Permission) -> bool {
        self.active && self.role.grants(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn role_permission_table() {
        let mut out = format!("{:<20}", "");
        for r in Role::ALL {
            out.push_str(&format!("{:>5}", &r.as_str()[..4]));
        }
        out.push('\n');
        for p in Permission::ALL {
            out.push_str(&format!("{:<20}", p.as_str()));
            for r in Role::ALL {
                out.push_str(&format!("{:>5}", if r.grants(p) { "x" } else { "." }));
            }
            out.push('\n');
        }
        expect![[r#"
                                 admi plan oper acco sale cust inte
            orders:read_all         x    x    .    x    x    .    x
            orders:read_own         x    .    .    .    .    x    .
            orders:place_own        x    .    .    .    .    x    .
            orders:write            x    .    .    .    x    .    x
            catalog:write           x    .    .    .    x    .    .
            production:read         x    x    x    .    .    .    x
            production:plan         x    x    .    .    .    .    .
            production:operate      x    .    x    .    .    .    .
            inventory:read          x    x    x    x    x    .    x
            inventory:write         x    .    x    .    .    .    .
            equipment:read          x    x    x    .    .    .    x
            equipment:write         x    .    x    .    .    .    .
            finance:read            x    .    .    x    .    .    .
            finance:write           x    .    .    x    .    .    .
            crm:read                x    .    .    x    x    .    .
            crm:write               x    .    .    .    x    .    .
            users:admin             x    .    .    .    .    .    .
            reviews:write           x    .    .    .    .    x    .
            tickets:own             x    .    .    .    .    x    .
            webhooks:read           x    .    .    .    .    .    x
            webhooks:manage         x    .    .    .    .    .    .
        "#]]
        .assert_eq(&out);
    }

    #[test]
    fn permissions_are_consistent() {
        for r in Role::ALL {
            // grants agrees with the list, and the list has no duplicates.
            let perms = r.permissions();
            for p in Permission::ALL {
                assert_eq!(r.grants(p), perms.contains(&p), "{r} {p}");
            }
            let mut sorted = perms.to_vec();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), perms.len(), "{r} lists a permission twice");
            assert_eq!(Role::parse(r.as_str()), Ok(r));
            assert_eq!(Role::parse(&format!(" {} ", r.as_str().to_uppercase())), Ok(r));
        }
        // Only admins administer users; customers never see all orders.
        for r in Role::ALL {
            assert_eq!(r.grants(Permission::UsersAdmin), r == Role::Admin);
        }
        assert!(!Role::Customer.grants(Permission::OrdersReadAll));
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
            assert_eq!(serde_json::to_value(p).unwrap(), serde_json::json!(p.as_str()));
        }
        assert_eq!(Permission::parse("orders:delete"), None);
        assert_eq!(Role::parse("root").unwrap_err().code(), "USER_UNKNOWN_ROLE");
        assert_eq!(
            serde_json::to_value(Role::Integrator).unwrap(),
            serde_json::json!("integrator")
        );
    }

    #[test]
    fn email_normalisation() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("  Alice@Example.COM ", Ok("alice@example.com")),
            ("a.b+tag@shop.example.org", Ok("a.b+tag@shop.example.org")),
            ("", Err("must not be empty")),
            ("   ", Err("must not be empty")),
            ("alice", Err("missing @")),
            ("a@b@c.com", Err("more than one @")),
            ("@example.com", Err("local part must have 1 to 64 characters")),
            ("alice@", Err("domain must be dotted, e.g. example.com")),
            ("alice@localhost", Err("domain must be dotted, e.g. example.com")),
            (
                "alice@example..com",
                Err("domain must be dotted, e.g. example.com"),
            ),
            ("alice@-x.com", Err("domain must be dotted, e.g. example.com")),
            ("al ice@example.com", Err("contains a forbidden character")),
            ("al,ice@example.com", Err("contains a forbidden character")),
            (".alice@example.com", Err("misplaced dot in local part")),
            ("a..b@example.com", Err("misplaced dot in local part")),
        ];
        for (input, want) in cases {
            let got = normalize_email(input);
            match (got, want) {
                (Ok(g), Ok(w)) => assert_eq!(g, *w, "{input:?}"),
                (Err(UserError::InvalidEmail { reason, .. }), Err(w)) => assert_eq!(reason, *w, "{input:?}"),
                (g, w) => panic!("{input:?}: got {g:?}, want {w:?}"),
            }
        }
        let long = format!("{}@example.com", "a".repeat(65));
        assert!(normalize_email(&long).is_err());
        let too_long = format!("a@{}.com", "b".repeat(260));
        assert!(normalize_email(&too_long).is_err());
    }

    fn new_user(role: Role, customer: Option<i64>) -> NewUser {
        NewUser {
            email: "X@Example.com".into(),
            display_name: "  Xavier ".into(),
            role,
            customer_id: customer.map(CustomerId),
            password_hash: Some("$argon2id$opaque".into()),
        }
    }

    #[test]
    fn customer_link_rule_for_every_role() {
        for role in Role::ALL {
            for customer in [None, Some(7)] {
                let got = new_user(role, customer)
                    .validate()
                    .map(|u| (u.email, u.display_name));
                let want = match (role, customer) {
                    (Role::Customer, None) => Err(UserError::CustomerIdRequired),
                    (Role::Customer, Some(_)) | (_, None) => {
                        Ok(("x@example.com".to_string(), "Xavier".to_string()))
                    }
                    (_, Some(_)) => Err(UserError::CustomerIdNotAllowed { role }),
                };
                assert_eq!(got, want, "{role} {customer:?}");
            }
        }
    }

    #[test]
    fn new_user_field_errors() {
        let mut u = new_user(Role::Sales, None);
        u.display_name = " ".into();
        assert_eq!(u.validate().unwrap_err().code(), "USER_INVALID_FIELD");
        let mut u = new_user(Role::Sales, None);
        u.password_hash = Some("  ".into());
        assert_eq!(u.validate().unwrap_err().code(), "USER_INVALID_FIELD");
        let mut u = new_user(Role::Sales, None);
        u.password_hash = None;
        assert_eq!(u.validate().unwrap().password_hash, None);
        let mut u = new_user(Role::Sales, None);
        u.email = "nope".into();
        let e = u.validate().unwrap_err();
        assert_eq!(
            (e.code(), e.kind()),
            ("USER_INVALID_EMAIL", ErrorKind::Validation)
        );
        assert_eq!(UserError::EmailTaken("a@b.c".into()).kind(), ErrorKind::Conflict);
    }

    #[test]
    fn new_customer_validation() {
        let c = NewCustomer {
            name: " Acme ".into(),
            email: Some(" Buy@Acme.IO ".into()),
            company: Some(" ".into()),
        };
        let v = c.validate().unwrap();
        assert_eq!(
            v,
            NewCustomer {
                name: "Acme".into(),
                email: Some("buy@acme.io".into()),
                company: None
            }
        );
        let c = NewCustomer {
            name: "".into(),
            ..NewCustomer::default()
        };
        assert_eq!(
            c.validate().unwrap_err(),
            UserError::InvalidField {
                field: "customer name",
                reason: "must not be empty"
            }
        );
        let c = NewCustomer {
            name: "A".into(),
            email: Some("bad".into()),
            company: None,
        };
        assert_eq!(c.validate().unwrap_err().code(), "USER_INVALID_EMAIL");
    }

    #[test]
    fn last_admin_rule() {
        let admin = User {
            id: UserId(1),
            email: "a@x.io".into(),
            display_name: "A".into(),
            role: Role::Admin,
            customer_id: None,
            active: true,
            created_at: DateTime::default(),
        };
        // (new role, new active, active admins) -> allowed?
        let table = [
            (Role::Planner, true, 1, false),
            (Role::Admin, false, 1, false),
            (Role::Admin, true, 1, true),
            (Role::Planner, true, 2, true),
            (Role::Admin, false, 2, true),
        ];
        for (role, active, admins, ok) in table {
            assert_eq!(
                check_admin_remains(&admin, role, active, admins).is_ok(),
                ok,
                "{role} {active} {admins}"
            );
        }
        let planner = User {
            role: Role::Planner,
            ..admin.clone()
        };
        assert!(check_admin_remains(&planner, Role::Sales, false, 0).is_ok());
        let inactive_admin = User {
            active: false,
            ..admin
        };
        assert!(check_admin_remains(&inactive_admin, Role::Sales, false, 0).is_ok());
        assert!(!inactive_admin.can(Permission::UsersAdmin));
    }
}
