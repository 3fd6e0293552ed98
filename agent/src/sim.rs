//! A virtual printer on an accelerated clock: a job of `est_minutes` takes
//! `est_minutes * 60 / speed` real seconds; it can be told to fail some jobs.

use std::collections::BTreeSet;

use gantry_protocol::{JobAssignment, Readings, Temperatures};

use crate::backend::{BackendError, Phase, PrinterBackend, Snapshot};

/// Which jobs a simulated printer fails.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FailPolicy {
    /// Probability (0–1) that a job fails, drawn from `seed`, the printer and the job.
    pub rate: f64,
    pub seed: u64,
    /// Jobs that always fail.
    pub jobs: BTreeSet<i64>,
}

impl FailPolicy {
    /// `Some(pct)`: the attempt `attempt` of `job` on printer `printer` fails at `pct` %.
    pub fn fails_at(&self, printer: u64, job: i64, attempt: u64) -> Option<i64> {
        let h = splitmix64(
            self.seed
                ^ splitmix64(printer)
                ^ splitmix64(job as u64).rotate_left(17)
                ^ attempt.rotate_left(40),
        );
        let at = 10 + (h % 80) as i64;
        if self.jobs.contains(&job) {
            return Some(at);
        }
        // The top 53 bits as a uniform fraction in [0, 1).
        let u = (h >> 11) as f64 / (1u64 << 53) as f64;
        (u < self.rate).then_some(at)
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[derive(Debug, Clone)]
struct SimJob {
    id: i64,
    /// Real milliseconds the whole print takes.
    total_ms: u64,
    /// Real milliseconds printed so far (paused time excluded).
    elapsed_ms: u64,
    last_ms: u64,
    paused: bool,
    fail_at: Option<i64>,
    ended: Option<Phase>,
}

impl SimJob {
    fn pct(&self) -> i64 {
        if self.total_ms == 0 {
            return 100;
        }
        ((self.elapsed_ms.saturating_mul(100)) / self.total_ms).min(100) as i64
    }

    fn advance(&mut self, now_ms: u64) {
        if self.ended.is_none() && !self.paused {
            self.elapsed_ms = (self.elapsed_ms + now_ms.saturating_sub(self.last_ms)).min(self.total_ms);
        }
        self.last_ms = now_ms.max(self.last_ms);
        if self.ended.is_some() {
            return;
        }
        let pct = self.pct();
        if let Some(at) = self.fail_at
            && pct >= at
        {
            self.elapsed_ms = self.total_ms * at as u64 / 100;
            self.ended = Some(Phase::Failed {
                reason: format!("simulated failure at {at}%"),
            });
        } else if pct >= 100 {
            self.ended = Some(Phase::Done);
        }
    }
}

/// A simulated printer.
#[derive(Debug, Clone)]
pub struct SimPrinter {
    /// Index of the printer in this agent (feeds the failure draw).
    index: u64,
    /// Simulated seconds per real second.
    speed: f64,
    fail: FailPolicy,
    material: Option<String>,
    job: Option<SimJob>,
    attempts: u64,
}

impl SimPrinter {
    pub fn new(index: u64, speed: f64, fail: FailPolicy, material: Option<String>) -> SimPrinter {
        SimPrinter {
            index,
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
            fail,
            material,
            job: None,
            attempts: 0,
        }
    }

    fn temperatures(&self) -> Temperatures {
        let hot = self.job.as_ref().is_some_and(|j| j.ended.is_none() && !j.paused);
        Temperatures {
            nozzle_c: Some(if hot { 210.0 } else { 25.0 }),
            bed_c: Some(if hot { 60.0 } else { 25.0 }),
            nozzle_target_c: Some(if hot { 210.0 } else { 0.0 }),
            bed_target_c: Some(if hot { 60.0 } else { 0.0 }),
        }
    }
}

impl PrinterBackend for SimPrinter {
    fn name(&self) -> &'static str {
        "simulate"
    }

    fn loaded_material(&self) -> Option<String> {
        self.material.clone()
    }

    async fn start(&mut self, job: &JobAssignment, now_ms: u64) -> Result<(), BackendError> {
        if let Some(j) = &self.job {
            return Err(BackendError::Rejected(format!("busy with job {}", j.id)));
        }
        self.attempts += 1;
        let minutes = job.est_minutes.max(0) as f64;
        let total_ms = (minutes * 60_000.0 / self.speed).round() as u64;
        self.job = Some(SimJob {
            id: job.job,
            total_ms,
            elapsed_ms: 0,
            last_ms: now_ms,
            paused: false,
            fail_at: self.fail.fails_at(self.index, job.job, self.attempts),
            ended: None,
        });
        Ok(())
    }

    async fn pause(&mut self, now_ms: u64) -> Result<(), BackendError> {
        match &mut self.job {
            Some(j) if j.ended.is_none() => {
                j.advance(now_ms);
                j.paused = true;
                Ok(())
            }
            _ => Err(BackendError::InvalidState("not printing".into())),
        }
    }

    async fn resume(&mut self, now_ms: u64) -> Result<(), BackendError> {
        match &mut self.job {
            Some(j) if j.ended.is_none() && j.paused => {
                j.last_ms = now_ms;
                j.paused = false;
                Ok(())
            }
            _ => Err(BackendError::InvalidState("not paused".into())),
        }
    }

    async fn cancel(&mut self, now_ms: u64) -> Result<(), BackendError> {
        if let Some(j) = &mut self.job
            && j.ended.is_none()
        {
            j.advance(now_ms);
            j.ended = Some(Phase::Cancelled);
        }
        Ok(())
    }

    fn clear(&mut self) {
        self.job = None;
    }

    async fn poll(&mut self, now_ms: u64) -> Result<Snapshot, BackendError> {
        let temperatures = self.temperatures();
        let speed = self.speed;
        let Some(j) = &mut self.job else {
            return Ok(Snapshot::idle(temperatures));
        };
        j.advance(now_ms);
        let phase = match &j.ended {
            Some(p) => p.clone(),
            None if j.paused => Phase::Paused,
            None => Phase::Printing,
        };
        let left_real_ms = j.total_ms.saturating_sub(j.elapsed_ms) as f64;
        let layer = j.pct().max(1);
        Ok(Snapshot {
            job: Some(j.id),
            phase,
            progress_pct: j.pct(),
            seconds_left: Some((left_real_ms * speed / 1000.0).round() as i64),
            temperatures: self.temperatures(),
            readings: Readings {
                layer: Some(layer),
                total_layers: Some(100),
                ..Readings::default()
            },
        })
    }
}
