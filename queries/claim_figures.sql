-- claim_figures: the figures that bear on each claim, as lookups into the data tables or the model
-- (resolved by chokepoint/claims.py), in file order within each claim.
-- Parameters: none.
-- Columns: claim_id, key, label, dataset, selector, source_ids
SELECT claim_id, key, label, dataset, selector, source_ids
FROM claim_figures
ORDER BY claim_id, rowid;
