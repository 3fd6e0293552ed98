//! Batch reads by id set, for the GraphQL data loaders (one statement per batch instead of one
//! per row). `WHERE id IN ($1, $2, …)` is built from numbered placeholders only, so the SQL text
//! never contains a value; large batches are split into chunks of [`CHUNK`] ids.

use std::collections::HashMap;

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{StoreError, StoreResult, col, flag};
use crate::domain::catalog::{Product, ProductionSpec, RatingSummary};
use crate::domain::orders::OrderLine;
use crate::domain::production::{Job, JobState};
use crate::domain::types::{
    CategoryId, Currency, CustomerId, JobId, MaterialId, Money, OrderId, OrderLineId, PrinterId, ProductId,
    Quantity, from_millis,
};
use crate::domain::users::Customer;

/// Most ids bound in one statement.
pub const CHUNK: usize = 500;

/// `$first, $first+1, …` for `n` values.
pub fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($1, …, $width), ($width+1, …), …` for `n` rows: a multi-row `VALUES` list (its columns
/// are `column1…column{width}` on both databases when used as a table).
pub fn value_rows(n: usize, width: usize) -> String {
    (0..n)
        .map(|i| format!("({})", placeholders(1 + width * i, width)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn dedup(ids: &[i64]) -> Vec<i64> {
    let mut v = ids.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

pub(crate) async fn fetch_in(
    conn: &mut AnyConnection,
    sql_before: &str,
    sql_after: &str,
    ids: &[i64],
) -> StoreResult<Vec<AnyRow>> {
    fetch_in_template(conn, &format!("{sql_before} {IDS} {sql_after}"), ids).await
}

/// The id list's place in a [`fetch_in_template`] statement.
const IDS: &str = "(:ids)";

/// Runs `template` with every [`IDS`] replaced by the same numbered placeholders (`($1, …, $n)`),
/// once per chunk of ids. Naming the list twice lets a join filter both sides by it: PostgreSQL
/// does not carry an `IN` list across a join condition, and without it plans a join of a page's
/// lines with their orders as a scan of every order.
async fn fetch_in_template(
    conn: &mut AnyConnection,
    template: &str,
    ids: &[i64],
) -> StoreResult<Vec<AnyRow>> {
    let mut rows = Vec::new();
    for chunk in dedup(ids).chunks(CHUNK) {
        let sql = template.replace(IDS, &format!("({})", placeholders(1, chunk.len())));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        rows.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(rows)
}

fn currency(row: &AnyRow, table: &'static str) -> StoreResult<Currency> {
    let s: String = col(row, table, "currency")?;
    Currency::parse(&s).map_err(|e| StoreError::corrupt(table, e))
}

/// Customers by id (missing ids are absent from the map).
pub async fn customers_by_ids(
    conn: &mut AnyConnection,
    ids: &[CustomerId],
) -> StoreResult<HashMap<CustomerId, Customer>> {
    const T: &str = "customers";
    let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
    let rows = fetch_in(
        conn,
        "SELECT id, name, email, company, created_at FROM customers WHERE id IN",
        "",
        &ids,
    )
    .await?;
    let mut out = HashMap::new();
    for row in &rows {
        let c = Customer {
            id: CustomerId(col(row, T, "id")?),
            name: col(row, T, "name")?,
            email: col(row, T, "email")?,
            company: col(row, T, "company")?,
            created_at: from_millis(col(row, T, "created_at")?),
        };
        out.insert(c.id, c);
    }
    Ok(out)
}

/// Products by id (missing ids are absent from the map).
pub async fn products_by_ids(
    conn: &mut AnyConnection,
    ids: &[ProductId],
) -> StoreResult<HashMap<ProductId, Product>> {
    const T: &str = "products";
    let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
    let rows = fetch_in(
        conn,
        "SELECT id, sku, name, description, category_id, model_ref, default_material_id, price_minor, currency, \
         grams_per_unit, print_minutes_per_unit, copies_per_plate, active, created_at, updated_at \
         FROM products WHERE id IN",
        "",
        &ids,
    )
    .await?;
    let mut out = HashMap::new();
    for row in &rows {
        let p = Product {
            id: ProductId(col(row, T, "id")?),
            sku: col(row, T, "sku")?,
            name: col(row, T, "name")?,
            description: col(row, T, "description")?,
            category_id: col::<Option<i64>>(row, T, "category_id")?.map(CategoryId),
            model_ref: col(row, T, "model_ref")?,
            default_material_id: MaterialId(col(row, T, "default_material_id")?),
            price: Money::new(col(row, T, "price_minor")?, currency(row, T)?),
            production: ProductionSpec {
                grams_per_unit: col(row, T, "grams_per_unit")?,
                print_minutes_per_unit: col(row, T, "print_minutes_per_unit")?,
                copies_per_plate: col(row, T, "copies_per_plate")?,
            },
            active: flag(row, T, "active")?,
            created_at: from_millis(col(row, T, "created_at")?),
            updated_at: from_millis(col(row, T, "updated_at")?),
        };
        out.insert(p.id, p);
    }
    Ok(out)
}

/// The lines of several orders, each list by line number; orders without lines map to an
/// empty list.
pub async fn lines_by_order_ids(
    conn: &mut AnyConnection,
    ids: &[OrderId],
) -> StoreResult<HashMap<OrderId, Vec<OrderLine>>> {
    const T: &str = "order_lines";
    let raw: Vec<i64> = ids.iter().map(|i| i.0).collect();
    let rows = fetch_in_template(
        conn,
        "SELECT l.id, l.order_id, l.line_no, l.product_id, l.model_ref, l.description, l.material_id, l.colour, \
         l.quantity, l.unit_price_minor, l.grams_per_unit, l.print_minutes_per_unit, l.copies_per_plate, \
         l.printed_count, l.failed_count, o.currency FROM order_lines l JOIN orders o ON o.id = l.order_id \
         WHERE l.order_id IN (:ids) AND o.id IN (:ids) ORDER BY l.order_id, l.line_no",
        &raw,
    )
    .await?;
    let mut out: HashMap<OrderId, Vec<OrderLine>> = ids.iter().map(|i| (*i, Vec::new())).collect();
    for row in &rows {
        let quantity: i64 = col(row, T, "quantity")?;
        let line = OrderLine {
            id: OrderLineId(col(row, T, "id")?),
            order_id: OrderId(col(row, T, "order_id")?),
            line_no: col(row, T, "line_no")?,
            product_id: col::<Option<i64>>(row, T, "product_id")?.map(ProductId),
            model_ref: col(row, T, "model_ref")?,
            description: col(row, T, "description")?,
            material_id: MaterialId(col(row, T, "material_id")?),
            colour: col(row, T, "colour")?,
            quantity: Quantity::new(quantity).map_err(|e| StoreError::corrupt(T, e))?,
            unit_price: Money::new(col(row, T, "unit_price_minor")?, currency(row, T)?),
            production: ProductionSpec {
                grams_per_unit: col(row, T, "grams_per_unit")?,
                print_minutes_per_unit: col(row, T, "print_minutes_per_unit")?,
                copies_per_plate: col(row, T, "copies_per_plate")?,
            },
            printed_count: col(row, T, "printed_count")?,
            failed_count: col(row, T, "failed_count")?,
        };
        out.entry(line.order_id).or_default().push(line);
    }
    Ok(out)
}

/// The jobs of several orders, each list by job id; orders without jobs map to an empty list.
pub async fn jobs_by_order_ids(
    conn: &mut AnyConnection,
    ids: &[OrderId],
) -> StoreResult<HashMap<OrderId, Vec<Job>>> {
    const T: &str = "jobs";
    let raw: Vec<i64> = ids.iter().map(|i| i.0).collect();
    let rows = fetch_in(
        conn,
        "SELECT id, order_id, order_line_id, plate_no, attempt, retry_of, copies, material_id, grams, est_minutes, \
         state, printer_id, priority, due_at, planned_start, started_at, finished_at, progress_pct, failure_reason, \
         created_at, updated_at FROM jobs WHERE order_id IN",
        "ORDER BY order_id, id",
        &raw,
    )
    .await?;
    let mut out: HashMap<OrderId, Vec<Job>> = ids.iter().map(|i| (*i, Vec::new())).collect();
    for row in &rows {
        let time = |name: &str| -> StoreResult<Option<chrono::DateTime<chrono::Utc>>> {
            Ok(col::<Option<i64>>(row, T, name)?.map(from_millis))
        };
        let state: String = col(row, T, "state")?;
        let job = Job {
            id: JobId(col(row, T, "id")?),
            order_id: OrderId(col(row, T, "order_id")?),
            order_line_id: OrderLineId(col(row, T, "order_line_id")?),
            plate_no: col(row, T, "plate_no")?,
            attempt: col(row, T, "attempt")?,
            retry_of: col::<Option<i64>>(row, T, "retry_of")?.map(JobId),
            copies: col(row, T, "copies")?,
            material_id: MaterialId(col(row, T, "material_id")?),
            grams: col(row, T, "grams")?,
            est_minutes: col(row, T, "est_minutes")?,
            state: JobState::parse(&state)
                .ok_or_else(|| StoreError::corrupt(T, format!("unknown job state {state:?}")))?,
            printer_id: col::<Option<i64>>(row, T, "printer_id")?.map(PrinterId),
            priority: col(row, T, "priority")?,
            due_at: time("due_at")?,
            planned_start: time("planned_start")?,
            started_at: time("started_at")?,
            finished_at: time("finished_at")?,
            progress_pct: col(row, T, "progress_pct")?,
            failure_reason: col(row, T, "failure_reason")?,
            created_at: from_millis(col(row, T, "created_at")?),
            updated_at: from_millis(col(row, T, "updated_at")?),
        };
        out.entry(job.order_id).or_default().push(job);
    }
    Ok(out)
}

/// Review counts and averages of several products (products without reviews: count 0).
pub async fn ratings_by_product_ids(
    conn: &mut AnyConnection,
    ids: &[ProductId],
) -> StoreResult<HashMap<ProductId, RatingSummary>> {
    let raw: Vec<i64> = ids.iter().map(|i| i.0).collect();
    let rows = fetch_in(
        conn,
        "SELECT product_id, COUNT(*) AS n, COALESCE(CAST(SUM(rating) AS BIGINT), 0) AS total FROM reviews \
         WHERE product_id IN",
        "GROUP BY product_id",
        &raw,
    )
    .await?;
    let mut out: HashMap<ProductId, RatingSummary> = ids
        .iter()
        .map(|i| (*i, RatingSummary::from_totals(*i, 0, 0)))
        .collect();
    for row in &rows {
        let id = ProductId(col(row, "reviews", "product_id")?);
        out.insert(
            id,
            RatingSummary::from_totals(id, col(row, "reviews", "n")?, col(row, "reviews", "total")?),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered() {
        assert_eq!(super::placeholders(1, 3), "$1, $2, $3");
        assert_eq!(super::placeholders(4, 1), "$4");
    }
}
