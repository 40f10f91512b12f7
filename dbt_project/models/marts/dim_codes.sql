-- Every code the published tables use, with its Chinese and English labels.
select list, code, zh, en, unit, section, templates
from {{ ref('stg_codes') }}
