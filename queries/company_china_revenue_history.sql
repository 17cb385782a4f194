-- company_china_revenue_history: reported China revenue and share by company and fiscal year,
-- gaps included (value NULL, status 'gap') so charts can show them as gaps.
-- Parameters: none.
-- Columns: company, fiscal_year, calendar_year, metric, value, unit, scope, status, source_id, note
SELECT company, fiscal_year, calendar_year, metric, value, unit, scope, status, source_id, note
FROM company_financials
WHERE metric IN ('china_revenue', 'china_share_pct')
ORDER BY company, calendar_year, fiscal_year;
