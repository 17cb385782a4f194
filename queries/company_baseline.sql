-- company_baseline: each company's base-year China and total revenue converted to USD bn.
-- Parameters: $eur_usd (USD per EUR), $jpy_usd (USD per 100 JPY).
-- Columns: company, kind, base_fiscal_year, base_calendar_year, china_revenue_usd_bn, total_revenue_usd_bn,
--          china_basis, status, source_ids, note
SELECT company, kind, base_fiscal_year, base_calendar_year,
       china_revenue * fx AS china_revenue_usd_bn,
       total_revenue * fx AS total_revenue_usd_bn,
       china_basis, status, source_ids, note
FROM (
    SELECT *, CASE currency WHEN 'USD' THEN 1.0 WHEN 'EUR' THEN $eur_usd
                            WHEN 'JPY' THEN $jpy_usd / 100.0 END AS fx
    FROM company_baseline
)
ORDER BY kind, company;
