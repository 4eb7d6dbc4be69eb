-- Written by hand (issue 21): River's job table without its two GIN indexes. Every event of the
-- shop is a river_job row, inserted in the checkout's transaction and updated twice by the worker
-- (running, completed: updates of an indexed column, so never HOT), and every new row version
-- put all its args' and metadata's keys into these indexes. Nothing queries jobs by args or
-- metadata containment (the delivery log lists by kind and tags); River's own queries use the
-- primary key, kind, state and unique_key indexes.
DROP INDEX "river_job_args_index";
DROP INDEX "river_job_metadata_index";
