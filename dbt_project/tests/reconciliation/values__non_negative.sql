-- Generated from schemas/codes.yaml by `ogi docs`: every count >= 0 (except change)
-- Warn only: a report that breaks the rule is published with its finding.
{{ config(severity='warn', store_failures=true, meta={'dagster': {'ref': {'name': 'fct_reconciliation'}}}) }}
select report_id, rule, scope, lhs, rhs from (SELECT report_id, 'values.non_negative' AS rule, 'all' AS scope, CASE WHEN min(v) < 0 THEN min(v) WHEN count(*) FILTER (WHERE v IS NULL) > 0 THEN NULL ELSE min(v) END AS lhs, 0.0 AS rhs FROM (SELECT report_id, value::DOUBLE AS v FROM {{ ref('fct_disclosures') }} WHERE measure NOT IN ('change') UNION ALL SELECT report_id, count::DOUBLE AS v FROM {{ ref('fct_applications') }} UNION ALL SELECT report_id, count::DOUBLE AS v FROM {{ ref('fct_litigation') }}) GROUP BY report_id) as operands
where lhs < rhs
