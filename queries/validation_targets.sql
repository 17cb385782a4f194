-- validation_targets: published figures the 2024 calibration and 2025 replay must land near.
-- Parameters: none.
-- Columns: target_id, description, metric, entity, year, published_value, low, high, unit, basis,
--          source_ids, note
SELECT target_id, description, metric, entity, year, published_value, low, high, unit, basis,
       source_ids, note
FROM validation_targets
ORDER BY year, target_id;
