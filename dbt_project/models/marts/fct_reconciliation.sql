-- The reconciliation rules per report and scope, as the parser computed them over the printed numbers.
select report_id, rule, scope, holds, lhs, rhs
from {{ ref('stg_reconciliation') }}
