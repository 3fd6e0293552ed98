-- Printer profiles (issue #17): per printer model the build volume, nozzle, allowed material
-- kinds and a PrusaSlicer configuration (`--load`); per material a filament profile. Estimates
-- and G-code made with them are kept per (uploaded model, printer profile, material), with the
-- revisions of both profiles they were made with (a changed profile is estimated again).

CREATE TABLE printer_profiles (
    id ID_PK,
    printer_model TEXT NOT NULL UNIQUE,
    build_x_mm BIGINT NOT NULL CHECK (build_x_mm > 0),
    build_y_mm BIGINT NOT NULL CHECK (build_y_mm > 0),
    build_z_mm BIGINT NOT NULL CHECK (build_z_mm > 0),
    nozzle_um BIGINT NOT NULL CHECK (nozzle_um > 0),
    -- Material kinds, comma-separated, sorted.
    materials TEXT NOT NULL,
    slicer_config TEXT NOT NULL,
    revision BIGINT NOT NULL CHECK (revision > 0),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE filament_profiles (
    material_id BIGINT PRIMARY KEY REFERENCES materials (id),
    slicer_config TEXT NOT NULL,
    revision BIGINT NOT NULL CHECK (revision > 0),
    updated_at BIGINT NOT NULL
);

CREATE TABLE profiled_estimates (
    model_id BIGINT NOT NULL REFERENCES models (id),
    profile_id BIGINT NOT NULL REFERENCES printer_profiles (id),
    material_id BIGINT NOT NULL REFERENCES materials (id),
    profile_revision BIGINT NOT NULL,
    -- 0 when the material has no filament profile.
    filament_revision BIGINT NOT NULL,
    -- The estimate as JSON (method, volume, minutes, G-code key, settings).
    estimate TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (model_id, profile_id, material_id)
);

-- The printer model (and its profile, when one was used) a quote was estimated for.
ALTER TABLE quotes ADD COLUMN printer_model TEXT;
ALTER TABLE quotes ADD COLUMN printer_profile_id BIGINT REFERENCES printer_profiles (id);
