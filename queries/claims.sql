-- claims: published claims (the seed article's and analysts'), each with our paraphrase, where it was made,
-- the stored verdict, a two-sentence explanation with {placeholders} filled at run time, the source ids
-- that bear on it and, for checkable claims, the condition the data or the engine test.
-- Parameters: none.
-- Columns: claim_id, claim, made_by, verdict, explanation, source_ids, condition_kind, metric, entity, versus,
--          year, comparison, threshold, lever, other_lever, page
SELECT claim_id, claim, made_by, verdict, explanation, source_ids, condition_kind, metric, entity, versus,
       year, comparison, threshold, lever, other_lever, page
FROM claims
ORDER BY claim_id;
