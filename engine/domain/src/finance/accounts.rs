//! The chart of accounts: a fixed list, seeded by the migration (`finance_accounts`).

use serde::{Deserialize, Serialize};

use super::FinanceError;

/// What an account records; decides the sign of its balance in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Asset,
    Liability,
    Revenue,
    Expense,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Asset => "asset",
            AccountKind::Liability => "liability",
            AccountKind::Revenue => "revenue",
            AccountKind::Expense => "expense",
        }
    }

    /// Whether a debit increases the balance (assets and expenses).
    pub fn debit_normal(self) -> bool {
        matches!(self, AccountKind::Asset | AccountKind::Expense)
    }
}

/// One account of the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Account {
    /// 1000 Cash and bank.
    Cash,
    /// 1100 Accounts receivable (invoiced, not yet paid).
    Receivables,
    /// 1200 Inventory (spools at lot cost).
    Inventory,
    /// 2000 Accounts payable (spools received, expenses on account).
    Payables,
    /// 2100 Customer prepayments (paid, not yet invoiced).
    Prepayments,
    /// 2200 Tax payable (output tax on invoices).
    TaxPayable,
    /// 2300 Accrued machine costs (depreciation and energy absorbed by machine time).
    AccruedMachineCosts,
    /// 4000 Revenue.
    Revenue,
    /// 5000 Cost of goods sold (material of finished plates).
    CostOfGoodsSold,
    /// 5100 Materials expense (stock adjustments, bought materials).
    MaterialsExpense,
    /// 5200 Machine cost (machine time at the printer's hourly cost).
    MachineCost,
    /// 5210 Set-up cost (each plate attempt's set-up time at the printer's hourly cost).
    Setup,
    /// 5300 Scrap (material of failed plates, scrapped spools).
    Scrap,
    /// 5900 Other expenses (manual expenses).
    OtherExpenses,
}

impl Account {
    /// Every account, in chart order.
    pub const ALL: [Account; 14] = [
        Account::Cash,
        Account::Receivables,
        Account::Inventory,
        Account::Payables,
        Account::Prepayments,
        Account::TaxPayable,
        Account::AccruedMachineCosts,
        Account::Revenue,
        Account::CostOfGoodsSold,
        Account::MaterialsExpense,
        Account::MachineCost,
        Account::Setup,
        Account::Scrap,
        Account::OtherExpenses,
    ];

    /// The account's number (stable; the key in SQL).
    pub fn code(self) -> &'static str {
        match self {
            Account::Cash => "1000",
            Account::Receivables => "1100",
            Account::Inventory => "1200",
            Account::Payables => "2000",
            Account::Prepayments => "2100",
            Account::TaxPayable => "2200",
            Account::AccruedMachineCosts => "2300",
            Account::Revenue => "4000",
            Account::CostOfGoodsSold => "5000",
            Account::MaterialsExpense => "5100",
            Account::MachineCost => "5200",
            Account::Setup => "5210",
            Account::Scrap => "5300",
            Account::OtherExpenses => "5900",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Account::Cash => "Cash and bank",
            Account::Receivables => "Accounts receivable",
            Account::Inventory => "Inventory",
            Account::Payables => "Accounts payable",
            Account::Prepayments => "Customer prepayments",
            Account::TaxPayable => "Tax payable",
            Account::AccruedMachineCosts => "Accrued machine costs",
            Account::Revenue => "Revenue",
            Account::CostOfGoodsSold => "Cost of goods sold",
            Account::MaterialsExpense => "Materials expense",
            Account::MachineCost => "Machine cost",
            Account::Setup => "Set-up cost",
            Account::Scrap => "Scrap",
            Account::OtherExpenses => "Other expenses",
        }
    }

    pub fn kind(self) -> AccountKind {
        match self.code().as_bytes().first() {
            Some(b'1') => AccountKind::Asset,
            Some(b'2') => AccountKind::Liability,
            Some(b'4') => AccountKind::Revenue,
            _ => AccountKind::Expense,
        }
    }

    /// Parses an account by its number.
    pub fn parse(code: &str) -> Result<Account, FinanceError> {
        Account::ALL
            .into_iter()
            .find(|a| a.code() == code.trim())
            .ok_or_else(|| FinanceError::UnknownAccount(code.to_string()))
    }
}

/// Categories of manual expenses (each posts to an expense account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpenseCategory {
    Materials,
    Energy,
    Maintenance,
    Rent,
    Shipping,
    Software,
    Other,
}

impl ExpenseCategory {
    pub const ALL: [ExpenseCategory; 7] = [
        ExpenseCategory::Materials,
        ExpenseCategory::Energy,
        ExpenseCategory::Maintenance,
        ExpenseCategory::Rent,
        ExpenseCategory::Shipping,
        ExpenseCategory::Software,
        ExpenseCategory::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExpenseCategory::Materials => "materials",
            ExpenseCategory::Energy => "energy",
            ExpenseCategory::Maintenance => "maintenance",
            ExpenseCategory::Rent => "rent",
            ExpenseCategory::Shipping => "shipping",
            ExpenseCategory::Software => "software",
            ExpenseCategory::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Result<ExpenseCategory, FinanceError> {
        ExpenseCategory::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| FinanceError::UnknownCategory(s.to_string()))
    }

    /// The expense account it posts to.
    pub fn account(self) -> Account {
        match self {
            ExpenseCategory::Materials => Account::MaterialsExpense,
            ExpenseCategory::Energy | ExpenseCategory::Maintenance => Account::MachineCost,
            _ => Account::OtherExpenses,
        }
    }
}
