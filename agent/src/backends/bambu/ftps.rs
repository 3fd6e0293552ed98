//! Uploading a file to a Bambu Lab printer's storage over implicit FTPS (TLS from the first byte,
//! port 990, user `bblp`, the access code as password): `PBSZ 0`, `PROT P`, `TYPE I`, `PASV`,
//! `STOR` over a TLS data connection that resumes the control connection's session (through the
//! shared client config), as the printers require.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::mqtt::open_tls;

/// Reads one reply (`ddd text`, or a `ddd-` multi-line reply up to its `ddd ` line).
async fn reply<R: tokio::io::AsyncBufRead + Unpin>(r: &mut R) -> Result<(u16, String), String> {
    let mut first: Option<u16> = None;
    loop {
        let mut line = String::new();
        let n = r.read_line(&mut line).await.map_err(|e| format!("FTPS: {e}"))?;
        if n == 0 {
            return Err("FTPS: the printer closed the connection".into());
        }
        if line.len() > 4096 {
            return Err("FTPS: the printer sent an overlong reply".into());
        }
        let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
        match (first, code) {
            (None, Some(c)) if line.as_bytes().get(3) == Some(&b'-') => first = Some(c),
            (None, Some(c)) => return Ok((c, line.trim_end().to_string())),
            (Some(f), Some(c)) if c == f && line.as_bytes().get(3) == Some(&b' ') => {
                return Ok((c, line.trim_end().to_string()));
            }
            (Some(_), _) => {}
            (None, None) => {
                return Err(format!(
                    "FTPS: the printer answered garbage: {:?}",
                    line.chars().take(60).collect::<String>()
                ));
            }
        }
    }
}

/// The port of a `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)` reply.
pub fn pasv_port(reply: &str) -> Option<u16> {
    let inner = reply.split_once('(')?.1.split_once(')')?.0;
    let n: Vec<u16> = inner.split(',').filter_map(|x| x.trim().parse().ok()).collect();
    (n.len() == 6 && n[4] < 256 && n[5] < 256).then(|| n[4] * 256 + n[5])
}

/// Uploads `data` as `name` to the printer at `host:port`.
pub async fn upload(
    host: &str,
    port: u16,
    tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
    password: &str,
    name: &str,
    data: &[u8],
) -> Result<(), String> {
    let ctrl = open_tls(host, port, tls.clone(), timeout).await?;
    let (rd, mut wr) = tokio::io::split(ctrl);
    let mut rd = BufReader::new(rd);
    let step = async {
        let expect = |got: (u16, String), want: &[u16], what: &str| -> Result<(u16, String), String> {
            if want.contains(&got.0) {
                Ok(got)
            } else if got.0 == 530 {
                Err("FTPS: the printer refused the access code (530)".into())
            } else {
                Err(format!("FTPS {what}: {}", got.1))
            }
        };
        expect(reply(&mut rd).await?, &[220], "greeting")?;
        for (cmd, want) in [
            ("USER bblp".to_string(), &[331u16, 230][..]),
            (format!("PASS {password}"), &[230, 202][..]),
            ("PBSZ 0".into(), &[200][..]),
            ("PROT P".into(), &[200][..]),
            ("TYPE I".into(), &[200][..]),
        ] {
            wr.write_all(format!("{cmd}\r\n").as_bytes())
                .await
                .map_err(|e| format!("FTPS: {e}"))?;
            let what = cmd.split(' ').next().unwrap_or("").to_string();
            let got = reply(&mut rd).await?;
            if what == "USER" && got.0 == 230 {
                continue;
            }
            expect(got, want, &what)?;
        }
        wr.write_all(b"PASV\r\n")
            .await
            .map_err(|e| format!("FTPS: {e}"))?;
        let (_, text) = expect(reply(&mut rd).await?, &[227], "PASV")?;
        let data_port = pasv_port(&text).ok_or_else(|| format!("FTPS PASV: cannot read {text:?}"))?;
        // The address in the reply may be the printer's other interface: use the one we reach.
        let data_conn = open_tls(host, data_port, tls.clone(), timeout);
        wr.write_all(format!("STOR {name}\r\n").as_bytes())
            .await
            .map_err(|e| format!("FTPS: {e}"))?;
        let mut data_stream = data_conn.await?;
        expect(reply(&mut rd).await?, &[125, 150], "STOR")?;
        data_stream
            .write_all(data)
            .await
            .map_err(|e| format!("FTPS upload: {e}"))?;
        data_stream
            .shutdown()
            .await
            .map_err(|e| format!("FTPS upload: {e}"))?;
        drop(data_stream);
        expect(reply(&mut rd).await?, &[226, 250], "STOR")?;
        let _ = wr.write_all(b"QUIT\r\n").await;
        Ok::<(), String>(())
    };
    let budget = timeout + Duration::from_secs(data.len() as u64 / 100_000 + 30);
    tokio::time::timeout(budget, step).await.map_err(|_| {
        format!(
            "FTPS: the upload to the printer did not finish within {} s",
            budget.as_secs()
        )
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_replies_and_passive_ports() {
        assert_eq!(
            pasv_port("227 Entering Passive Mode (192,168,1,5,195,80)."),
            Some(50000)
        );
        assert_eq!(pasv_port("227 nonsense"), None);
        assert_eq!(pasv_port("227 (1,2,3,4,999,1)"), None);
        let mut r = BufReader::new(&b"220-Welcome\r\n  to Bambu\r\n220 ready\r\n530 no\r\nhello\r\n"[..]);
        assert_eq!(reply(&mut r).await.unwrap(), (220, "220 ready".into()));
        assert_eq!(reply(&mut r).await.unwrap().0, 530);
        assert!(reply(&mut r).await.unwrap_err().contains("garbage"));
        assert!(reply(&mut r).await.unwrap_err().contains("closed"));
    }
}
