-- chip_specs: chips and rack-scale systems with compute, memory, bandwidth and power, plus
-- compute per kilowatt where both are known.
-- Parameters: none.
-- Columns: system, vendor, kind, bf16_dense_tflops, memory_gb, memory_bandwidth_tbs, power_kw,
--          interconnect_gbs, tpp, chips_per_system, tflops_per_kw, source_ids, note
SELECT system, vendor, kind, bf16_dense_tflops, memory_gb, memory_bandwidth_tbs, power_kw,
       interconnect_gbs, tpp, chips_per_system,
       bf16_dense_tflops / NULLIF(power_kw, 0) AS tflops_per_kw,
       source_ids, note
FROM chip_specs
ORDER BY kind, vendor, system;
