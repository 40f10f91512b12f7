-- Section 三 cells with their row's group and whether only one template prints the row.
select
    a.report_id,
    a.row,
    a.applicant,
    a.count,
    r.section as row_section,
    (length(r.templates) - length(replace(r.templates, ',', ''))) = 0 as single_template_row,
    a.null_reason,
    a.source_line,
    a.source_where
from {{ source('staging', 'applications') }} as a
left join {{ ref('stg_codes') }} as r on r.list = 'rows' and r.code = a.row
