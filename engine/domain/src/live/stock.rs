//! Material: jobs held for want of stock, and the grams a stopped print used.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::types::{JobId, MaterialId};

/// The need of one candidate job for the stock check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockNeed {
    pub job: JobId,
    pub material_id: MaterialId,
    pub material_code: String,
    pub grams: i64,
    pub priority: i64,
    pub due_at: Option<DateTime<Utc>>,
}

/// Which jobs are held because their material is not in stock, with the reason. `available`
/// is, per material, the stock the candidates may use (on hand minus what other jobs hold).
/// Candidates are served highest priority first, then earliest due date, then lowest id;
/// a job that does not fit is held (a smaller later one may still fit).
pub fn hold_for_stock(needs: &[StockNeed], available: &BTreeMap<MaterialId, i64>) -> Vec<(JobId, String)> {
    let mut order: Vec<&StockNeed> = needs.iter().collect();
    order.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(a.due_at.is_none().cmp(&b.due_at.is_none()))
            .then(a.due_at.cmp(&b.due_at))
            .then(a.job.cmp(&b.job))
    });
    let mut left = available.clone();
    let mut held = Vec::new();
    for n in order {
        let avail = left.entry(n.material_id).or_insert(0);
        if n.grams <= *avail {
            *avail -= n.grams;
        } else {
            held.push((
                n.job,
                format!(
                    "material {} not in stock: needs {} g, {} g available",
                    n.material_code,
                    n.grams,
                    (*avail).max(0)
                ),
            ));
        }
    }
    held.sort();
    held
}

/// Grams used by a print that stopped at `progress_pct` of a job of `grams` (rounded up;
/// 0 % uses nothing).
pub fn partial_grams(grams: i64, progress_pct: i64) -> i64 {
    let pct = progress_pct.clamp(0, 100);
    (grams.max(0).saturating_mul(pct) + 99) / 100
}
