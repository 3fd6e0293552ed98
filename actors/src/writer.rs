//! Group commit for status reports: many agents' reports written in one transaction.
//!
//! Each printer actor hands its report to the writer and waits for the commit before it
//! acknowledges the agent. The writer takes every report queued while the previous
//! transaction was committing (up to [`MAX_BATCH`]) and writes them together, so 1,000 agents
//! reporting once a second cost a few transactions a second instead of 1,000.

use gantry_app::Db;
use gantry_app::agent::StatusReport;
use gantry_engine::store::StoreError;
use tokio::sync::{mpsc, oneshot};

/// Largest number of reports written in one transaction.
pub const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<Result<(), String>>;

/// A handle to the writer task (cheap to clone).
#[derive(Clone, Debug)]
pub struct StatusWriter {
    tx: mpsc::UnboundedSender<(StatusReport, Reply)>,
}

impl StatusWriter {
    /// Starts the writer on the current tokio runtime; it ends when every handle is dropped.
    pub fn start(db: Db) -> StatusWriter {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(db, rx));
        StatusWriter { tx }
    }

    /// Writes `report` and resolves once it is committed (with the batch it joined).
    pub async fn write(&self, report: StatusReport) -> Result<(), String> {
        let (reply, done) = oneshot::channel();
        self.tx
            .send((report, reply))
            .map_err(|_| "the status writer has stopped".to_string())?;
        done.await
            .map_err(|_| "the status writer has stopped".to_string())?
    }
}

async fn write_batch(db: &Db, reports: &[StatusReport]) -> Result<(), StoreError> {
    gantry_app::agent::record_statuses(db, reports).await
}

async fn run(db: Db, mut rx: mpsc::UnboundedReceiver<(StatusReport, Reply)>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        let (reports, replies): (Vec<StatusReport>, Vec<Reply>) = batch.into_iter().unzip();
        let result = match write_batch(&db, &reports).await {
            Ok(()) => Ok(()),
            // One bad report (e.g. a printer deleted meanwhile) must not fail the others:
            // retry one by one.
            Err(e) if reports.len() > 1 => {
                tracing::warn!(error = %e, n = reports.len(), "status batch failed; writing one by one");
                let mut each = Vec::with_capacity(reports.len());
                for r in &reports {
                    each.push(
                        write_batch(&db, std::slice::from_ref(r))
                            .await
                            .map_err(|e| e.to_string()),
                    );
                }
                for (reply, res) in replies.into_iter().zip(each) {
                    let _ = reply.send(res);
                }
                continue;
            }
            Err(e) => Err(e.to_string()),
        };
        for reply in replies {
            let _ = reply.send(result.clone());
        }
    }
}
