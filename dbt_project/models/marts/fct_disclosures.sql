-- Section 二: report × item × measure → value (null stays null, with its reason).
select report_id, item, measure, value, unit, null_reason, source_line, source_where
from {{ ref('stg_disclosures') }}
