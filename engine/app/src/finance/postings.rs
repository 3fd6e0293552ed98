//! What each business event posts to the ledger (one transaction per event, with its
//! `finance_postings` row): payments (`payment.recorded`, and the part of a `paid` order no
//! recorded payment covers), invoices, credit notes and refunds, spools received at lot cost,
//! stock counts and scrap, and finished or failed jobs (material at its spools' lot cost,
//! machine and set-up time at the printer's hourly cost).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use gantry_engine::domain::events::{
    Event, InvoiceEvent, JobEvent, OrderEvent, PaymentEvent, StockAdjustedEvent,
};
use gantry_engine::domain::finance::{
    Account, EntryLinks, EntrySource, InvoiceKind, NewEntry, elapsed_minutes, machine_cost, movement_value,
    split_receipt, spool_value,
};
use gantry_engine::domain::inventory::MovementKind;
use gantry_engine::domain::orders::OrderStatus;
use gantry_engine::domain::production::{JobState, job_key};
use gantry_engine::domain::types::{Currency, JobId, OrderId};
use gantry_engine::store::finance::{self as ledger, SpoolValue, invoices, payments};
use gantry_engine::store::{StoreResult, Tx, equipment, inventory, orders, production};

use super::FinanceSettings;

/// Whether finance posts anything for this event (others are not recorded).
pub fn concerns(event: &Event) -> bool {
    match event {
        Event::Order(e) => matches!(e.to, OrderStatus::Paid | OrderStatus::Refunded) && e.from.is_some(),
        Event::Job(e) => matches!(e.to, JobState::Done | JobState::Failed) && e.from.is_some(),
        Event::SpoolReceived(_) | Event::StockAdjusted(_) | Event::Invoice(_) => true,
        Event::Payment(e) => e.held_reason.is_none() && e.order_id.is_some(),
        _ => false,
    }
}

/// Posts what `event` (outbox id `event_id`) means for the ledger; returns the entries posted.
pub async fn post_event(
    tx: &mut Tx,
    now: DateTime<Utc>,
    event_id: i64,
    event: &Event,
    settings: &FinanceSettings,
) -> StoreResult<Vec<i64>> {
    let entries = match event {
        Event::Order(e) if e.to == OrderStatus::Paid => payment(tx, now, e, settings).await?,
        Event::Order(e) if e.to == OrderStatus::Refunded => refund(tx, now, e).await?,
        Event::Invoice(e) => invoice(tx, now, e).await?,
        Event::Payment(e) => recorded_payment(tx, e).await?,
        Event::SpoolReceived(e) => {
            ensure_valued(tx, now, e.spool_id).await?;
            Vec::new()
        }
        Event::StockAdjusted(e) => adjustment(tx, now, e).await?,
        Event::Job(e) if matches!(e.to, JobState::Done | JobState::Failed) => {
            job(tx, now, e, settings).await?
        }
        _ => Vec::new(),
    };
    let mut ids = Vec::with_capacity(entries.len());
    for mut entry in entries {
        entry.links.event_id = Some(event_id);
        ids.push(ledger::post(tx, now, &entry, None).await?);
    }
    Ok(ids)
}

fn currency(s: &str) -> StoreResult<Currency> {
    Currency::parse(s).map_err(|e| gantry_engine::store::StoreError::corrupt("events", e))
}

/// Cash received for `order`: against its open receivable first, the rest a prepayment
/// (cleared by the invoice). Nothing for an amount not above zero.
async fn receipt(
    tx: &mut Tx,
    order: i64,
    currency: Currency,
    amount: i64,
    memo: String,
) -> StoreResult<Vec<NewEntry>> {
    if amount <= 0 {
        return Ok(Vec::new());
    }
    let open = ledger::order_account_net(tx, order, Account::Receivables).await?;
    let (to_receivable, to_prepayment) = split_receipt(amount, open);
    Ok(vec![
        NewEntry::new(currency, EntrySource::Payment, memo)
            .dr(Account::Cash, amount)
            .cr(Account::Receivables, to_receivable)
            .cr(Account::Prepayments, to_prepayment)
            .links(EntryLinks {
                order_id: Some(order),
                ..EntryLinks::default()
            }),
    ])
}

/// An order became paid. With `issue_on_payment` its invoice is issued first (in this
/// transaction). The cash comes from its recorded payments (`payment.recorded`, posted on
/// their own); what they do not cover (an order marked paid by hand) is received here.
async fn payment(
    tx: &mut Tx,
    now: DateTime<Utc>,
    e: &OrderEvent,
    settings: &FinanceSettings,
) -> StoreResult<Vec<NewEntry>> {
    let order = orders::get_order(tx, OrderId(e.order_id)).await?;
    let invoiced = invoices::for_order(tx, e.order_id, InvoiceKind::Invoice)
        .await?
        .is_some();
    if settings.issue_on_payment
        && !invoiced
        && order.total.minor > 0
        && order.status != OrderStatus::Refunded
    {
        invoices::issue_invoice(tx, now, e.order_id, settings.default_tax_bp).await?;
    }
    let recorded = payments::paid_for_order(tx, e.order_id).await?;
    receipt(
        tx,
        e.order_id,
        order.total.currency,
        order.total.minor - recorded,
        format!("Payment of order {}", order.id),
    )
    .await
}

/// A payment recorded against an order (a provider's or one by hand).
async fn recorded_payment(tx: &mut Tx, e: &PaymentEvent) -> StoreResult<Vec<NewEntry>> {
    let Some(order) = e.order_id else {
        return Ok(Vec::new());
    };
    // The memo stays within its 200 characters whatever the provider's reference.
    let reference: String = e.reference.chars().filter(|c| !c.is_control()).take(80).collect();
    let provider: String = e.provider.chars().filter(|c| !c.is_control()).take(20).collect();
    receipt(
        tx,
        order,
        currency(&e.currency)?,
        e.amount_minor,
        format!(
            "Payment {} ({provider} {reference}) of order {order}",
            e.payment_id
        ),
    )
    .await
}

/// Refund of a paid order: the invoice is credited in full (a credit note, if invoiced) and
/// the cash goes back (against the receivable, or the prepayment if never invoiced).
async fn refund(tx: &mut Tx, now: DateTime<Utc>, e: &OrderEvent) -> StoreResult<Vec<NewEntry>> {
    let order = orders::get_order(tx, OrderId(e.order_id)).await?;
    let invoiced = invoices::for_order(tx, e.order_id, InvoiceKind::Invoice)
        .await?
        .is_some();
    if invoiced
        && invoices::for_order(tx, e.order_id, InvoiceKind::CreditNote)
            .await?
            .is_none()
    {
        invoices::issue_credit_note(tx, now, e.order_id).await?;
    }
    let against = if invoiced {
        Account::Receivables
    } else {
        Account::Prepayments
    };
    let entry = NewEntry::new(
        order.total.currency,
        EntrySource::Refund,
        format!("Refund of order {}", order.id),
    )
    .dr(against, order.total.minor)
    .cr(Account::Cash, order.total.minor)
    .links(EntryLinks {
        order_id: Some(e.order_id),
        ..EntryLinks::default()
    });
    Ok(if order.total.minor > 0 {
        vec![entry]
    } else {
        Vec::new()
    })
}

/// An invoice: receivable (less what was prepaid) / revenue and tax. A credit note: the
/// reverse, against the receivable.
async fn invoice(tx: &mut Tx, _now: DateTime<Utc>, e: &InvoiceEvent) -> StoreResult<Vec<NewEntry>> {
    let inv = invoices::get_invoice(tx, e.invoice_id).await?;
    let cur = currency(&inv.currency)?;
    let links = EntryLinks {
        order_id: Some(inv.order_id),
        invoice_id: Some(inv.id),
        ..EntryLinks::default()
    };
    let entry = match inv.kind {
        InvoiceKind::Invoice => {
            let prepaid = (-ledger::order_account_net(tx, inv.order_id, Account::Prepayments).await?)
                .clamp(0, inv.total_minor);
            NewEntry::new(cur, EntrySource::Invoice, format!("Invoice {}", inv.number))
                .dr(Account::Prepayments, prepaid)
                .dr(Account::Receivables, inv.total_minor - prepaid)
                .cr(Account::Revenue, inv.net_minor)
                .cr(Account::TaxPayable, inv.tax_minor)
        }
        InvoiceKind::CreditNote => NewEntry::new(
            cur,
            EntrySource::CreditNote,
            format!("Credit note {}", inv.number),
        )
        .dr(Account::Revenue, inv.net_minor)
        .dr(Account::TaxPayable, inv.tax_minor)
        .cr(Account::Receivables, inv.total_minor),
    };
    Ok(vec![entry.links(links)])
}

/// The ledger's record of a spool, created on first use: the receipt is posted then at the
/// spool's lot cost (inventory / payables, or cash when it was paid on receipt), so a spool is valued once whichever of its events
/// comes first.
async fn ensure_valued(tx: &mut Tx, now: DateTime<Utc>, spool: i64) -> StoreResult<SpoolValue> {
    if let Some(v) = ledger::spool_value(tx, spool).await? {
        return Ok(v);
    }
    let lot = ledger::spool_lot(tx, spool).await?;
    let (cost, cur, initial) = (lot.cost_per_kg_minor, lot.currency, lot.initial_grams);
    let v = SpoolValue {
        spool_id: spool,
        cost_per_kg_minor: cost,
        currency: cur,
        grams: initial,
        value_minor: spool_value(initial, cost),
    };
    if v.value_minor > 0 {
        let (paid_from, how) = if lot.paid_in_cash {
            (Account::Cash, "paid in cash")
        } else {
            (Account::Payables, "on account")
        };
        let entry = NewEntry::new(
            cur,
            EntrySource::SpoolReceipt,
            format!("Spool {spool} received ({initial} g, {how})"),
        )
        .dr(Account::Inventory, v.value_minor)
        .cr(paid_from, v.value_minor);
        ledger::post(tx, now, &entry, None).await?;
    }
    ledger::put_spool_value(tx, &v).await?;
    Ok(v)
}

/// Moves a spool's ledger record by `delta` grams; returns the change of its value.
async fn move_spool(tx: &mut Tx, now: DateTime<Utc>, spool: i64, delta: i64) -> StoreResult<(Currency, i64)> {
    let v = ensure_valued(tx, now, spool).await?;
    let after = v.grams + delta;
    let change = movement_value(v.grams, after, v.cost_per_kg_minor);
    ledger::put_spool_value(
        tx,
        &SpoolValue {
            grams: after,
            value_minor: v.value_minor + change,
            ..v.clone()
        },
    )
    .await?;
    Ok((v.currency, change))
}

/// A stock count (inventory ± materials expense) or scrapped grams (scrap / inventory).
async fn adjustment(tx: &mut Tx, now: DateTime<Utc>, e: &StockAdjustedEvent) -> StoreResult<Vec<NewEntry>> {
    let (cur, change) = move_spool(tx, now, e.spool_id, e.grams).await?;
    let expense = if e.kind == MovementKind::Scrap.as_str() {
        Account::Scrap
    } else {
        Account::MaterialsExpense
    };
    let entry = NewEntry::new(
        cur,
        EntrySource::StockAdjustment,
        format!("Spool {} {} ({:+} g)", e.spool_id, e.kind, e.grams),
    )
    .signed(Account::Inventory, change)
    .signed(expense, -change);
    Ok(if change != 0 { vec![entry] } else { Vec::new() })
}

/// A finished (cost of goods) or failed (scrap) job: its material at its spools' lot cost
/// out of inventory, its machine time and its set-up ([`FinanceSettings::setup_minutes`]) at the
/// printer's hourly cost.
async fn job(
    tx: &mut Tx,
    now: DateTime<Utc>,
    e: &JobEvent,
    settings: &FinanceSettings,
) -> StoreResult<Vec<NewEntry>> {
    let job = production::get_job(tx, JobId(e.job_id)).await?;
    let expense = if e.to == JobState::Done {
        Account::CostOfGoodsSold
    } else {
        Account::Scrap
    };
    let mut material: BTreeMap<Currency, i64> = BTreeMap::new();
    for m in inventory::movements_for_job(tx, &job_key(job.id)).await? {
        let Some(spool) = m.spool_id else { continue };
        if m.kind != MovementKind::Consumption {
            continue;
        }
        let (cur, change) = move_spool(tx, now, spool.0, m.grams).await?;
        *material.entry(cur).or_default() -= change;
    }
    // (currency, printing minutes, printing cost, set-up cost)
    let mut machine: Option<(Currency, i64, i64, i64)> = None;
    if let Some(p) = job
        .printer_id
        .or(e.printer_id.map(gantry_engine::domain::types::PrinterId))
    {
        let printer = equipment::get_printer(tx, p).await?;
        let minutes = match (job.started_at, job.finished_at) {
            (Some(s), Some(f)) => elapsed_minutes(s.timestamp_millis(), f.timestamp_millis()),
            _ => 0,
        };
        let minutes = if minutes == 0 && e.to == JobState::Done {
            job.est_minutes
        } else {
            minutes
        };
        machine = Some((
            printer.hourly_cost.currency,
            minutes,
            machine_cost(minutes, printer.hourly_cost.minor),
            machine_cost(settings.setup_minutes, printer.hourly_cost.minor),
        ));
    }
    let mut currencies: Vec<Currency> = material.keys().copied().collect();
    if let Some((c, _, _, _)) = machine
        && !currencies.contains(&c)
    {
        currencies.push(c);
    }
    let what = if e.to == JobState::Done {
        "finished"
    } else {
        "failed"
    };
    let mut out = Vec::new();
    for cur in currencies {
        let mat = material.get(&cur).copied().unwrap_or(0);
        let mach = machine.filter(|(c, _, _, _)| *c == cur);
        let memo = match mach {
            Some((_, minutes, _, setup)) if setup > 0 => format!(
                "Job {} {what} (attempt {}, {minutes} min + {} min set-up)",
                job.id, job.attempt, settings.setup_minutes
            ),
            Some((_, minutes, _, _)) => {
                format!("Job {} {what} (attempt {}, {minutes} min)", job.id, job.attempt)
            }
            None => format!("Job {} {what} (attempt {})", job.id, job.attempt),
        };
        let (cost, setup) = mach.map_or((0, 0), |(_, _, c, s)| (c, s));
        let entry = NewEntry::new(cur, EntrySource::Job, memo)
            .signed(expense, mat)
            .signed(Account::Inventory, -mat)
            .dr(Account::MachineCost, cost)
            .dr(Account::Setup, setup)
            .cr(Account::AccruedMachineCosts, cost + setup)
            .links(EntryLinks {
                order_id: Some(job.order_id.0),
                job_id: Some(job.id.0),
                ..EntryLinks::default()
            });
        if !entry.lines.is_empty() {
            out.push(entry);
        }
    }
    Ok(out)
}
