//! Telemetry for charts: the samples of a printer's readings, and their downsampling to a
//! bounded number of points (pure; the store keeps the samples, bounded by time).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// A sample is written at most this often per printer (the rest of the reports only replace
/// the latest readings).
pub const TELEMETRY_SAMPLE_SECS: i64 = 10;
/// Samples older than this are pruned.
pub const TELEMETRY_RETENTION_HOURS: i64 = 24;
/// Most points a history answer has.
pub const MAX_HISTORY_POINTS: usize = 500;

/// One sample of a printer's readings (temperatures in °C).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TelemetrySample {
    pub at: DateTime<Utc>,
    pub nozzle_c: Option<f64>,
    pub nozzle_target_c: Option<f64>,
    pub bed_c: Option<f64>,
    pub bed_target_c: Option<f64>,
    pub progress_pct: Option<i64>,
    pub layer: Option<i64>,
}

/// The earliest start of a history request: `since`, but no earlier than the retention.
pub fn history_since(since: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    since.max(now - Duration::hours(TELEMETRY_RETENTION_HOURS))
}

fn mean(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0u32);
    for v in values.flatten() {
        sum += v;
        n += 1;
    }
    (n > 0).then(|| (sum / f64::from(n) * 10.0).round() / 10.0)
}

/// Downsamples `samples` (ordered by time) to at most `max_points` points: the time span is
/// cut into equal buckets, and each bucket that holds samples becomes one point at its first
/// sample's time, with the mean temperatures and the last progress and layer.
pub fn downsample(samples: &[TelemetrySample], max_points: usize) -> Vec<TelemetrySample> {
    let max_points = max_points.clamp(1, MAX_HISTORY_POINTS);
    if samples.len() <= max_points {
        return samples.to_vec();
    }
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        return Vec::new();
    };
    let start = first.at.timestamp_millis();
    let span = (last.at.timestamp_millis() - start).max(1) + 1;
    let width = (span + max_points as i64 - 1) / max_points as i64;
    let mut out = Vec::with_capacity(max_points);
    let mut i = 0;
    while i < samples.len() {
        let bucket = (samples[i].at.timestamp_millis() - start) / width.max(1);
        let mut j = i;
        while j < samples.len() && (samples[j].at.timestamp_millis() - start) / width.max(1) == bucket {
            j += 1;
        }
        let group = &samples[i..j];
        out.push(TelemetrySample {
            at: group[0].at,
            nozzle_c: mean(group.iter().map(|s| s.nozzle_c)),
            nozzle_target_c: mean(group.iter().map(|s| s.nozzle_target_c)),
            bed_c: mean(group.iter().map(|s| s.bed_c)),
            bed_target_c: mean(group.iter().map(|s| s.bed_target_c)),
            progress_pct: group.iter().rev().find_map(|s| s.progress_pct),
            layer: group.iter().rev().find_map(|s| s.layer),
        });
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    fn sample(secs: i64, nozzle: f64, pct: i64) -> TelemetrySample {
        TelemetrySample {
            at: at(secs),
            nozzle_c: Some(nozzle),
            nozzle_target_c: Some(210.0),
            bed_c: None,
            bed_target_c: None,
            progress_pct: Some(pct),
            layer: Some(pct / 2),
        }
    }

    #[test]
    fn few_samples_are_kept_as_they_are() {
        let s = vec![sample(0, 200.0, 1), sample(10, 205.0, 2)];
        assert_eq!(downsample(&s, 10), s);
        assert!(downsample(&[], 10).is_empty());
    }

    #[test]
    fn many_samples_become_at_most_max_points_means() {
        // Two hours at one sample every 10 s: 720 samples.
        let s: Vec<_> = (0..720)
            .map(|i| sample(i * 10, 200.0 + (i % 2) as f64 * 10.0, i * 100 / 720))
            .collect();
        let d = downsample(&s, 100);
        assert!(d.len() <= 100 && d.len() >= 90, "{}", d.len());
        assert_eq!(d[0].at, s[0].at);
        // Each point averages alternating 200/210 readings.
        assert!(
            d.iter()
                .all(|p| p.nozzle_c.unwrap() > 200.0 && p.nozzle_c.unwrap() < 210.0)
        );
        assert_eq!(d[0].bed_c, None);
        assert_eq!(d.last().unwrap().progress_pct, Some(99));
        assert!(d.windows(2).all(|w| w[0].at < w[1].at));
        // The bound holds whatever is asked.
        assert!(downsample(&s, 10_000).len() <= MAX_HISTORY_POINTS);
        assert_eq!(downsample(&s, 0).len(), 1);
    }

    #[test]
    fn history_starts_no_earlier_than_the_retention() {
        let now = at(100_000);
        assert_eq!(history_since(at(0), now), now - Duration::hours(24));
        assert_eq!(history_since(at(99_000), now), at(99_000));
    }
}
