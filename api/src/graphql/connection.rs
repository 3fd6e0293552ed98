//! Shared GraphQL building blocks: Relay cursor connections over ids, the `DateTime` scalar,
//! `Money`, and small argument helpers used by every domain module.
//!
//! Cursors are opaque (`OpaqueCursor<i64>`: base64 of the row id). Lists are ordered by id
//! (`orderBy: ID_ASC | ID_DESC`); `after`/`before` compare ids in that order, so a cursor stays
//! valid when rows around it are added or removed. `first`/`last` are limited to [`MAX_PAGE`].

use async_graphql::connection::{Connection, CursorType, Edge, OpaqueCursor};
use async_graphql::{
    Enum, ErrorExtensions, InputObject, InputValueError, InputValueResult, OutputType, Scalar, ScalarType,
    SimpleObject, Value,
};
use chrono::{DateTime, Utc};
use gantry_engine::domain::types::{Currency, Money};

/// Largest page a client may ask for.
pub const MAX_PAGE: usize = 500;
/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE: usize = 50;

/// The cursor type of every connection.
pub type Cursor = OpaqueCursor<i64>;
/// A connection of `N` nodes.
pub type Conn<N> = Connection<Cursor, N>;

/// A `VALIDATION` error (bad argument) with a specific reason.
pub fn invalid(message: impl Into<String>, reason: &'static str) -> async_graphql::Error {
    async_graphql::Error::new(message.into()).extend_with(|_, e| {
        e.set("code", "VALIDATION");
        e.set("reason", reason);
    })
}

/// A `NOT_FOUND` error that says nothing about whether the row exists.
pub fn not_found(entity: &str, id: i64) -> async_graphql::Error {
    async_graphql::Error::new(format!("{entity} {id} not found")).extend_with(|_, e| {
        e.set("code", "NOT_FOUND");
        e.set("reason", "NOT_FOUND");
    })
}

/// A UTC timestamp, RFC 3339 (e.g. `2026-01-31T12:00:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ts(pub DateTime<Utc>);

#[Scalar(name = "DateTime")]
impl ScalarType for Ts {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => DateTime::parse_from_rfc3339(s)
                .map(|t| Ts(t.with_timezone(&Utc)))
                .map_err(|e| InputValueError::custom(format!("expected an RFC 3339 time: {e}"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    }
}

impl From<DateTime<Utc>> for Ts {
    fn from(t: DateTime<Utc>) -> Self {
        Ts(t)
    }
}

/// `Option<DateTime>` → `Option<Ts>`.
pub fn ts(t: Option<DateTime<Utc>>) -> Option<Ts> {
    t.map(Ts)
}

/// An amount of money in integer minor units (cents) of a currency.
#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
#[graphql(name = "Money")]
pub struct MoneyObj {
    pub minor: i64,
    pub currency: String,
}

impl From<Money> for MoneyObj {
    fn from(m: Money) -> Self {
        MoneyObj {
            minor: m.minor,
            currency: m.currency.as_str().to_string(),
        }
    }
}

/// Money as input.
#[derive(InputObject, Debug, Clone)]
pub struct MoneyInput {
    pub minor: i64,
    pub currency: String,
}

impl MoneyInput {
    pub fn to_money(&self) -> async_graphql::Result<Money> {
        Ok(Money::new(self.minor, parse_currency(&self.currency)?))
    }
}

pub fn parse_currency(s: &str) -> async_graphql::Result<Currency> {
    Currency::parse(s).map_err(|e| invalid(e.to_string(), "INVALID_CURRENCY"))
}

/// An id argument (`ID!` in the schema, a positive integer).
pub fn id_arg(id: &async_graphql::ID, entity: &'static str) -> async_graphql::Result<i64> {
    match id.parse::<i64>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(invalid(
            format!("{entity} id {:?} is not a valid id", id.as_str()),
            "INVALID_ID",
        )),
    }
}

/// Sort order of a connection.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum IdOrder {
    #[default]
    IdAsc,
    IdDesc,
}

/// The pagination arguments of one request.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
    pub order: IdOrder,
}

/// Checked pagination arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub first: Option<usize>,
    pub after: Option<i64>,
    pub last: Option<usize>,
    pub before: Option<i64>,
    pub order: IdOrder,
}

fn limit(v: Option<i32>, name: &str) -> async_graphql::Result<Option<usize>> {
    match v {
        None => Ok(None),
        Some(n) if n < 0 => Err(invalid(format!("`{name}` must not be negative"), "INVALID_PAGE")),
        Some(n) if n as usize > MAX_PAGE => Err(invalid(
            format!("`{name}` must be at most {MAX_PAGE}"),
            "INVALID_PAGE",
        )),
        Some(n) => Ok(Some(n as usize)),
    }
}

fn cursor(v: Option<&str>, name: &str) -> async_graphql::Result<Option<i64>> {
    v.map(|s| {
        Cursor::decode_cursor(s)
            .map(|c| c.0)
            .map_err(|_| invalid(format!("`{name}` is not a cursor of this list"), "INVALID_CURSOR"))
    })
    .transpose()
}

impl PageArgs {
    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        order: Option<IdOrder>,
    ) -> Self {
        PageArgs {
            first,
            after,
            last,
            before,
            order: order.unwrap_or_default(),
        }
    }

    pub fn check(&self) -> async_graphql::Result<Page> {
        Ok(Page {
            first: limit(self.first, "first")?,
            after: cursor(self.after.as_deref(), "after")?,
            last: limit(self.last, "last")?,
            before: cursor(self.before.as_deref(), "before")?,
            order: self.order,
        })
    }
}

impl Page {
    /// Whether `id` comes after `cursor` in this order.
    fn is_after(&self, id: i64, cursor: i64) -> bool {
        match self.order {
            IdOrder::IdAsc => id > cursor,
            IdOrder::IdDesc => id < cursor,
        }
    }

    /// Slices a complete, unsorted list into one Relay page.
    pub fn slice<T, N: OutputType>(
        &self,
        mut items: Vec<T>,
        id: impl Fn(&T) -> i64,
        node: impl Fn(T) -> N,
    ) -> Conn<N> {
        items.sort_by_key(|t| id(t));
        if self.order == IdOrder::IdDesc {
            items.reverse();
        }
        let mut has_previous = false;
        let mut has_next = false;
        if let Some(a) = self.after {
            let before_len = items.len();
            items.retain(|t| self.is_after(id(t), a));
            has_previous = items.len() < before_len;
        }
        if let Some(b) = self.before {
            let before_len = items.len();
            items.retain(|t| self.is_after(b, id(t)));
            has_next = items.len() < before_len;
        }
        let first = self.first.or(if self.last.is_none() {
            Some(DEFAULT_PAGE)
        } else {
            None
        });
        if let Some(f) = first
            && items.len() > f
        {
            items.truncate(f);
            has_next = true;
        }
        if let Some(l) = self.last
            && items.len() > l
        {
            items.drain(..items.len() - l);
            has_previous = true;
        }
        let mut conn = Connection::new(has_previous, has_next);
        conn.edges.extend(
            items
                .into_iter()
                .map(|t| Edge::new(OpaqueCursor(id(&t)), node(t))),
        );
        conn
    }
}

/// A forward page read by key from the store (`first`/`after`): the rows after the cursor in the
/// list's own order, `size` of them. Read `size + 1` rows ([`Forward::read`]) so that
/// [`Forward::conn`] knows whether there is a next page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forward {
    pub after: Option<i64>,
    pub size: usize,
}

impl Forward {
    /// Checks `first` (0..=[`MAX_PAGE`], default [`DEFAULT_PAGE`]) and `after` (a cursor).
    pub fn new(first: Option<i32>, after: Option<String>) -> async_graphql::Result<Self> {
        Ok(Forward {
            after: cursor(after.as_deref(), "after")?,
            size: limit(first, "first")?.unwrap_or(DEFAULT_PAGE),
        })
    }

    /// `(after, rows to read)`: one more than the page, to see whether another follows.
    pub fn read(&self) -> (Option<i64>, usize) {
        (self.after, self.size + 1)
    }

    /// The connection of `rows` (read with [`Forward::read`], in the list's order).
    pub fn conn<T, N: OutputType>(
        &self,
        mut rows: Vec<T>,
        id: impl Fn(&T) -> i64,
        node: impl Fn(T) -> N,
    ) -> Conn<N> {
        let has_next = rows.len() > self.size;
        rows.truncate(self.size);
        let mut conn = Connection::new(self.after.is_some(), has_next);
        conn.edges
            .extend(rows.into_iter().map(|t| Edge::new(OpaqueCursor(id(&t)), node(t))));
        conn
    }
}

/// Declares a GraphQL enum mirroring an engine enum, with conversions both ways.
macro_rules! mirror_enum {
    ($(#[$m:meta])* $name:ident as $gql:tt = $engine:path { $($v:ident),* $(,)? }) => {
        $(#[$m])*
        #[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
        #[graphql(name = $gql)]
        pub enum $name { $($v),* }

        impl From<$engine> for $name {
            fn from(e: $engine) -> Self {
                type E = $engine;
                match e { $(E::$v => $name::$v),* }
            }
        }

        impl From<$name> for $engine {
            fn from(e: $name) -> Self {
                type E = $engine;
                match e { $($name::$v => E::$v),* }
            }
        }
    };
}
pub(crate) use mirror_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slicing_follows_relay() {
        let page = |first, after, last, before, order| Page {
            first,
            after,
            last,
            before,
            order,
        };
        let ids: Vec<i64> = (1..=10).collect();
        let run = |p: Page| {
            let c = p.slice(ids.clone(), |i| *i, |i| i);
            (
                c.edges.iter().map(|e| e.node).collect::<Vec<_>>(),
                c.has_previous_page,
                c.has_next_page,
            )
        };
        assert_eq!(
            run(page(Some(3), None, None, None, IdOrder::IdAsc)),
            (vec![1, 2, 3], false, true)
        );
        assert_eq!(
            run(page(Some(3), Some(8), None, None, IdOrder::IdAsc)),
            (vec![9, 10], true, false)
        );
        assert_eq!(
            run(page(None, None, Some(2), Some(5), IdOrder::IdAsc)),
            (vec![3, 4], true, true)
        );
        assert_eq!(
            run(page(Some(2), None, None, None, IdOrder::IdDesc)),
            (vec![10, 9], false, true)
        );
    }

    #[test]
    fn forward_pages_know_whether_more_follow() {
        let f = Forward::new(Some(2), None).unwrap();
        assert_eq!(f.read(), (None, 3));
        let c = f.conn(vec![1, 2, 3], |i| *i, |i| i);
        let nodes: Vec<i64> = c.edges.iter().map(|e| e.node).collect();
        assert_eq!(
            (nodes, c.has_previous_page, c.has_next_page),
            (vec![1, 2], false, true)
        );
        let after = c.edges[1].cursor.encode_cursor();
        let f = Forward::new(Some(2), Some(after)).unwrap();
        assert_eq!(f.read(), (Some(2), 3));
        let c = f.conn(vec![3], |i| *i, |i| i);
        assert_eq!(
            (c.edges.len(), c.has_previous_page, c.has_next_page),
            (1, true, false)
        );
        assert!(Forward::new(Some(-1), None).is_err());
        assert!(Forward::new(Some(MAX_PAGE as i32 + 1), None).is_err());
        assert!(Forward::new(None, Some("nope".into())).is_err());
        assert_eq!(Forward::new(None, None).unwrap().size, DEFAULT_PAGE);
    }
}
