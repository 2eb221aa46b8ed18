-- PLACEHOLDER on the registry branch only: number 0019 belongs to parallel work.
-- Drop this file when merging (the lead's branch has the real one).
SELECT 1;
