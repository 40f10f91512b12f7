-- A publisher's 结转下年度继续办理 (carried_forward) in one year against its
-- 上年结转 (carried_over) in the next, per applicant column. Publishers are
-- matched by the catalog's name, years by the catalog's year. Null when either
-- side is null: a missing number is never taken as zero.
with reports as (
    select report_id, catalog_publisher, catalog_year from {{ ref('stg_reports') }}
),

cells as (
    select report_id, row, applicant, count from {{ ref('stg_applications') }}
    where row in ('carried_forward', 'carried_over')
),

pairs as (
    select
        this.report_id,
        nxt.report_id as next_report_id,
        this.catalog_publisher,
        this.catalog_year as year
    from reports as this
    inner join reports as nxt
        on nxt.catalog_publisher = this.catalog_publisher
        and nxt.catalog_year = this.catalog_year + 1
)

select
    p.report_id,
    p.next_report_id,
    p.catalog_publisher,
    p.year,
    fwd.applicant,
    fwd.count as carried_forward,
    ovr.count as next_carried_over,
    fwd.count = ovr.count as holds
from pairs as p
inner join cells as fwd on fwd.report_id = p.report_id and fwd.row = 'carried_forward'
inner join cells as ovr
    on ovr.report_id = p.next_report_id and ovr.row = 'carried_over' and ovr.applicant = fwd.applicant
