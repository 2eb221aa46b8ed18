-- Placeholder so that this branch migrates without gaps while the numbers
-- between are other branches'; the lead drops it at merge.
SELECT 1;
