-- validation_targets: published figures the model is checked against. kind: calibration (a parameter was fitted
-- to it: shown, never counted as evidence) or out-of-sample (not used to fit). base_year set: the target is the
-- change from base_year to year.
-- Parameters: none.
-- Columns: target_id, description, kind, metric, entity, year, base_year, published_value, low, high, unit,
--          basis, source_ids, note, fitted_by, explanation
SELECT target_id, description, kind, metric, entity, year, base_year, published_value, low, high, unit, basis,
       source_ids, note, fitted_by, explanation
FROM validation_targets
ORDER BY kind, year, target_id;
