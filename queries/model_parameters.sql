-- model_parameters: every model parameter with its default, range and basis.
-- Parameters: none.
-- Columns: name, group, label, default, low, high, unit, basis, source_ids, note
SELECT name, "group", label, "default", low, high, unit, basis, source_ids, note
FROM parameters
ORDER BY "group", name;
