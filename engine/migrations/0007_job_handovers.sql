-- Live farm (issue #3): jobs handed to a printer (`assign_job` sent) whose start is not
-- recorded yet. Written before the assignment is sent; removed when the job starts, when the
-- printer rejects it, or when the printer asks for work again (so it does not hold it). A
-- restarted server keeps these jobs on their printer until its agent has reported, so a job a
-- printer may already be printing is never handed to a second printer.
CREATE TABLE job_handovers (
    job_id BIGINT PRIMARY KEY REFERENCES jobs (id),
    printer_id BIGINT NOT NULL REFERENCES printers (id),
    handed_at BIGINT NOT NULL
);
CREATE INDEX job_handovers_printer ON job_handovers (printer_id);
