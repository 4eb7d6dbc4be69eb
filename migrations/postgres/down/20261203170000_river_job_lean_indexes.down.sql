-- Reverts 20261203170000_river_job_lean_indexes.sql: River's two GIN indexes as its migration 002 made them.
CREATE INDEX "river_job_args_index" ON river_job USING GIN(args);
CREATE INDEX "river_job_metadata_index" ON river_job USING GIN(metadata);
