-- Section 二 cells with the unit of their measure.
select
    d.report_id,
    d.item,
    d.measure,
    d.value,
    m.unit,
    d.null_reason,
    d.source_line,
    d.source_where
from {{ source('staging', 'disclosures') }} as d
left join {{ ref('stg_codes') }} as m on m.list = 'measures' and m.code = d.measure
