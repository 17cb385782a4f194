-- sources: the sources table (one row per cited figure id).
-- Parameters: none.
-- Columns: source_id, title, url, publisher, date, confidence, locator
SELECT source_id, title, url, publisher, date, confidence, locator
FROM sources
ORDER BY source_id;
