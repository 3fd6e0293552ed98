use serde_json::json;

use super::*;

fn job() -> PlJob {
    PlJob {
        id: 7,
        file: "gantry-job-7-x-1.gcode".into(),
        link_id: Some(12),
        started_ms: 0,
        seen_running: false,
        cancelled: false,
        last_pct: 0,
        ended: None,
    }
}

fn st(state: &str, job_id: Option<i64>, progress: f64) -> Status {
    Status {
        state: state.into(),
        job_id,
        progress: Some(progress),
        ..Status::default()
    }
}

#[test]
fn maps_prusalink_states_to_phases() {
    let mut j = job();
    j.link_id = None;
    // Uploaded, not recognised yet (another job's id in the status): still printing.
    assert_eq!(
        phase_of(&mut j, &st("FINISHED", Some(11), 100.0), 10),
        (Phase::Printing, 0)
    );
    j.link_id = Some(12);
    assert_eq!(
        phase_of(&mut j, &st("PRINTING", Some(12), 42.7), 20),
        (Phase::Printing, 42)
    );
    assert_eq!(
        phase_of(&mut j, &st("PAUSED", Some(12), 50.0), 30),
        (Phase::Paused, 50)
    );
    assert_eq!(
        phase_of(&mut j, &st("ATTENTION", Some(12), 51.0), 35),
        (Phase::Paused, 51)
    );
    // The status drops the job once it finished: the job seen running is ours, at its last progress.
    assert_eq!(
        phase_of(&mut j, &st("FINISHED", None, 0.0), 40),
        (Phase::Done, 51)
    );
    assert_eq!(
        phase_of(&mut j, &st("PRINTING", Some(13), 3.0), 50).0,
        Phase::Done,
        "the end sticks"
    );

    let mut j = job();
    phase_of(&mut j, &st("PRINTING", Some(12), 30.0), 10);
    assert_eq!(
        phase_of(&mut j, &st("STOPPED", Some(12), 30.0), 20),
        (
            Phase::Failed {
                reason: "the print was stopped at the printer".into()
            },
            30
        )
    );
    let mut j = job();
    j.cancelled = true;
    assert_eq!(
        phase_of(&mut j, &st("STOPPED", None, 0.0), 10).0,
        Phase::Cancelled
    );
    let mut j = job();
    j.link_id = None;
    // Another job finished before ours started (not seen running): not ours.
    assert_eq!(
        phase_of(&mut j, &st("FINISHED", None, 0.0), 10),
        (Phase::Printing, 0)
    );
    let mut j = job();
    assert!(matches!(
        phase_of(&mut j, &st("ERROR", None, 0.0), 10).0,
        Phase::Failed { .. }
    ));
    let mut j = job();
    j.link_id = None;
    assert_eq!(
        phase_of(&mut j, &st("IDLE", None, 0.0), START_GRACE_MS + 1).0,
        Phase::Failed {
            reason: "PrusaLink did not start the print".into()
        }
    );
}

#[test]
fn reads_the_status_and_survives_garbage() {
    let s = Status::parse(&json!({
        "printer": {"state": "PRINTING", "temp_nozzle": 214.8, "target_nozzle": 215.0, "temp_bed": 60.1},
        "job": {"id": 12, "progress": 37.0, "time_remaining": 1200}
    }));
    assert_eq!(s.state, "PRINTING");
    assert_eq!(
        (s.job_id, s.progress, s.seconds_left),
        (Some(12), Some(37.0), Some(1200))
    );
    assert_eq!(s.temperatures.nozzle_c, Some(214.8));
    assert_eq!(
        Status::parse(&json!({"printer": "x", "job": [1]})),
        Status::default()
    );
}

#[test]
fn signs_the_path_and_encodes_file_names() {
    assert_eq!(
        request_uri("http://mk4.local:8080/api/v1/status"),
        "/api/v1/status"
    );
    assert_eq!(request_uri("http://mk4.local"), "/");
    assert_eq!(encode_segment("gantry-job-1.gcode"), "gantry-job-1.gcode");
    assert_eq!(encode_segment("a b/c"), "a%20b%2Fc");
    assert!(
        PrusaLink::new(
            PrusaLinkConfig::new("mk4.local", PrusaLinkAuth::ApiKey("k".into())),
            "http://g",
            "t"
        )
        .is_err()
    );
}

#[test]
fn only_idle_states_take_jobs_without_a_job_of_ours() {
    for s in ["IDLE", "READY", "FINISHED", "STOPPED"] {
        assert!(idle_state(s), "{s}");
    }
    // BUSY while PrusaLink starts up (it then refuses to print), someone else's print.
    for s in ["BUSY", "PRINTING", "PAUSED", "ATTENTION", "ERROR", ""] {
        assert!(!idle_state(s), "{s}");
    }
}
