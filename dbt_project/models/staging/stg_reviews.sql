-- Section 四 cells: reconsideration and lawsuits by outcome.
select
    report_id,
    proceeding,
    outcome,
    count,
    null_reason,
    source_line,
    source_where
from {{ source('staging', 'reviews') }}
