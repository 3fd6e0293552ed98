//! Integrations in: the payment provider (links, webhook secret) and the shops' webhook
//! secrets.

use super::ConfigError;
use super::auth::Secret;
use super::source::{Source, invalid};

/// Which provider makes payment links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentProviderKind {
    /// No payment links (`createPaymentLink` is refused); webhooks are still received when a
    /// webhook secret is set.
    None,
    Stripe,
}

/// `GANTRY_PAYMENTS_PROVIDER`, `GANTRY_STRIPE_*`, `GANTRY_PAYMENTS_RETURN_URL`,
/// `GANTRY_SHOPIFY_WEBHOOK_SECRET`, `GANTRY_WOOCOMMERCE_WEBHOOK_SECRET`,
/// `GANTRY_CARRIER_WEBHOOK_SECRET`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentsSettings {
    /// `none` (default) or `stripe`.
    pub provider: PaymentProviderKind,
    /// Stripe's secret API key (`sk_…` or `rk_…`); required with `stripe`.
    pub stripe_api_key: Option<Secret>,
    /// Stripe's API (default `https://api.stripe.com`; tests point it at a local fake).
    pub stripe_api_base: String,
    /// The signing secret of the Stripe webhook endpoint (`whsec_…`); `/hooks/stripe` answers
    /// 404 without it.
    pub stripe_webhook_secret: Option<Secret>,
    /// Where the customer lands after paying; required with `stripe`.
    pub return_url: Option<String>,
    /// Shopify's webhook secret; `/hooks/shopify` answers 404 without it.
    pub shopify_webhook_secret: Option<Secret>,
    /// WooCommerce's webhook secret; `/hooks/woocommerce` answers 404 without it.
    pub woocommerce_webhook_secret: Option<Secret>,
    /// The carriers' status webhook secret (`whsec_` + base64 of 16–64 bytes, Standard
    /// Webhooks); `/hooks/carrier` answers 404 without it.
    pub carrier_webhook_secret: Option<Secret>,
}

fn token(
    src: &Source<'_>,
    var: &'static str,
    ok: fn(&str) -> bool,
    accepted: &'static str,
) -> Result<Option<String>, ConfigError> {
    match src.get(var) {
        None => Ok(None),
        Some(v) if ok(&v) => Ok(Some(v)),
        Some(v) => Err(invalid(var, v, accepted)),
    }
}

fn printable(s: &str) -> bool {
    (8..=512).contains(&s.len()) && s.chars().all(|c| c.is_ascii_graphic())
}

fn http_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() > 8
        && s.chars().all(|c| c.is_ascii_graphic())
}

pub(super) fn parse(src: &Source<'_>) -> Result<PaymentsSettings, ConfigError> {
    let provider = src.one_of(
        "GANTRY_PAYMENTS_PROVIDER",
        PaymentProviderKind::None,
        &[
            ("none", PaymentProviderKind::None),
            ("stripe", PaymentProviderKind::Stripe),
        ],
        "none or stripe",
    )?;
    let key = token(
        src,
        "GANTRY_STRIPE_API_KEY",
        |s| (s.starts_with("sk_") || s.starts_with("rk_")) && printable(s),
        "a Stripe secret key (sk_… or rk_…)",
    )?;
    let base = token(src, "GANTRY_STRIPE_API_BASE", http_url, "an http(s) URL")?;
    let hook = token(
        src,
        "GANTRY_STRIPE_WEBHOOK_SECRET",
        |s| s.starts_with("whsec_") && printable(s),
        "a Stripe webhook secret (whsec_…)",
    )?;
    let return_url = token(src, "GANTRY_PAYMENTS_RETURN_URL", http_url, "an http(s) URL")?;
    if provider == PaymentProviderKind::Stripe {
        if key.is_none() {
            return Err(invalid(
                "GANTRY_STRIPE_API_KEY",
                "",
                "a Stripe secret key (sk_… or rk_…) with GANTRY_PAYMENTS_PROVIDER=stripe",
            ));
        }
        if return_url.is_none() {
            return Err(invalid(
                "GANTRY_PAYMENTS_RETURN_URL",
                "",
                "an http(s) URL with GANTRY_PAYMENTS_PROVIDER=stripe",
            ));
        }
    }
    let shop = |var| {
        token(
            src,
            var,
            printable,
            "8 to 512 printable characters without blanks",
        )
    };
    Ok(PaymentsSettings {
        provider,
        stripe_api_key: key.map(Secret),
        stripe_api_base: base.unwrap_or_else(|| "https://api.stripe.com".into()),
        stripe_webhook_secret: hook.map(Secret),
        return_url,
        shopify_webhook_secret: shop("GANTRY_SHOPIFY_WEBHOOK_SECRET")?.map(Secret),
        woocommerce_webhook_secret: shop("GANTRY_WOOCOMMERCE_WEBHOOK_SECRET")?.map(Secret),
        carrier_webhook_secret: token(
            src,
            "GANTRY_CARRIER_WEBHOOK_SECRET",
            |s| gantry_engine::domain::integrations::signing::secret_key(s).is_ok(),
            "whsec_ followed by base64 of 16 to 64 bytes",
        )?
        .map(Secret),
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{accepts, rejects};
    use super::*;

    #[test]
    fn defaults_and_values() {
        let c = accepts(&[], |c| c.payments.clone());
        assert_eq!(c.provider, PaymentProviderKind::None);
        assert_eq!(c.stripe_api_base, "https://api.stripe.com");
        assert!(c.stripe_webhook_secret.is_none() && c.stripe_api_key.is_none());
        let c = accepts(
            &[
                ("GANTRY_PAYMENTS_PROVIDER", "stripe"),
                ("GANTRY_STRIPE_API_KEY", "sk_test_123456"),
                ("GANTRY_PAYMENTS_RETURN_URL", "https://shop.example/paid"),
                ("GANTRY_STRIPE_WEBHOOK_SECRET", "whsec_abcdefgh"),
            ],
            |c| c.payments.clone(),
        );
        assert_eq!(c.provider, PaymentProviderKind::Stripe);
        assert_eq!(c.stripe_api_key, Some(Secret("sk_test_123456".into())));
        assert!(!format!("{c:?}").contains("sk_test"), "secrets are not shown");
    }

    #[test]
    fn bad_values_name_the_variable() {
        rejects(&[
            ("GANTRY_PAYMENTS_PROVIDER", "paypal", "none or stripe"),
            ("GANTRY_STRIPE_API_KEY", "pk_live_123456", "sk_"),
            ("GANTRY_STRIPE_WEBHOOK_SECRET", "secret", "whsec_"),
            ("GANTRY_STRIPE_API_BASE", "api.stripe.com", "http"),
            ("GANTRY_SHOPIFY_WEBHOOK_SECRET", "short", "printable"),
            ("GANTRY_CARRIER_WEBHOOK_SECRET", "whsec_!!", "whsec_"),
        ]);
        // Stripe without its key or return URL names the missing setting.
        let e = crate::config::Config::from_map(&super::super::testing::env(&[(
            "GANTRY_PAYMENTS_PROVIDER",
            "stripe",
        )]))
        .unwrap_err()
        .to_string();
        assert!(e.contains("GANTRY_STRIPE_API_KEY"), "{e}");
    }
}
