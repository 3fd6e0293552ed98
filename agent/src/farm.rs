//! Running the printers of a config file ([`crate::config`]): one protocol loop per printer,
//! each on its own backend, all in this process; each printer's outbox on disk when the file
//! names a `state_dir`.

use std::path::Path;

use crate::backends::bambu::{Bambu, BambuConfig};
use crate::backends::moonraker::{Moonraker, MoonrakerConfig};
use crate::backends::prusalink::{PrusaLink, PrusaLinkAuth, PrusaLinkConfig};
use crate::config::{AgentConfig, Backend, PrinterEntry};
use crate::conn::LoopConfig;
use crate::driver::{Driver, DriverConfig};
use crate::outbox::Outbox;
use crate::sim::{FailPolicy, SimPrinter};
use crate::{AgentError, run_one};

/// The printer's outbox: on disk under `state_dir` (named after the printer) when given.
fn outbox(state_dir: Option<&Path>, name: &str, boot: &str) -> Result<Outbox, AgentError> {
    match state_dir {
        None => Ok(Outbox::new(boot)),
        Some(dir) => Outbox::persistent(boot, &dir.join(format!("{name}.outbox"))).map_err(|e| {
            AgentError::Config(crate::config::ConfigError::Printer {
                printer: name.to_string(),
                message: format!("outbox in {}: {e}", dir.display()),
            })
        }),
    }
}

/// Spawns one task per printer of `cfg` into `tasks`.
pub(crate) fn spawn_all(
    cfg: &AgentConfig,
    server: &str,
    driver_cfg: &DriverConfig,
    loop_cfg: &LoopConfig,
    clock: tokio::time::Instant,
    tasks: &mut tokio::task::JoinSet<Result<(), AgentError>>,
) -> Result<(), AgentError> {
    let boot = crate::outbox::boot_id();
    for (i, p) in cfg.printers.iter().enumerate() {
        let ob = outbox(cfg.state_dir.as_deref(), &p.name, &boot)?;
        let server = server.to_string();
        let label = p.name.clone();
        let token = p.token.clone();
        let mut lc = loop_cfg.clone();
        let every = match p.snapshot_secs {
            Some(s) => (s > 0.0).then(|| std::time::Duration::from_secs_f64(s)),
            None => lc.camera.as_ref().and_then(|c| c.every),
        };
        lc.camera = Some(crate::camera::CameraConfig {
            url: p.snapshot_url.clone(),
            every,
        });
        let bad = |e: crate::backend::BackendError| {
            AgentError::Config(crate::config::ConfigError::Printer {
                printer: p.name.clone(),
                message: e.to_string(),
            })
        };
        let PrinterEntry {
            material, backend, ..
        } = p;
        let mut driver_cfg = driver_cfg.clone();
        driver_cfg.poll_ms = p.poll_ms.or(driver_cfg.poll_ms);
        let driver_cfg = &driver_cfg;
        match backend {
            Backend::Simulate { speed } => {
                let mut dc = driver_cfg.clone();
                dc.auto_clear_ms = dc.auto_clear_ms.or(Some(2_000));
                let b = SimPrinter::new(i as u64, *speed, FailPolicy::default(), material.clone());
                tasks.spawn(run_one(label, server, token, Driver::new(b, dc, ob), lc, clock));
            }
            Backend::Octoprint { url, api_key } => {
                let b = crate::octoprint::OctoPrint::new(url, api_key, &server, &token, material.clone())
                    .map_err(bad)?;
                let d = Driver::new(b, driver_cfg.clone(), ob);
                tasks.spawn(run_one(label, server, token, d, lc, clock));
            }
            Backend::Moonraker { url, api_key } => {
                let mut mc = MoonrakerConfig::new(url, api_key.clone());
                mc.material = material.clone();
                let b = Moonraker::new(mc, &server, &token).map_err(bad)?;
                let d = Driver::new(b, driver_cfg.clone(), ob);
                tasks.spawn(run_one(label, server, token, d, lc, clock));
            }
            Backend::Prusalink {
                url,
                user,
                password,
                api_key,
                storage,
            } => {
                let auth = match (user, password, api_key) {
                    (Some(u), Some(pw), _) => PrusaLinkAuth::Digest {
                        user: u.clone(),
                        password: pw.clone(),
                    },
                    (_, _, k) => PrusaLinkAuth::ApiKey(k.clone().unwrap_or_default()),
                };
                let mut pc = PrusaLinkConfig::new(url, auth);
                pc.material = material.clone();
                if let Some(s) = storage {
                    pc.storage = s.clone();
                }
                let b = PrusaLink::new(pc, &server, &token).map_err(bad)?;
                let d = Driver::new(b, driver_cfg.clone(), ob);
                tasks.spawn(run_one(label, server, token, d, lc, clock));
            }
            Backend::Bambu {
                host,
                serial,
                access_code,
                tls_fingerprint,
                mqtt_port,
                ftps_port,
            } => {
                let mut bc = BambuConfig::new(host, serial, access_code);
                bc.tls_fingerprint = tls_fingerprint.clone();
                bc.mqtt_port = mqtt_port.unwrap_or(8883);
                bc.ftps_port = ftps_port.unwrap_or(990);
                bc.material = material.clone();
                let b = Bambu::new(bc, &server, &token).map_err(bad)?;
                let d = Driver::new(b, driver_cfg.clone(), ob);
                tasks.spawn(run_one(label, server, token, d, lc, clock));
            }
        }
    }
    Ok(())
}
