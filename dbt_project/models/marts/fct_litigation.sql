-- Section 四: report × proceeding × outcome → count.
select report_id, proceeding, outcome, count, null_reason, source_line, source_where
from {{ ref('stg_reviews') }}
