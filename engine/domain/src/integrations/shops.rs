//! Shop orders in (pure): Shopify's `orders/create` and WooCommerce's `order.created` payloads
//! read into one shape, and the SKU mapping rule.

use serde_json::Value;

use super::IntegrationError;
use crate::types::Currency;

/// Which shop sent an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shop {
    Shopify,
    WooCommerce,
}

impl Shop {
    pub fn as_str(self) -> &'static str {
        match self {
            Shop::Shopify => "shopify",
            Shop::WooCommerce => "woocommerce",
        }
    }
}

/// One line of a shop order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopLine {
    /// Upper-cased as Gantry's SKUs are; `None` when the shop sent none.
    pub sku: Option<String>,
    pub quantity: i64,
    /// What the customer paid per unit, minor units.
    pub unit_price_minor: i64,
}

/// A shop's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopOrder {
    pub shop: Shop,
    /// The shop's order id: an order is created once per (shop, id).
    pub external_id: String,
    pub currency: Currency,
    pub email: Option<String>,
    pub name: String,
    pub lines: Vec<ShopLine>,
}

fn bad(reason: impl Into<String>) -> IntegrationError {
    IntegrationError::PayloadInvalid(reason.into())
}

/// A decimal amount (`"19.90"` or `19.9`) in minor units of a two-decimal currency.
pub fn price_minor(v: &Value) -> Option<i64> {
    let s = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac)
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        Value::String(s) if !s.trim().is_empty() && s.len() <= 64 => Some(s.trim().to_string()),
        _ => None,
    }
}

fn lines(items: &Value, price_field: &str) -> Result<Vec<ShopLine>, IntegrationError> {
    let items = items
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| bad("line_items must be a non-empty list"))?;
    if items.len() > 500 {
        return Err(bad("at most 500 line items"));
    }
    items
        .iter()
        .map(|it| {
            let quantity = it
                .get("quantity")
                .and_then(Value::as_i64)
                .filter(|q| (1..=100_000).contains(q))
                .ok_or_else(|| bad("a line's quantity must be 1 to 100000"))?;
            let unit_price_minor = it
                .get(price_field)
                .and_then(price_minor)
                .ok_or_else(|| bad(format!("a line's {price_field} must be a decimal amount")))?;
            let sku = it
                .get("sku")
                .and_then(Value::as_str)
                .map(|s| s.trim().to_ascii_uppercase())
                .filter(|s| !s.is_empty() && s.len() <= 64);
            Ok(ShopLine {
                sku,
                quantity,
                unit_price_minor,
            })
        })
        .collect()
}

fn currency(v: &Value) -> Result<Currency, IntegrationError> {
    v.get("currency")
        .and_then(Value::as_str)
        .and_then(|c| Currency::parse(&c.trim().to_ascii_uppercase()).ok())
        .ok_or_else(|| bad("currency must be a three-letter code"))
}

fn name_of(first: Option<&str>, last: Option<&str>, fallback: &str) -> String {
    let n = format!("{} {}", first.unwrap_or(""), last.unwrap_or(""))
        .trim()
        .to_string();
    let n = if n.is_empty() { fallback.to_string() } else { n };
    n.chars().filter(|c| !c.is_control()).take(120).collect()
}

/// Reads Shopify's `orders/create` payload.
pub fn parse_shopify(body: &[u8]) -> Result<ShopOrder, IntegrationError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| bad(format!("not JSON: {e}")))?;
    let external_id = v
        .get("id")
        .and_then(id_text)
        .ok_or_else(|| bad("id must be the order's id"))?;
    let c = v.get("customer").cloned().unwrap_or(Value::Null);
    let email = v
        .get("email")
        .or_else(|| c.get("email"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .filter(|e| !e.is_empty());
    Ok(ShopOrder {
        shop: Shop::Shopify,
        currency: currency(&v)?,
        name: name_of(
            c.get("first_name").and_then(Value::as_str),
            c.get("last_name").and_then(Value::as_str),
            email.as_deref().unwrap_or("Shopify customer"),
        ),
        email,
        lines: lines(v.get("line_items").unwrap_or(&Value::Null), "price")?,
        external_id,
    })
}

/// Reads WooCommerce's `order.created` payload.
pub fn parse_woocommerce(body: &[u8]) -> Result<ShopOrder, IntegrationError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| bad(format!("not JSON: {e}")))?;
    let external_id = v
        .get("id")
        .and_then(id_text)
        .ok_or_else(|| bad("id must be the order's id"))?;
    let b = v.get("billing").cloned().unwrap_or(Value::Null);
    let email = b
        .get("email")
        .and_then(Value::as_str)
        .map(str::to_string)
        .filter(|e| !e.is_empty());
    Ok(ShopOrder {
        shop: Shop::WooCommerce,
        currency: currency(&v)?,
        name: name_of(
            b.get("first_name").and_then(Value::as_str),
            b.get("last_name").and_then(Value::as_str),
            email.as_deref().unwrap_or("WooCommerce customer"),
        ),
        email,
        lines: lines(v.get("line_items").unwrap_or(&Value::Null), "price")?,
        external_id,
    })
}

/// Maps every line to a product by SKU with `lookup`; the first line without a known SKU is
/// why the order is held.
pub fn map_skus<P: Copy>(
    lines: &[ShopLine],
    lookup: impl Fn(&str) -> Option<P>,
) -> Result<Vec<(P, &ShopLine)>, String> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| match &l.sku {
            None => Err(format!("line {} has no SKU", i + 1)),
            Some(s) => lookup(s)
                .map(|p| (p, l))
                .ok_or_else(|| format!("unknown SKU {s}")),
        })
        .collect()
}
