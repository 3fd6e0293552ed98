//! The little of MQTT 3.1.1 a Bambu Lab printer needs, over TLS: CONNECT with user and password,
//! SUBSCRIBE at QoS 0, PUBLISH at QoS 0 both ways, PINGREQ. Every refusal is a sentence (a
//! refused access code, a broker that answers garbage, an oversized packet), never a panic.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// The largest packet accepted from the printer (a full report is a few kilobytes).
pub const MAX_PACKET: usize = 1 << 20;

/// A packet from the broker that the client acts on.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    ConnAck { code: u8 },
    SubAck,
    Publish { topic: String, payload: Vec<u8> },
    PingResp,
    Other(u8),
}

fn put_str(buf: &mut Vec<u8>, s: &[u8]) {
    buf.extend_from_slice(&(s.len() as u16).to_be_bytes());
    buf.extend_from_slice(s);
}

fn packet(kind: u8, body: Vec<u8>) -> Vec<u8> {
    let mut out = vec![kind];
    let mut len = body.len();
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            break;
        }
    }
    out.extend(body);
    out
}

pub fn connect(client_id: &str, user: &str, password: &str, keepalive_secs: u16) -> Vec<u8> {
    let mut b = Vec::new();
    put_str(&mut b, b"MQTT");
    b.push(4); // protocol level 3.1.1
    b.push(0x80 | 0x40 | 0x02); // user name, password, clean session
    b.extend_from_slice(&keepalive_secs.to_be_bytes());
    put_str(&mut b, client_id.as_bytes());
    put_str(&mut b, user.as_bytes());
    put_str(&mut b, password.as_bytes());
    packet(0x10, b)
}

pub fn subscribe(packet_id: u16, topic: &str) -> Vec<u8> {
    let mut b = packet_id.to_be_bytes().to_vec();
    put_str(&mut b, topic.as_bytes());
    b.push(0); // QoS 0
    packet(0x82, b)
}

pub fn publish(topic: &str, payload: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    put_str(&mut b, topic.as_bytes());
    b.extend_from_slice(payload);
    packet(0x30, b)
}

pub fn pingreq() -> Vec<u8> {
    vec![0xC0, 0]
}

pub fn disconnect() -> Vec<u8> {
    vec![0xE0, 0]
}

/// What a CONNACK's return code means.
pub fn connack_error(code: u8) -> Option<String> {
    Some(match code {
        0 => return None,
        1 => "the printer refused the MQTT protocol version".into(),
        2 => "the printer refused the client id".into(),
        3 => "the printer's MQTT server is unavailable".into(),
        4 => "the printer refused the access code (bad user name or password)".into(),
        5 => "the printer refused the access code (not authorised)".into(),
        c => format!("the printer refused the connection (CONNACK code {c})"),
    })
}

/// Reads one packet.
pub async fn read<R: AsyncRead + Unpin>(r: &mut R) -> Result<Incoming, String> {
    let kind = r.read_u8().await.map_err(|e| format!("MQTT connection: {e}"))?;
    let mut len: usize = 0;
    let mut shift = 0;
    loop {
        let b = r.read_u8().await.map_err(|e| format!("MQTT connection: {e}"))?;
        len |= ((b & 0x7F) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 21 {
            return Err("the printer sent a malformed MQTT packet length".into());
        }
    }
    if len > MAX_PACKET {
        return Err(format!(
            "the printer sent an MQTT packet of {len} bytes (limit {MAX_PACKET})"
        ));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)
        .await
        .map_err(|e| format!("MQTT connection: {e}"))?;
    Ok(match kind >> 4 {
        2 if body.len() >= 2 => Incoming::ConnAck { code: body[1] },
        9 => Incoming::SubAck,
        13 => Incoming::PingResp,
        3 => {
            if body.len() < 2 {
                return Err("the printer sent a malformed MQTT PUBLISH".into());
            }
            let tlen = u16::from_be_bytes([body[0], body[1]]) as usize;
            let qos = (kind >> 1) & 3;
            let start = 2 + tlen + if qos > 0 { 2 } else { 0 };
            if body.len() < start {
                return Err("the printer sent a malformed MQTT PUBLISH".into());
            }
            Incoming::Publish {
                topic: String::from_utf8_lossy(&body[2..2 + tlen]).into_owned(),
                payload: body[start..].to_vec(),
            }
        }
        k => Incoming::Other(k),
    })
}

/// A TLS stream to the printer.
pub type Stream = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

/// Opens TCP + TLS to `host:port` within `timeout`.
pub async fn open_tls(
    host: &str,
    port: u16,
    tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
) -> Result<Stream, String> {
    let tcp = tokio::time::timeout(timeout, tokio::net::TcpStream::connect((host, port)))
        .await
        .map_err(|_| {
            format!(
                "the printer at {host}:{port} did not answer within {} s",
                timeout.as_secs()
            )
        })?
        .map_err(|e| format!("cannot reach the printer at {host}:{port}: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let connector = tokio_rustls::TlsConnector::from(tls);
    tokio::time::timeout(timeout, connector.connect(super::tls::server_name(host), tcp))
        .await
        .map_err(|_| {
            format!(
                "TLS with the printer at {host}:{port} did not complete within {} s",
                timeout.as_secs()
            )
        })?
        .map_err(|e| format!("TLS with the printer at {host}:{port}: {e}"))
}

/// Who connects and what it listens to.
#[derive(Debug, Clone)]
pub struct Login {
    pub client_id: String,
    pub user: String,
    pub password: String,
    pub topic: String,
}

/// Connects and subscribes to the login's topic; returns the stream ready for reports.
pub async fn session(
    host: &str,
    port: u16,
    tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
    login: &Login,
) -> Result<Stream, String> {
    let (client_id, user, password, topic) = (&login.client_id, &login.user, &login.password, &login.topic);
    let mut s = open_tls(host, port, tls, timeout).await?;
    let handshake = async {
        s.write_all(&connect(client_id, user, password, 30))
            .await
            .map_err(|e| format!("MQTT connection: {e}"))?;
        match read(&mut s).await? {
            Incoming::ConnAck { code } => {
                if let Some(e) = connack_error(code) {
                    return Err(e);
                }
            }
            other => return Err(format!("the printer answered CONNECT with {other:?}")),
        }
        s.write_all(&subscribe(1, topic))
            .await
            .map_err(|e| format!("MQTT connection: {e}"))?;
        Ok(())
    };
    tokio::time::timeout(timeout, handshake).await.map_err(|_| {
        format!(
            "the printer's MQTT server did not answer within {} s",
            timeout.as_secs()
        )
    })??;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn packets_round_trip_and_garbage_is_refused() {
        let p = publish("device/X/report", &vec![b'a'; 300]);
        assert_eq!(&p[..3], &[0x30, 0xBD, 0x02], "remaining length 317 in two bytes");
        let got = read(&mut &p[..]).await.unwrap();
        assert_eq!(
            got,
            Incoming::Publish {
                topic: "device/X/report".into(),
                payload: vec![b'a'; 300]
            }
        );
        assert_eq!(
            read(&mut &[0x20u8, 2, 0, 4][..]).await.unwrap(),
            Incoming::ConnAck { code: 4 }
        );
        assert!(connack_error(4).unwrap().contains("access code"));
        assert!(
            read(&mut &[0x30u8, 0xFF, 0xFF, 0xFF, 0xFF, 0x01][..])
                .await
                .is_err()
        );
        assert!(
            read(&mut &[0x30u8, 0xFF, 0xFF, 0x7F][..])
                .await
                .unwrap_err()
                .contains("limit")
        );
        assert!(read(&mut &[0x30u8, 1, 0][..]).await.is_err());
        assert!(read(&mut &[0x30u8, 5][..]).await.is_err(), "cut short");
        let c = connect("id", "bblp", "12345678", 30);
        assert_eq!(c[0], 0x10);
        assert_eq!(&c[2..8], &[0, 4, b'M', b'Q', b'T', b'T']);
    }
}
