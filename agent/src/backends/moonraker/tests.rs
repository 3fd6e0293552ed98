use super::*;

fn job() -> MrJob {
    MrJob {
        id: 7,
        file: "gantry-job-7-x-1.gcode".into(),
        started_ms: 0,
        seen_running: false,
        cancelled: false,
        ended: None,
    }
}

fn view(state: &str, file: &str, progress: f64) -> View {
    View {
        klippy: "ready".into(),
        state: state.into(),
        file: file.into(),
        progress,
        ..View::default()
    }
}

const F: &str = "gantry-job-7-x-1.gcode";

#[test]
fn maps_klipper_print_states_to_phases() {
    let mut j = job();
    // Uploaded, not started yet: still printing (within the grace period).
    assert_eq!(phase_of(&mut j, &view("standby", "", 0.0), 10).0, Phase::Printing);
    assert_eq!(
        phase_of(&mut j, &view("printing", F, 0.427), 20),
        (Phase::Printing, 42)
    );
    assert_eq!(phase_of(&mut j, &view("paused", F, 0.5), 30), (Phase::Paused, 50));
    assert_eq!(
        phase_of(&mut j, &view("complete", F, 1.0), 40),
        (Phase::Done, 100)
    );
    // The end sticks, whatever Klipper shows afterwards.
    assert_eq!(
        phase_of(&mut j, &view("printing", "other.gcode", 0.03), 50).0,
        Phase::Done
    );

    // Stopped at the printer after it ran: failed, at the progress it reached.
    let mut j = job();
    phase_of(&mut j, &view("printing", F, 0.3), 10);
    let (p, pct) = phase_of(&mut j, &view("standby", F, 0.3), 20);
    assert_eq!(
        p,
        Phase::Failed {
            reason: "the print stopped at the printer".into()
        }
    );
    assert_eq!(pct, 30);
    let mut j = job();
    phase_of(&mut j, &view("printing", F, 0.3), 10);
    assert_eq!(
        phase_of(&mut j, &view("cancelled", F, 0.3), 20).0,
        Phase::Failed {
            reason: "the print was cancelled at the printer".into()
        }
    );

    // Cancelled by the agent: printing while Klipper stops, then cancelled.
    let mut j = job();
    j.cancelled = true;
    assert_eq!(
        phase_of(&mut j, &view("printing", F, 0.12), 10).0,
        Phase::Printing
    );
    assert_eq!(
        phase_of(&mut j, &view("cancelled", F, 0.12), 20).0,
        Phase::Cancelled
    );

    // Klipper's own error, and a shutdown (emergency stop, MCU lost).
    let mut j = job();
    let mut v = view("error", F, 0.2);
    v.message = "Move out of range: 250.000 0.000 0.200\nmore".into();
    assert_eq!(
        phase_of(&mut j, &v, 10).0,
        Phase::Failed {
            reason: "Klipper: Move out of range: 250.000 0.000 0.200".into()
        }
    );
    let mut j = job();
    let mut v = view("printing", F, 0.2);
    v.klippy = "shutdown".into();
    v.klippy_message = "Shutdown due to M112 command\nOnce the underlying issue is corrected".into();
    assert_eq!(
        phase_of(&mut j, &v, 10).0,
        Phase::Failed {
            reason: "Klipper shutdown: Shutdown due to M112 command".into()
        }
    );

    // Never started.
    let mut j = job();
    assert_eq!(
        phase_of(&mut j, &view("standby", "", 0.0), START_GRACE_MS + 1).0,
        Phase::Failed {
            reason: "Moonraker did not start the print".into()
        }
    );
}

#[test]
fn reads_klippers_objects_and_estimates_time_left() {
    let mut live = Live::default();
    rpc::merge_status(
        &mut live.status,
        &json!({
            "webhooks": {"state": "ready", "state_message": "Printer is ready"},
            "print_stats": {"state": "printing", "filename": F, "print_duration": 300.0, "message": ""},
            "virtual_sdcard": {"progress": 0.25},
            "extruder": {"temperature": 215.3, "target": 215.0},
            "heater_bed": {"temperature": 59.9, "target": 60.0}
        }),
    );
    let v = View::parse(&live);
    assert_eq!(
        (v.klippy.as_str(), v.state.as_str(), v.file.as_str()),
        ("ready", "printing", F)
    );
    assert_eq!(v.temperatures.nozzle_c, Some(215.3));
    assert_eq!(v.temperatures.bed_c, Some(59.9));
    assert_eq!(v.seconds_left(), Some(900));
    // Garbage where numbers belong reads as absent, never as a crash.
    let mut live = Live::default();
    rpc::merge_status(
        &mut live.status,
        &json!({"virtual_sdcard": {"progress": "lots"}, "extruder": {"temperature": null}, "print_stats": 5}),
    );
    let v = View::parse(&live);
    assert_eq!(v.progress, 0.0);
    assert_eq!(v.temperatures, Temperatures::default());
    assert_eq!(v.seconds_left(), None);
}

#[test]
fn websocket_url_follows_the_scheme() {
    assert_eq!(
        websocket_url("http://k.local:7125").unwrap(),
        "ws://k.local:7125/websocket"
    );
    assert_eq!(
        websocket_url("https://k.local").unwrap(),
        "wss://k.local/websocket"
    );
    assert!(websocket_url("k.local:7125").is_err());
    assert!(websocket_url("ftp://k.local").is_err());
}

#[test]
fn reads_targets_layers_and_klipper_errors() {
    let status = serde_json::json!({
        "webhooks": {"state": "ready", "state_message": "Printer is ready"},
        "print_stats": {"state": "printing", "filename": F, "info": {"current_layer": 12, "total_layer": 140}},
        "extruder": {"temperature": 214.6, "target": 215.0},
        "heater_bed": {"temperature": 59.9, "target": 60.0},
    });
    let live = Live {
        connected: true,
        subscribed: true,
        error: None,
        status: status.as_object().unwrap().clone(),
    };
    let v = View::parse(&live);
    assert_eq!(
        (v.temperatures.nozzle_target_c, v.temperatures.bed_target_c),
        (Some(215.0), Some(60.0))
    );
    assert_eq!((v.readings.layer, v.readings.total_layers), (Some(12), Some(140)));
    assert_eq!(v.readings.printer_error, None);
    let mut down = live.clone();
    down.status.insert(
        "webhooks".into(),
        serde_json::json!({"state": "shutdown", "state_message": "MCU 'mcu' shutdown: Timer too close\nmore"}),
    );
    assert_eq!(
        View::parse(&down).readings.printer_error.as_deref(),
        Some("Klipper shutdown: MCU 'mcu' shutdown: Timer too close")
    );
}
