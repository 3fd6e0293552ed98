//! The outbox: every agent message gets an id unique per printer (a boot id chosen when the
//! agent starts, then a sequence number), and every message that changes the farm's state is
//! kept until the server acknowledges it, and re-sent after each reconnect with the same id
//! (the server recognises the repeat and counts it once).

use std::collections::VecDeque;

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
}

impl Outbox {
    pub fn new(boot: impl Into<String>) -> Outbox {
        Outbox {
            boot: boot.into(),
            seq: 0,
            pending: VecDeque::new(),
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
