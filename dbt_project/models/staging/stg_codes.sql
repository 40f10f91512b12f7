-- Every code with its labels (from schemas/codes.yaml, loaded by the pipeline).
select list, code, zh, en, unit, section, templates
from {{ source('staging', 'codes') }}
