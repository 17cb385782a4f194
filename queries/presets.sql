-- presets: one-click scenarios.
-- Parameters: none.
-- Columns: preset, export_controls, self_reliance, description, basis, source_ids
SELECT preset, export_controls, self_reliance, description, basis, source_ids
FROM presets;
