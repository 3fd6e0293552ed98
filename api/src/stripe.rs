//! Stripe as the payment provider of payment links (`GANTRY_PAYMENTS_PROVIDER=stripe`): a
//! Checkout Session per order, through Stripe's REST API (`POST /v1/checkout/sessions`, form
//! encoded, the secret key as bearer). The order's id travels as `client_reference_id` and in
//! the metadata (`gantry_order_id`), so the `checkout.session.completed` and
//! `payment_intent.succeeded` webhooks name it.

use std::time::Duration;

use gantry_app::payments::{CreatedLink, LinkRequest, PaymentProvider};

use crate::config::{PaymentProviderKind, PaymentsSettings};

/// Makes Stripe Checkout Sessions.
#[derive(Debug, Clone)]
pub struct StripeLinks {
    client: reqwest::Client,
    base: String,
    key: String,
    return_url: String,
}

impl StripeLinks {
    /// The configured provider: `None` with `GANTRY_PAYMENTS_PROVIDER=none`.
    pub fn from_config(s: &PaymentsSettings) -> Option<StripeLinks> {
        if s.provider != PaymentProviderKind::Stripe {
            return None;
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| tracing::error!(error = %e, "stripe: cannot build the HTTP client"))
            .ok()?;
        Some(StripeLinks {
            client,
            base: s.stripe_api_base.trim_end_matches('/').to_string(),
            key: s.stripe_api_key.as_ref()?.0.clone(),
            return_url: s.return_url.clone()?,
        })
    }
}

impl PaymentProvider for StripeLinks {
    fn name(&self) -> &'static str {
        "stripe"
    }

    async fn create_link(&self, req: LinkRequest) -> Result<CreatedLink, String> {
        let order = req.order_id.to_string();
        let form = [
            ("mode", "payment".to_string()),
            ("success_url", self.return_url.clone()),
            ("client_reference_id", order.clone()),
            ("metadata[gantry_order_id]", order.clone()),
            ("payment_intent_data[metadata][gantry_order_id]", order),
            ("line_items[0][quantity]", "1".into()),
            (
                "line_items[0][price_data][currency]",
                req.currency.to_ascii_lowercase(),
            ),
            (
                "line_items[0][price_data][unit_amount]",
                req.amount_minor.to_string(),
            ),
            ("line_items[0][price_data][product_data][name]", req.description),
        ];
        let resp = self
            .client
            .post(format!("{}/v1/checkout/sessions", self.base))
            .bearer_auth(&self.key)
            .form(&form)
            .send()
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = resp.status();
        let body: serde_json::Value = resp
            .json()
            .await
            .map_err(|e| format!("answer is not JSON: {e}"))?;
        if !status.is_success() {
            let msg = body["error"]["message"].as_str().unwrap_or("no message");
            return Err(format!("HTTP {}: {msg}", status.as_u16()));
        }
        match (body["id"].as_str(), body["url"].as_str()) {
            (Some(id), Some(url)) => Ok(CreatedLink {
                reference: id.to_string(),
                url: url.to_string(),
            }),
            _ => Err("answer has no id or url".into()),
        }
    }
}
