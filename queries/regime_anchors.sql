-- regime_anchors: the named regimes a lever value stands for, with the export-control terms.
-- Parameters: $lever (text: 'export_controls' or 'self_reliance').
-- Columns: lever, value, label, legal_price_perf_index, us_price_index, licence_availability,
--          fee_share, basis, source_ids, note
SELECT lever, value, label, legal_price_perf_index, us_price_index, licence_availability,
       fee_share, basis, source_ids, note
FROM regime_anchors
WHERE lever = $lever
ORDER BY value;
