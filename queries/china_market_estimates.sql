-- china_market_estimates: published estimates of China's AI-accelerator market by source,
-- year, vendor and metric, for overlays on the projections.
-- Parameters: $metric (text, e.g. 'share_value', 'share_units', 'units', 'production_units').
-- Columns: estimate_source, year, vendor, metric, value, unit, scope, kind, source_id, note,
--          source_title, source_url, confidence
SELECT e.estimate_source, e.year, e.vendor, e.metric, e.value, e.unit, e.scope, e.kind,
       e.source_id, e.note, s.title AS source_title, s.url AS source_url, s.confidence
FROM china_market_estimates AS e
LEFT JOIN sources AS s ON s.source_id = split_part(e.source_id, ';', 1)
WHERE e.metric = $metric
ORDER BY e.year, e.vendor, e.estimate_source;
