-- Section 三: report × row × applicant → count, with the row's group.
select
    report_id, row, applicant, count, row_section, single_template_row, null_reason, source_line, source_where
from {{ ref('stg_applications') }}
