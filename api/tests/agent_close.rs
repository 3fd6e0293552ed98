//! An agent that goes away without a close frame (process stopped, link dropped) is a lost
//! connection, not a protocol error: the server logs it as such and never as close code 1007
//! ("invalid frame"). Its own test binary, because it reads the server's log.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use common::agent::*;

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The log of this test binary (one subscriber for the process).
fn log() -> &'static Log {
    static LOG: OnceLock<Log> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Log::default();
        let writer = log.clone();
        tracing_subscriber::fmt()
            .with_env_filter("gantry_api=debug")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        log
    })
}

app_test!(a_dropped_agent_connection_is_not_a_malformed_frame, |app| {
    let log = log();
    let (fx, token, _) = setup(app).await;
    let mut ws = connect(app, Some(&token)).await.unwrap();
    welcome(&mut ws, fx.printers[0]).await;
    // The agent's process ends: the TCP connection closes without a WebSocket close frame.
    drop(ws);
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let text = String::from_utf8_lossy(&log.0.lock().unwrap()).to_string();
        if text.contains("agent connection lost") {
            assert!(!text.contains("code=1007"), "{text}");
            assert!(!text.contains("invalid frame"), "{text}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no disconnect logged:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
});
