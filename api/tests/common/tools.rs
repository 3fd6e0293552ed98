//! Outside servers the tests start (PyPI tools in virtualenvs that scripts/test.sh creates),
//! on spare loopback ports, killed on drop.

use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

/// A child process killed (SIGKILL) on drop.
pub struct Proc(pub Child);

impl Proc {
    /// Kills it now (no goodbye to its clients).
    pub fn kill(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (30 s at most) until something accepts connections on `port`.
pub fn wait_listening(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `$env_var`, else `$HOME/.cache/<venv>/bin/<bin>`; missing, the test fails saying how to
/// install `package`.
pub fn venv_tool(env_var: &str, venv: &str, bin: &str, package: &str) -> PathBuf {
    let path = std::env::var_os(env_var).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var("HOME").unwrap_or_default())
            .join(".cache")
            .join(venv)
            .join("bin")
            .join(bin)
    });
    assert!(
        path.exists(),
        "{bin} not found at {}: `python3 -m venv ~/.cache/{venv} && ~/.cache/{venv}/bin/pip install '{package}'` \
         (scripts/test.sh does this) or set {env_var}",
        path.display()
    );
    path
}
