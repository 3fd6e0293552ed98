//! Outbound webhooks over HTTP: the [`WebhookSender`] of the application layer's dispatcher,
//! with reqwest. The SSRF guard is applied where the address is known: an IP-literal URL is
//! checked before sending, and a host name is resolved by [`GuardedResolver`], which drops
//! private, loopback and other non-public addresses (so a name that resolves, or re-resolves,
//! to one is refused) unless `GANTRY_WEBHOOKS_ALLOW_PRIVATE`. Redirects are not followed; up to
//! 64 KiB of the response body is read and dropped (so keep-alive connections are reused).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use gantry_app::domain::integrations::delivery::{Circuit, RetryPolicy};
use gantry_app::webhooks::dispatch::{
    DispatchConfig, DispatcherHandle, OutboundRequest, SendOutcome, WebhookSender, spawn_dispatcher,
};
use gantry_app::webhooks::ip_forbidden;
use gantry_engine::store::Db;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::config::WebhooksSettings;

/// Resolves host names, keeping only public addresses unless private ones are allowed.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| allow || !ip_forbidden(a.ip()))
                .collect();
            if kept.is_empty() {
                return Err(format!("{host} resolves to no public address (forbidden target)").into());
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

/// How much of a response body is read (and dropped) to keep its connection.
const DRAIN_BYTES: usize = 64 * 1024;

/// Sends deliveries with reqwest.
#[derive(Debug, Clone)]
pub struct HttpSender {
    client: reqwest::Client,
    allow_private: bool,
}

impl HttpSender {
    pub fn new(settings: &WebhooksSettings) -> Result<HttpSender, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.timeout_ms))
            .connect_timeout(Duration::from_millis(settings.timeout_ms.min(10_000)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Gantry-Webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver {
                allow_private: settings.allow_private,
            }))
            .build()?;
        Ok(HttpSender {
            client,
            allow_private: settings.allow_private,
        })
    }
}

impl WebhookSender for HttpSender {
    async fn send(&self, req: OutboundRequest) -> SendOutcome {
        let url = match reqwest::Url::parse(&req.url) {
            Ok(u) => u,
            Err(e) => {
                return SendOutcome {
                    status: None,
                    error: Some(format!("invalid URL: {e}")),
                };
            }
        };
        let literal = url.host_str().and_then(|h| {
            h.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .ok()
        });
        if let Some(ip) = literal
            && !self.allow_private
            && ip_forbidden(ip)
        {
            return SendOutcome {
                status: None,
                error: Some(format!(
                    "{ip} is a private or loopback address (forbidden target)"
                )),
            };
        }
        let sent = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &req.msg_id)
            .header("webhook-timestamp", req.timestamp.to_string())
            .header("webhook-signature", &req.signature)
            .body(req.body)
            .send()
            .await;
        match sent {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                // A short body is read (and dropped) so that the connection goes back to the
                // pool for the next delivery; a longer one is cut off with its connection.
                let mut read = 0usize;
                while read < DRAIN_BYTES {
                    match resp.chunk().await {
                        Ok(Some(c)) => read += c.len(),
                        _ => break,
                    }
                }
                SendOutcome {
                    status: Some(status),
                    error: None,
                }
            }
            Err(e) => SendOutcome {
                status: None,
                error: Some(describe(&e)),
            },
        }
    }
}

fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "request"
    };
    let mut msg = format!("{kind}: {e}");
    let mut src = e.source();
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    msg
}

/// The dispatcher's settings from the configuration.
pub fn dispatch_config(s: &WebhooksSettings) -> DispatchConfig {
    let ms = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    DispatchConfig {
        retry: RetryPolicy {
            first_delay_ms: ms(s.retry_first_delay_ms),
            max_delay_ms: ms(s.retry_max_delay_ms),
            period_ms: ms(s.retry_period_secs).saturating_mul(1000),
        },
        circuit: Circuit {
            threshold: ms(s.circuit_failures),
            min_failing_ms: ms(s.circuit_min_failing_secs).saturating_mul(1000),
        },
        lease: Duration::from_millis(s.timeout_ms.saturating_mul(2).saturating_add(5_000)),
        ..DispatchConfig::default()
    }
}

/// Starts the dispatcher on the current runtime (`None`, logged, if the HTTP client cannot be
/// built).
pub fn start(settings: &WebhooksSettings, db: Db) -> Option<DispatcherHandle> {
    match HttpSender::new(settings) {
        Ok(sender) => Some(spawn_dispatcher(db, Arc::new(sender), dispatch_config(settings))),
        Err(e) => {
            tracing::error!(error = %e, "webhooks: cannot build the HTTP client; no deliveries are sent");
            None
        }
    }
}
