-- Facts stated in the prose, with the fact's unit.
select
    n.report_id,
    n.fact,
    n.value,
    f.unit,
    n.text,
    n.source_line
from {{ source('staging', 'narrative_facts') }} as n
left join {{ ref('stg_codes') }} as f on f.list = 'facts' and f.code = n.fact
