-- Live farm (issue #3): what an agent's hello says about its printer, kept with its telemetry.
-- `capabilities` is a JSON array of strings; `loaded_material` the material code the agent
-- reports (NULL: not reported). Both are replaced by every hello.
ALTER TABLE printer_telemetry ADD COLUMN capabilities TEXT NOT NULL DEFAULT '[]';
ALTER TABLE printer_telemetry ADD COLUMN loaded_material TEXT;
