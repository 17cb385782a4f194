-- regime_anchors: the named regimes a lever value stands for. export_controls rows carry the chip terms and the
-- lever ladder (the tool, HBM and enforcement levels that regime imposes); self_reliance rows carry the
-- import gate (the share of licensed US parts China's customs and guidance let in).
-- Parameters: $lever (text: 'export_controls' or 'self_reliance').
-- Columns: lever, value, label, legal_price_perf_index, us_price_index, licence_availability,
--          fee_share, equipment_level, hbm_level, enforcement_level, us_import_gate, basis, source_ids, note
SELECT lever, value, label, legal_price_perf_index, us_price_index, licence_availability,
       fee_share, equipment_level, hbm_level, enforcement_level, us_import_gate, basis, source_ids, note
FROM regime_anchors
WHERE lever = $lever
ORDER BY value;
