-- policy_events: the dated timeline of export-control and self-reliance events.
-- Parameters: none.
-- Columns: date, year, actor, kind, title, description, lever, source_id
SELECT date, year(date) AS year, actor, kind, title, description, lever, source_id
FROM policy_events
ORDER BY date;
