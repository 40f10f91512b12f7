-- The parser's findings, with each code's severity.
select
    f.report_id,
    f.seq,
    f.code,
    c.section as severity,
    f.message,
    f.scope,
    f.source_line
from {{ source('staging', 'findings') }} as f
left join {{ ref('stg_codes') }} as c on c.list = 'findings' and c.code = f.code
