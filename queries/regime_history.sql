-- regime_history: the regimes replayed for the years before the levers act (2024-2026), one row per part of a
-- year (start_month, months) with the chip-control rung, the tool, HBM and enforcement levels and the self-reliance push.
-- Parameters: none.
-- Columns: year, start_month, months, export_controls, equipment, hbm, enforcement, self_reliance, basis, source_ids, note
SELECT year, start_month, months, export_controls, equipment, hbm, enforcement, self_reliance, basis, source_ids, note
FROM regime_history
ORDER BY year, start_month;
