-- The parser's verdict per rule and scope, over the numbers as printed.
select report_id, rule, scope, holds, lhs, rhs
from {{ source('staging', 'reconciliation') }}
