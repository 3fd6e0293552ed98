//! The outbox: every agent message gets an id unique per printer (a boot id chosen when the
//! agent starts, then a sequence number), and every message that changes the farm's state is
//! kept until the server acknowledges it, and re-sent after each reconnect with the same id
//! (the server recognises the repeat and counts it once).
//!
//! With a file ([`Outbox::persistent`]) the messages waiting for an ack are also kept on disk,
//! rewritten (write, sync, rename) at each change: an agent killed and restarted sends them
//! again with their original ids, so nothing it reported is lost and nothing counts twice.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use gantry_protocol::{AgentEnvelope, AgentMessage, PROTOCOL_VERSION};

/// A boot id for this agent process: the start time in microseconds, base 36 (unique across
/// restarts of the agent, short enough to keep ids well under the protocol's limit).
pub fn boot_id() -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    to_base36(micros)
}

fn to_base36(mut n: u128) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[derive(Debug, Clone)]
struct Pending {
    id: String,
    text: String,
    sent: bool,
}

/// Messages waiting for an `ack`, in the order they were produced.
#[derive(Debug, Clone)]
pub struct Outbox {
    boot: String,
    seq: u64,
    pending: VecDeque<Pending>,
    /// Where the pending messages are kept, if on disk.
    file: Option<PathBuf>,
}

impl Outbox {
    pub fn new(boot: impl Into<String>) -> Outbox {
        Outbox {
            boot: boot.into(),
            seq: 0,
            pending: VecDeque::new(),
            file: None,
        }
    }

    /// An outbox kept in `file`: the messages a previous run left unacknowledged are loaded
    /// (to be sent again with their ids); lines that do not parse are skipped.
    pub fn persistent(boot: impl Into<String>, file: &Path) -> std::io::Result<Outbox> {
        let mut o = Outbox::new(boot);
        match std::fs::read_to_string(file) {
            Ok(text) => {
                for line in text.lines() {
                    if let Ok(env) = serde_json::from_str::<AgentEnvelope>(line) {
                        o.pending.push_back(Pending {
                            id: env.id,
                            text: line.to_string(),
                            sent: false,
                        });
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        o.file = Some(file.to_path_buf());
        o.save();
        Ok(o)
    }

    /// Writes the pending messages to the file (if any). A failure is logged: the messages
    /// stay in memory and the next change tries again.
    fn save(&self) {
        let Some(file) = &self.file else { return };
        let mut text = String::new();
        for p in &self.pending {
            text.push_str(&p.text);
            text.push('\n');
        }
        let tmp = file.with_extension("tmp");
        let result = (|| {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_data()?;
            std::fs::rename(&tmp, file)
        })();
        if let Err(e) = result {
            tracing::warn!(file = %file.display(), error = %e, "could not keep the outbox on disk");
        }
    }

    fn next_id(&mut self) -> String {
        self.seq += 1;
        format!("{}-{}", self.boot, self.seq)
    }

    fn envelope(&mut self, msg: AgentMessage) -> (String, String) {
        let id = self.next_id();
        let env = AgentEnvelope {
            v: PROTOCOL_VERSION,
            id: id.clone(),
            msg,
        };
        let text = serde_json::to_string(&env).unwrap_or_default();
        (id, text)
    }

    /// Queues a message that must reach the server (kept until acknowledged); returns its id.
    pub fn push(&mut self, msg: AgentMessage) -> String {
        let (id, text) = self.envelope(msg);
        self.pending.push_back(Pending {
            id: id.clone(),
            text,
            sent: false,
        });
        self.save();
        id
    }

    /// A message worth sending only now (hello, status, heartbeat): it gets an id but is not
    /// kept; returns `(id, text)`.
    pub fn once(&mut self, msg: AgentMessage) -> (String, String) {
        self.envelope(msg)
    }

    /// The server committed message `id`: forget it. Returns whether it was pending.
    pub fn ack(&mut self, id: &str) -> bool {
        match self.pending.iter().position(|p| p.id == id) {
            Some(i) => {
                self.pending.remove(i);
                self.save();
                true
            }
            None => false,
        }
    }

    /// The texts not sent on the current connection yet, marked as sent.
    pub fn take_unsent(&mut self) -> Vec<String> {
        self.pending
            .iter_mut()
            .filter(|p| !p.sent)
            .map(|p| {
                p.sent = true;
                p.text.clone()
            })
            .collect()
    }

    /// The connection dropped: everything not acknowledged goes again on the next one.
    pub fn connection_lost(&mut self) {
        for p in &mut self.pending {
            p.sent = false;
        }
    }

    /// Ids waiting for an ack, oldest first.
    pub fn pending_ids(&self) -> Vec<String> {
        self.pending.iter().map(|p| p.id.clone()).collect()
    }

    /// The messages waiting for an ack, oldest first.
    pub fn pending_messages(&self) -> Vec<AgentMessage> {
        self.pending
            .iter()
            .filter_map(|p| serde_json::from_str::<AgentEnvelope>(&p.text).ok())
            .map(|e| e.msg)
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unacked_messages_are_resent_with_their_ids_after_a_reconnect() {
        let mut o = Outbox::new("b1");
        let a = o.push(AgentMessage::JobStarted { job: 1 });
        let (hb, _) = o.once(AgentMessage::Heartbeat {});
        let b = o.push(AgentMessage::JobCompleted { job: 1 });
        assert_eq!((a.as_str(), hb.as_str(), b.as_str()), ("b1-1", "b1-2", "b1-3"));
        assert_eq!(o.take_unsent().len(), 2);
        assert!(o.take_unsent().is_empty(), "sent once per connection");
        assert!(o.ack(&a));
        assert!(!o.ack(&a), "a second ack is harmless");
        o.connection_lost();
        let again = o.take_unsent();
        assert_eq!(again.len(), 1);
        let env: AgentEnvelope = serde_json::from_str(&again[0]).unwrap();
        assert_eq!(env.id, b);
        assert_eq!(env.msg, AgentMessage::JobCompleted { job: 1 });
        assert!(o.ack(&b));
        assert!(o.is_empty());
    }

    #[test]
    fn a_killed_agent_sends_its_unacknowledged_messages_again_after_a_restart() {
        let dir = std::env::temp_dir().join(format!("gantry-outbox-{}-{}", std::process::id(), boot_id()));
        let file = dir.join("printer-1.outbox");
        let mut o = Outbox::persistent("b1", &file).unwrap();
        let started = o.push(AgentMessage::JobStarted { job: 4 });
        let done = o.push(AgentMessage::JobCompleted { job: 4 });
        assert_eq!(o.take_unsent().len(), 2);
        assert!(o.ack(&started));
        drop(o); // killed: nothing else runs

        let mut again = Outbox::persistent("b2", &file).unwrap();
        assert_eq!(again.pending_ids(), vec![done.clone()]);
        let texts = again.take_unsent();
        let env: AgentEnvelope = serde_json::from_str(&texts[0]).unwrap();
        assert_eq!(
            (env.id.as_str(), env.msg),
            (done.as_str(), AgentMessage::JobCompleted { job: 4 })
        );
        // New messages take the new boot id; acks empty the file.
        let next = again.push(AgentMessage::BedCleared {});
        assert_eq!(next, "b2-1");
        assert!(again.ack(&done) && again.ack(&next));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "");
        // A damaged line is skipped, not fatal.
        std::fs::write(&file, "garbage\n").unwrap();
        assert!(Outbox::persistent("b3", &file).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn boot_ids_differ_between_starts_and_keep_ids_short() {
        let a = boot_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = boot_id();
        assert_ne!(a, b);
        let mut o = Outbox::new(a);
        for _ in 0..1000 {
            o.push(AgentMessage::Heartbeat {});
        }
        let id = o.push(AgentMessage::Heartbeat {});
        assert!(id.len() <= gantry_protocol::MAX_MESSAGE_ID_LEN);
    }
}
