-- A publisher's carried-forward count should reappear as its next year's
-- carried-over count. Warn only: the mismatch is published as a finding
-- (fct_findings, code carryover_mismatch) on the later report.
{{ config(severity='warn', store_failures=true) }}
select report_id, next_report_id, applicant, carried_forward, next_carried_over
from {{ ref('fct_carryover') }}
where not holds
