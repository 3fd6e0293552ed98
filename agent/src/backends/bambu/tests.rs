use super::*;

fn job() -> BbJob {
    BbJob {
        id: 7,
        file: "gantry-job-7-x-1.gcode".into(),
        started_ms: 0,
        seen_running: false,
        cancelled: false,
        ended: None,
    }
}

fn v(state: &str, subtask: &str, pct: f64) -> View {
    View {
        state: state.into(),
        subtask: subtask.into(),
        percent: Some(pct),
        ..View::default()
    }
}

const F: &str = "gantry-job-7-x-1.gcode";

#[test]
fn maps_bambu_gcode_states_to_phases() {
    let mut j = job();
    assert_eq!(
        phase_of(&mut j, &v("FINISH", "earlier", 100.0), 10),
        (Phase::Printing, 0)
    );
    assert_eq!(phase_of(&mut j, &v("PREPARE", F, 0.0), 15), (Phase::Printing, 0));
    // The printer may name the subtask without the extension.
    assert_eq!(
        phase_of(&mut j, &v("RUNNING", "gantry-job-7-x-1", 42.0), 20),
        (Phase::Printing, 42)
    );
    assert_eq!(phase_of(&mut j, &v("PAUSE", F, 50.0), 30), (Phase::Paused, 50));
    assert_eq!(phase_of(&mut j, &v("FINISH", F, 100.0), 40), (Phase::Done, 100));
    assert_eq!(
        phase_of(&mut j, &v("RUNNING", "next", 1.0), 50).0,
        Phase::Done,
        "the end sticks"
    );

    let mut j = job();
    phase_of(&mut j, &v("RUNNING", F, 30.0), 10);
    let mut failed = v("FAILED", F, 30.0);
    failed.print_error = 0x0300_400C;
    assert_eq!(
        phase_of(&mut j, &failed, 20),
        (
            Phase::Failed {
                reason: "Bambu Lab print error 0300400C".into()
            },
            30
        )
    );
    let mut j = job();
    phase_of(&mut j, &v("RUNNING", F, 30.0), 10);
    j.cancelled = true;
    assert_eq!(phase_of(&mut j, &v("FAILED", F, 30.0), 20).0, Phase::Cancelled);
    let mut j = job();
    assert_eq!(
        phase_of(&mut j, &v("IDLE", "", 0.0), START_GRACE_MS + 1).0,
        Phase::Failed {
            reason: "the printer did not start the print".into()
        }
    );
}

#[test]
fn reads_reports_with_numbers_as_strings_and_garbage() {
    let report = json!({
        "gcode_state": "running", "subtask_name": F, "mc_percent": 12, "mc_remaining_time": 33,
        "nozzle_temper": 219.5, "bed_temper": "55.0", "print_error": 0, "layer_num": 3
    });
    let view = View::parse(report.as_object().unwrap());
    assert_eq!(view.state, "RUNNING");
    assert_eq!((view.percent, view.minutes_left), (Some(12.0), Some(33)));
    assert_eq!(
        view.temperatures,
        Temperatures {
            nozzle_c: Some(219.5),
            bed_c: Some(55.0),
            ..Default::default()
        }
    );
    assert_eq!(view.readings.layer, Some(3));
    assert_eq!(view.readings.printer_error, None);
    let runout = json!({"gcode_state": "PAUSE", "print_error": 117473297, "nozzle_target_temper": 220});
    let view = View::parse(runout.as_object().unwrap());
    assert_eq!(view.readings.filament_runout, Some(true));
    assert_eq!(
        view.readings.printer_error.as_deref(),
        Some("Bambu print_error 07008011")
    );
    assert_eq!(view.temperatures.nozzle_target_c, Some(220.0));
    let junk = json!({"gcode_state": 5, "mc_percent": "lots", "nozzle_temper": [1]});
    assert_eq!(View::parse(junk.as_object().unwrap()), View::default());
}
