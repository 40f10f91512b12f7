-- Facts stated in the prose (a fact the report does not state has no row).
select report_id, fact, value, unit, text, source_line
from {{ ref('stg_narrative_facts') }}
