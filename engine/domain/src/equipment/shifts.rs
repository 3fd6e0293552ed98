//! Operator shifts: when people are on the floor to load spools, check beds and clear plates.
//!
//! The farm keeps a weekly timetable in UTC ([`WeeklyShift`]: a weekday and a start and end
//! minute of that day; an end at or before the start runs past midnight into the next day).
//! The planner turns it into staffed windows in minutes from the plan's start
//! ([`staffed_windows`]): a job may only start (load) inside a shift, and a job that ends when
//! nobody is there blocks its printer until the next shift begins. No shifts means always
//! staffed.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};

use super::EquipmentError;

/// Minutes in a day.
pub const DAY_MINUTES: i64 = 24 * 60;
/// At most this many shifts in the weekly timetable.
pub const MAX_SHIFTS: usize = 70;
/// How far ahead staffed windows are generated for a plan (a job that cannot start within
/// this many days is unscheduled with the reason).
pub const SHIFT_HORIZON_DAYS: i64 = 56;

/// One shift of the weekly timetable (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WeeklyShift {
    /// 0 = Monday … 6 = Sunday (the day the shift starts).
    pub weekday: u8,
    /// Minute of the day it starts (0–1439).
    pub start_minute: i64,
    /// Minute of the day it ends (1–1440); at or before `start_minute`: the next day.
    pub end_minute: i64,
}

impl WeeklyShift {
    /// Checks one shift (`index` names it in the error).
    pub fn parse(weekday: i64, start_minute: i64, end_minute: i64) -> Result<Self, EquipmentError> {
        let field = |f: &'static str, reason: &'static str| EquipmentError::InvalidField { field: f, reason };
        if !(0..=6).contains(&weekday) {
            return Err(field("shifts.weekday", "must be 0 (Monday) to 6 (Sunday)"));
        }
        if !(0..DAY_MINUTES).contains(&start_minute) {
            return Err(field("shifts.startMinute", "must be 0 to 1439"));
        }
        if !(1..=DAY_MINUTES).contains(&end_minute) {
            return Err(field("shifts.endMinute", "must be 1 to 1440"));
        }
        if end_minute == start_minute {
            return Err(field(
                "shifts.endMinute",
                "a shift must not start and end at the same minute",
            ));
        }
        Ok(WeeklyShift {
            weekday: weekday as u8,
            start_minute,
            end_minute,
        })
    }

    /// Its length in minutes (past midnight when it ends at or before its start).
    pub fn minutes(&self) -> i64 {
        if self.end_minute > self.start_minute {
            self.end_minute - self.start_minute
        } else {
            DAY_MINUTES - self.start_minute + self.end_minute
        }
    }

    /// Its start as minutes from the start of the week (Monday 00:00).
    fn week_start(&self) -> i64 {
        i64::from(self.weekday) * DAY_MINUTES + self.start_minute
    }
}

/// Checks a whole timetable: each shift valid, at most [`MAX_SHIFTS`], no two overlapping
/// (also across midnight and from Sunday into Monday). Returns it sorted.
pub fn parse_timetable(shifts: &[(i64, i64, i64)]) -> Result<Vec<WeeklyShift>, EquipmentError> {
    if shifts.len() > MAX_SHIFTS {
        return Err(EquipmentError::InvalidField {
            field: "shifts",
            reason: "at most 70 shifts a week",
        });
    }
    let mut out = shifts
        .iter()
        .map(|&(d, s, e)| WeeklyShift::parse(d, s, e))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort();
    const WEEK: i64 = 7 * DAY_MINUTES;
    for (i, a) in out.iter().enumerate() {
        for b in &out[i + 1..] {
            let (a0, b0) = (a.week_start(), b.week_start());
            // On the circular week, b starts inside a (or a inside b, wrapping to next week).
            let inside = |x0: i64, x: &WeeklyShift, y0: i64| (y0 - x0).rem_euclid(WEEK) < x.minutes();
            if inside(a0, a, b0) || inside(b0, b, a0) {
                return Err(EquipmentError::InvalidField {
                    field: "shifts",
                    reason: "two shifts overlap",
                });
            }
        }
    }
    Ok(out)
}

/// The staffed windows `[from, to]` (minutes from `now`, both ends included, as the solver
/// takes them) of the next [`SHIFT_HORIZON_DAYS`] days, in order and merged where they touch.
/// `None` when there are no shifts: always staffed.
pub fn staffed_windows(now: DateTime<Utc>, shifts: &[WeeklyShift]) -> Option<Vec<[i64; 2]>> {
    if shifts.is_empty() {
        return None;
    }
    let midnight = now.date_naive().and_time(NaiveTime::MIN).and_utc();
    // A shift that started yesterday may still run.
    let first_day = midnight - Duration::days(1);
    let mut windows: Vec<[i64; 2]> = Vec::new();
    for d in 0..=SHIFT_HORIZON_DAYS {
        let day = first_day + Duration::days(d);
        let weekday = day.weekday().num_days_from_monday() as u8;
        for s in shifts.iter().filter(|s| s.weekday == weekday) {
            let start = day + Duration::minutes(s.start_minute);
            let end = start + Duration::minutes(s.minutes());
            if end <= now {
                continue;
            }
            // Whole minutes inside the shift: the first at or after its start, the last at or
            // before its end (a plan's minute 0 is `now`, which has seconds).
            let secs = |t: DateTime<Utc>| (t - now).num_seconds();
            let from = (secs(start).max(0) + 59) / 60;
            let to = secs(end).div_euclid(60);
            if to >= from {
                windows.push([from, to]);
            }
        }
    }
    windows.sort_unstable();
    let mut merged: Vec<[i64; 2]> = Vec::with_capacity(windows.len());
    for w in windows {
        match merged.last_mut() {
            Some(last) if w[0] <= last[1] + 1 => last[1] = last[1].max(w[1]),
            _ => merged.push(w),
        }
    }
    Some(merged)
}
