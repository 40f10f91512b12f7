-- The parser's findings plus the cross-year carry-over mismatches, which only
-- the marts can see (they span two reports). A mismatch is a finding on the
-- later report, numbered after that report's own findings.
with parser as (
    select report_id, seq, code, severity, message, scope, source_line from {{ ref('stg_findings') }}
),

mismatches as (
    select
        c.next_report_id as report_id,
        row_number() over (partition by c.next_report_id order by c.report_id, c.applicant) as n,
        c.applicant,
        c.report_id as previous_report_id,
        c.carried_forward,
        c.next_carried_over
    from {{ ref('fct_carryover') }} as c
    where c.holds = false
),

carried_over_lines as (
    select report_id, applicant, source_line from {{ ref('stg_applications') }} where row = 'carried_over'
),

last_seq as (
    select report_id, max(seq) as seq from parser group by report_id
)

select * from parser
union all
select
    m.report_id,
    coalesce(s.seq, -1) + m.n as seq,
    'carryover_mismatch' as code,
    c.section as severity,
    '上年结转 ' || m.next_carried_over || ' ≠ 结转下年度继续办理 ' || m.carried_forward
    || ' of ' || m.previous_report_id as message,
    'carryover:' || m.applicant as scope,
    l.source_line
from mismatches as m
left join last_seq as s on s.report_id = m.report_id
left join carried_over_lines as l on l.report_id = m.report_id and l.applicant = m.applicant
left join {{ ref('stg_codes') }} as c on c.list = 'findings' and c.code = 'carryover_mismatch'
