//! The farm's weekly operator shifts. Translation only: the rules are in
//! `gantry_app::equipment` and `domain::equipment::shifts`.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use gantry_app::equipment;
use gantry_app::{Db, now};
use gantry_engine::domain::equipment::WeeklyShift;
use gantry_engine::domain::users::Permission;

use super::app_error;
use super::principal::{PermissionGuard, caller};

/// One shift of the farm's weekly timetable, in UTC: people are on the floor to load spools
/// and clear plates. The planner starts jobs only inside a shift; a job that ends outside one
/// keeps its printer until the next shift begins.
#[derive(SimpleObject, Debug, Clone)]
pub struct OperatorShift {
    /// 0 = Monday … 6 = Sunday: the day the shift starts.
    pub weekday: i64,
    /// Minute of the day it starts (0–1439, UTC).
    pub start_minute: i64,
    /// Minute of the day it ends (1–1440); at or before `startMinute`: the next day.
    pub end_minute: i64,
}

/// One shift to set (see `OperatorShift`).
#[derive(InputObject, Debug, Clone)]
pub struct OperatorShiftInput {
    pub weekday: i64,
    pub start_minute: i64,
    pub end_minute: i64,
}

impl From<WeeklyShift> for OperatorShift {
    fn from(s: WeeklyShift) -> Self {
        OperatorShift {
            weekday: i64::from(s.weekday),
            start_minute: s.start_minute,
            end_minute: s.end_minute,
        }
    }
}

#[derive(Default)]
pub struct ShiftsQuery;

#[Object]
impl ShiftsQuery {
    /// The farm's weekly operator shifts (UTC), Monday first. Empty: always staffed.
    #[graphql(guard = "PermissionGuard(Permission::EquipmentRead)")]
    async fn operator_shifts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OperatorShift>> {
        let all = equipment::operator_shifts(ctx.data::<Db>()?)
            .await
            .map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }
}

#[derive(Default)]
pub struct ShiftsMutation;

#[Object]
impl ShiftsMutation {
    /// Replaces the farm's weekly operator shifts (an empty list: always staffed); event
    /// `shifts.changed`, which re-plans. Refused with `EQUIPMENT_INVALID_FIELD` naming the
    /// field (weekday 0–6, start 0–1439, end 1–1440 and not equal to the start, at most 70
    /// shifts, none overlapping another); nothing is written then.
    #[graphql(guard = "PermissionGuard(Permission::ProductionPlan)")]
    async fn set_operator_shifts(
        &self,
        ctx: &Context<'_>,
        shifts: Vec<OperatorShiftInput>,
    ) -> async_graphql::Result<Vec<OperatorShift>> {
        let input: Vec<(i64, i64, i64)> = shifts
            .iter()
            .map(|s| (s.weekday, s.start_minute, s.end_minute))
            .collect();
        let saved = equipment::set_operator_shifts(ctx.data::<Db>()?, &caller(ctx)?, now(), &input)
            .await
            .map_err(app_error)?;
        Ok(saved.into_iter().map(Into::into).collect())
    }
}
