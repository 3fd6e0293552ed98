-- Issue #17 (printer fleet): what planners see of a printer beyond its status.

-- The latest readings of a printer beside its temperatures: targets (tenths of a degree, as
-- nozzle_dc/bed_dc), the layer, filament runout, the printer's own error text, and when its
-- camera last sent a snapshot (the JPEG itself is in object storage).
ALTER TABLE printer_telemetry ADD COLUMN nozzle_target_dc BIGINT;
ALTER TABLE printer_telemetry ADD COLUMN bed_target_dc BIGINT;
ALTER TABLE printer_telemetry ADD COLUMN layer BIGINT;
ALTER TABLE printer_telemetry ADD COLUMN total_layers BIGINT;
ALTER TABLE printer_telemetry ADD COLUMN filament_runout BIGINT;
ALTER TABLE printer_telemetry ADD COLUMN printer_error TEXT;
ALTER TABLE printer_telemetry ADD COLUMN readings_at BIGINT;
ALTER TABLE printer_telemetry ADD COLUMN snapshot_at BIGINT;

-- A sample of each printer's readings at most every few seconds (TELEMETRY_SAMPLE_SECS), for
-- the charts of the last hours; rows older than TELEMETRY_RETENTION_HOURS are pruned.
CREATE TABLE printer_telemetry_samples (
    printer_id BIGINT NOT NULL REFERENCES printers (id),
    at BIGINT NOT NULL,
    nozzle_dc BIGINT,
    nozzle_target_dc BIGINT,
    bed_dc BIGINT,
    bed_target_dc BIGINT,
    progress_pct BIGINT,
    layer BIGINT,
    PRIMARY KEY (printer_id, at)
);
CREATE INDEX printer_telemetry_samples_at ON printer_telemetry_samples (at);

-- Camera pictures kept for a job's history: taken by the printer's agent when the job
-- started, ended or failed (object storage key of the JPEG).
CREATE TABLE job_snapshots (
    id ID_PK,
    job_id BIGINT NOT NULL REFERENCES jobs (id),
    printer_id BIGINT NOT NULL REFERENCES printers (id),
    moment TEXT NOT NULL CHECK (moment IN ('start', 'end', 'failed')),
    object_key TEXT NOT NULL,
    taken_at BIGINT NOT NULL
);
CREATE INDEX job_snapshots_job ON job_snapshots (job_id, taken_at);
