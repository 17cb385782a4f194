-- regime_history: the lever settings replayed for the years before the sliders act (2024-2025).
-- Parameters: none.
-- Columns: year, export_controls, self_reliance, basis, source_ids, note
SELECT year, export_controls, self_reliance, basis, source_ids, note
FROM regime_history
ORDER BY year;
