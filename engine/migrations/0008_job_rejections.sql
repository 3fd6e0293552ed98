-- Live farm (issue #3): printers that rejected a job (`job_rejected`, e.g. an OctoPrint agent
-- without G-code for it). The plan no longer places the job on such a printer; a job every
-- printer that could print it has rejected is held with the last reason.
CREATE TABLE job_rejections (
    job_id BIGINT NOT NULL REFERENCES jobs (id),
    printer_id BIGINT NOT NULL REFERENCES printers (id),
    reason TEXT NOT NULL,
    rejected_at BIGINT NOT NULL,
    PRIMARY KEY (job_id, printer_id)
);
