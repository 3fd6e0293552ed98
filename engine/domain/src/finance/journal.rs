//! Journal entries: lines that balance, one currency, corrections by reversal.

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

use super::{Account, FinanceError, text};
use crate::types::Currency;

/// Where an entry came from (stored; reports and tests filter on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntrySource {
    /// An invoice was issued (receivable / revenue / tax).
    Invoice,
    /// A credit note was issued (revenue and tax back / receivable).
    CreditNote,
    /// A customer paid an order (cash / receivable or prepayment).
    Payment,
    /// Money went back to a customer (receivable or prepayment / cash).
    Refund,
    /// A spool was received at its lot cost (inventory / payables).
    SpoolReceipt,
    /// A stock count or scrapped spool (inventory ± materials expense or scrap).
    StockAdjustment,
    /// A finished or failed job: material at lot cost and machine time.
    Job,
    /// A manual expense.
    Expense,
    /// A manual entry.
    Manual,
    /// The reversal of another entry.
    Reversal,
}

impl EntrySource {
    pub const ALL: [EntrySource; 10] = [
        EntrySource::Invoice,
        EntrySource::CreditNote,
        EntrySource::Payment,
        EntrySource::Refund,
        EntrySource::SpoolReceipt,
        EntrySource::StockAdjustment,
        EntrySource::Job,
        EntrySource::Expense,
        EntrySource::Manual,
        EntrySource::Reversal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntrySource::Invoice => "invoice",
            EntrySource::CreditNote => "credit_note",
            EntrySource::Payment => "payment",
            EntrySource::Refund => "refund",
            EntrySource::SpoolReceipt => "spool_receipt",
            EntrySource::StockAdjustment => "stock_adjustment",
            EntrySource::Job => "job",
            EntrySource::Expense => "expense",
            EntrySource::Manual => "manual",
            EntrySource::Reversal => "reversal",
        }
    }

    pub fn parse(s: &str) -> Option<EntrySource> {
        EntrySource::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// One line: a debit or a credit of an account, in minor units (`> 0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Line {
    pub account: Account,
    pub debit: i64,
    pub credit: i64,
}

impl Line {
    pub fn debit(account: Account, minor: i64) -> Line {
        Line {
            account,
            debit: minor,
            credit: 0,
        }
    }

    pub fn credit(account: Account, minor: i64) -> Line {
        Line {
            account,
            debit: 0,
            credit: minor,
        }
    }

    /// The signed amount (debit positive).
    pub fn signed(&self) -> i64 {
        self.debit - self.credit
    }
}

/// Links of an entry to the business records it belongs to (for costing and reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct EntryLinks {
    pub order_id: Option<i64>,
    pub job_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub event_id: Option<i64>,
}

/// An entry to post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewEntry {
    pub currency: Currency,
    pub memo: String,
    pub source: EntrySource,
    pub links: EntryLinks,
    /// The entry this one reverses.
    pub reverses: Option<i64>,
    pub lines: Vec<Line>,
}

impl NewEntry {
    pub fn new(currency: Currency, source: EntrySource, memo: impl Into<String>) -> NewEntry {
        NewEntry {
            currency,
            memo: memo.into(),
            source,
            links: EntryLinks::default(),
            reverses: None,
            lines: Vec::new(),
        }
    }

    /// Adds a debit of `minor` (a zero amount adds nothing).
    pub fn dr(mut self, account: Account, minor: i64) -> NewEntry {
        if minor != 0 {
            self.lines.push(Line::debit(account, minor));
        }
        self
    }

    /// Adds a credit of `minor` (a zero amount adds nothing).
    pub fn cr(mut self, account: Account, minor: i64) -> NewEntry {
        if minor != 0 {
            self.lines.push(Line::credit(account, minor));
        }
        self
    }

    /// Adds a signed amount to `account`: positive is a debit, negative a credit.
    pub fn signed(self, account: Account, minor: i64) -> NewEntry {
        if minor >= 0 {
            self.dr(account, minor)
        } else {
            self.cr(account, -minor)
        }
    }

    pub fn links(mut self, links: EntryLinks) -> NewEntry {
        self.links = links;
        self
    }

    /// Checks the entry: a memo of 1–200 characters, every line a debit or a credit above
    /// zero (never both), at least one debit and one credit, debits = credits. Returns the
    /// total (the sum of the debits).
    pub fn validate(&self) -> Result<i64, FinanceError> {
        text("memo", &self.memo, 200)?;
        if self.lines.len() < 2 {
            return Err(FinanceError::ZeroEntry);
        }
        let (mut debits, mut credits) = (0i64, 0i64);
        for l in &self.lines {
            for (field, amount) in [("debit", l.debit), ("credit", l.credit)] {
                if amount < 0 {
                    return Err(FinanceError::InvalidAmount {
                        field,
                        amount,
                        reason: "must not be negative",
                    });
                }
            }
            if (l.debit > 0) == (l.credit > 0) {
                return Err(FinanceError::InvalidAmount {
                    field: "line",
                    amount: l.debit.max(l.credit),
                    reason: "a line is either a debit or a credit above zero",
                });
            }
            debits = debits.checked_add(l.debit).ok_or(FinanceError::InvalidAmount {
                field: "debit",
                amount: l.debit,
                reason: "overflow",
            })?;
            credits = credits.checked_add(l.credit).ok_or(FinanceError::InvalidAmount {
                field: "credit",
                amount: l.credit,
                reason: "overflow",
            })?;
        }
        if debits != credits {
            return Err(FinanceError::Unbalanced { debits, credits });
        }
        if debits == 0 {
            return Err(FinanceError::ZeroEntry);
        }
        Ok(debits)
    }

    /// The reversal of a posted entry: the same lines with debits and credits swapped.
    pub fn reversal_of(entry: &PostedEntry, reason: &str) -> Result<NewEntry, FinanceError> {
        if entry.reversed_by.is_some() || entry.source == EntrySource::Reversal {
            return Err(FinanceError::AlreadyReversed(entry.id));
        }
        let reason = text("reason", reason, 150)?;
        Ok(NewEntry {
            currency: entry.currency,
            memo: format!("Reversal of entry {}: {reason}", entry.id),
            source: EntrySource::Reversal,
            links: EntryLinks {
                event_id: None,
                ..entry.links
            },
            reverses: Some(entry.id),
            lines: entry
                .lines
                .iter()
                .map(|l| Line {
                    account: l.account,
                    debit: l.credit,
                    credit: l.debit,
                })
                .collect(),
        })
    }
}

/// One line of a manual entry as entered: an account number and either a debit or a credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualLine {
    pub account: String,
    pub debit: Option<crate::types::Money>,
    pub credit: Option<crate::types::Money>,
}

/// Accounts a manual entry may not touch: the ledger keeps them per order (receivables,
/// prepayments: ageing and customer balances) or per spool (inventory = Σ spools at lot cost),
/// and only the postings from business events keep those in step.
pub const NOT_MANUAL: [Account; 3] = [Account::Receivables, Account::Inventory, Account::Prepayments];

/// A manual entry from what an accountant entered (e.g. paying a supplier: Dr Payables / Cr
/// Cash). Refuses, in this order: no lines or only zero amounts (`FINANCE_ZERO_ENTRY`), an
/// unknown account (`FINANCE_UNKNOWN_ACCOUNT`), an account kept by the postings
/// ([`NOT_MANUAL`], `FINANCE_ACCOUNT_NOT_MANUAL`), a line with both or neither of debit and credit
/// or an amount not above zero (`FINANCE_INVALID_AMOUNT`), lines in different currencies
/// (`FINANCE_CURRENCY_MISMATCH`), then what [`NewEntry::validate`] refuses (a blank memo,
/// `FINANCE_UNBALANCED`, fewer than two lines).
pub fn manual_entry(memo: &str, lines: &[ManualLine]) -> Result<NewEntry, FinanceError> {
    let amount = |l: &ManualLine| l.debit.or(l.credit).map_or(0, |m| m.minor);
    if lines.iter().all(|l| amount(l) == 0) {
        return Err(FinanceError::ZeroEntry);
    }
    let mut currency: Option<Currency> = None;
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let account = Account::parse(&l.account)?;
        if NOT_MANUAL.contains(&account) {
            return Err(FinanceError::AccountNotManual(account.code()));
        }
        let (money, debit) = match (l.debit, l.credit) {
            (Some(m), None) => (m, true),
            (None, Some(m)) => (m, false),
            (d, c) => {
                return Err(FinanceError::InvalidAmount {
                    field: "line",
                    amount: d.or(c).map_or(0, |m| m.minor),
                    reason: "give either a debit or a credit",
                });
            }
        };
        if money.minor <= 0 {
            return Err(FinanceError::InvalidAmount {
                field: if debit { "debit" } else { "credit" },
                amount: money.minor,
                reason: "must be above zero",
            });
        }
        match currency {
            None => currency = Some(money.currency),
            Some(c) => same_currency(c, money.currency)?,
        }
        out.push(if debit {
            Line::debit(account, money.minor)
        } else {
            Line::credit(account, money.minor)
        });
    }
    let entry = NewEntry {
        lines: out,
        ..NewEntry::new(
            currency.unwrap_or(Currency::EUR),
            EntrySource::Manual,
            memo.trim(),
        )
    };
    entry.validate()?;
    Ok(entry)
}

/// A posted (immutable) entry as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostedEntry {
    pub id: i64,
    pub posted_at: DateTime<Utc>,
    /// The month it counts in, `YYYY-MM` (UTC).
    pub period: String,
    pub currency: Currency,
    pub total_minor: i64,
    pub memo: String,
    pub source: EntrySource,
    pub links: EntryLinks,
    pub reverses: Option<i64>,
    pub reversed_by: Option<i64>,
    pub created_by: Option<i64>,
    pub lines: Vec<Line>,
}

/// The accounting month of an instant, `YYYY-MM` (UTC).
pub fn period_of(t: DateTime<Utc>) -> String {
    format!("{:04}-{:02}", t.year(), t.month())
}

/// Checks that amounts share one currency.
pub fn same_currency(expected: Currency, found: Currency) -> Result<(), FinanceError> {
    if expected == found {
        Ok(())
    } else {
        Err(FinanceError::CurrencyMismatch {
            expected: expected.to_string(),
            found: found.to_string(),
        })
    }
}

/// The balance of one account in one currency (debits − credits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountBalance {
    pub account: Account,
    pub currency: Currency,
    pub debits: i64,
    pub credits: i64,
}

impl AccountBalance {
    /// Debits − credits.
    pub fn net(&self) -> i64 {
        self.debits - self.credits
    }

    /// The balance with the account's normal sign (assets and expenses: debit positive).
    pub fn natural(&self) -> i64 {
        if self.account.kind().debit_normal() {
            self.net()
        } else {
            -self.net()
        }
    }
}

/// Whether a trial balance is zero in every currency (Σ debits = Σ credits).
pub fn trial_balance_is_zero(balances: &[AccountBalance]) -> bool {
    let mut per: std::collections::BTreeMap<Currency, i64> = Default::default();
    for b in balances {
        *per.entry(b.currency).or_default() += b.net();
    }
    per.values().all(|v| *v == 0)
}
