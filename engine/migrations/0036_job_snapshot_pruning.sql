-- Kept job snapshots are pruned after GANTRY_SNAPSHOT_RETENTION_DAYS (oldest first, by time);
-- a JPEG is deleted once no kept snapshot refers to its key.
CREATE INDEX job_snapshots_taken ON job_snapshots (taken_at);
CREATE INDEX job_snapshots_object ON job_snapshots (object_key);
