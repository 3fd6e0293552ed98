//! Finance: when invoices are issued, the default tax rate, the seller on invoices and the
//! set-up time costed per plate attempt.

use super::ConfigError;
use super::source::Source;

/// `GANTRY_FINANCE_INVOICE_ON`, `GANTRY_FINANCE_DEFAULT_TAX_BP`, `GANTRY_FINANCE_SELLER`,
/// `GANTRY_FINANCE_SETUP_MINUTES`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinanceConfig {
    /// Issue the invoice when an order is paid (`payment`, default) or only on demand
    /// (`demand`: the `issueInvoice` mutation).
    pub issue_on_payment: bool,
    /// Tax rate of products whose category has none, basis points (0–10000, default 1900).
    pub default_tax_bp: i64,
    /// The seller printed on invoices (default "Gantry print farm").
    pub seller: String,
    /// Printer minutes each plate attempt spends on set-up, costed at the printer's hourly cost
    /// (0–600, default 0: not costed).
    pub setup_minutes: i64,
}

impl FinanceConfig {
    /// The application layer's settings.
    pub fn settings(&self) -> gantry_app::finance::FinanceSettings {
        gantry_app::finance::FinanceSettings {
            issue_on_payment: self.issue_on_payment,
            default_tax_bp: self.default_tax_bp,
            seller: self.seller.clone(),
            setup_minutes: self.setup_minutes,
        }
    }
}

pub(super) fn parse(src: &Source<'_>) -> Result<FinanceConfig, ConfigError> {
    let seller = src
        .get("GANTRY_FINANCE_SELLER")
        .unwrap_or_else(|| "Gantry print farm".to_string());
    if seller.trim().is_empty() || seller.chars().count() > 200 {
        return Err(super::source::invalid(
            "GANTRY_FINANCE_SELLER",
            seller,
            "a name of 1-200 characters",
        ));
    }
    Ok(FinanceConfig {
        issue_on_payment: src.one_of(
            "GANTRY_FINANCE_INVOICE_ON",
            true,
            &[("payment", true), ("demand", false)],
            "payment or demand",
        )?,
        default_tax_bp: src.number("GANTRY_FINANCE_DEFAULT_TAX_BP", 1900, 0..=10_000)?,
        seller: seller.trim().to_string(),
        setup_minutes: src.number("GANTRY_FINANCE_SETUP_MINUTES", 0, 0..=600)?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{accepts, rejects};

    #[test]
    fn defaults_and_values() {
        let d = accepts(&[], |c| c.finance.clone());
        assert!(d.issue_on_payment);
        assert_eq!((d.default_tax_bp, d.seller.as_str()), (1900, "Gantry print farm"));
        assert_eq!(d.setup_minutes, 0);
        let c = accepts(
            &[
                ("GANTRY_FINANCE_INVOICE_ON", "demand"),
                ("GANTRY_FINANCE_DEFAULT_TAX_BP", "700"),
                ("GANTRY_FINANCE_SELLER", " Farm GmbH, Berlin "),
                ("GANTRY_FINANCE_SETUP_MINUTES", "6"),
            ],
            |c| c.finance.settings(),
        );
        assert!(!c.issue_on_payment);
        assert_eq!((c.default_tax_bp, c.seller.as_str()), (700, "Farm GmbH, Berlin"));
        assert_eq!(c.setup_minutes, 6);
    }

    #[test]
    fn bad_values_name_the_variable() {
        rejects(&[
            ("GANTRY_FINANCE_INVOICE_ON", "always", "payment or demand"),
            (
                "GANTRY_FINANCE_DEFAULT_TAX_BP",
                "10001",
                "a whole number in range",
            ),
            ("GANTRY_FINANCE_DEFAULT_TAX_BP", "-1", "a whole number in range"),
            ("GANTRY_FINANCE_SETUP_MINUTES", "601", "a whole number in range"),
            ("GANTRY_FINANCE_SETUP_MINUTES", "-1", "a whole number in range"),
        ]);
        // A blank value is unset (the default); an over-long name is refused.
        let long = "x".repeat(201);
        rejects(&[(
            "GANTRY_FINANCE_SELLER",
            long.as_str(),
            "a name of 1-200 characters",
        )]);
    }
}
