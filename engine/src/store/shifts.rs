//! The farm's weekly operator shifts (`operator_shifts`).

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::{StoreResult, Tx, col};
use crate::domain::equipment::WeeklyShift;
use crate::domain::events::{Event, ShiftPayload, ShiftsChangedEvent};
use crate::domain::types::UserId;

/// The weekly timetable, Monday first (empty: always staffed).
pub async fn operator_shifts(conn: &mut AnyConnection) -> StoreResult<Vec<WeeklyShift>> {
    const T: &str = "operator_shifts";
    let rows = sqlx::query(
        "SELECT weekday, start_minute, end_minute FROM operator_shifts ORDER BY weekday, start_minute",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let weekday: i64 = col(row, T, "weekday")?;
            Ok(WeeklyShift {
                weekday: u8::try_from(weekday)
                    .map_err(|_| super::StoreError::corrupt(T, format!("weekday {weekday}")))?,
                start_minute: col(row, T, "start_minute")?,
                end_minute: col(row, T, "end_minute")?,
            })
        })
        .collect()
}

/// Replaces the whole timetable (already checked by `parse_timetable`) with a
/// `shifts.changed` event, which re-plans.
pub async fn replace_operator_shifts(
    tx: &mut Tx,
    now: DateTime<Utc>,
    shifts: &[WeeklyShift],
    by: Option<UserId>,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM operator_shifts")
        .execute(&mut **tx)
        .await?;
    for s in shifts {
        sqlx::query("INSERT INTO operator_shifts (weekday, start_minute, end_minute) VALUES ($1, $2, $3)")
            .bind(i64::from(s.weekday))
            .bind(s.start_minute)
            .bind(s.end_minute)
            .execute(&mut **tx)
            .await?;
    }
    let event = Event::ShiftsChanged(ShiftsChangedEvent {
        shifts: shifts
            .iter()
            .map(|s| ShiftPayload {
                weekday: i64::from(s.weekday),
                start_minute: s.start_minute,
                end_minute: s.end_minute,
            })
            .collect(),
        by_user_id: by.map(|u| u.0),
    });
    super::events::append(tx, now, &event).await?;
    Ok(())
}
