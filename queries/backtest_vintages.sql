-- backtest_vintages: inputs set with data from a later year, and the value they would have had without it.
-- Parameters: none.
-- Columns: name (a parameter, or us_import_gate@<self_reliance rung>), known_from, prior, basis, source_ids, note
SELECT name, known_from, prior, basis, source_ids, note
FROM backtest_vintages
ORDER BY known_from, name;
