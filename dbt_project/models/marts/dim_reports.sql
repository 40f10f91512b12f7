-- One row per report: who, which year, which template, where from, and how
-- many of its cells are null and how many findings it has (cross-year ones too).
with finding_counts as (
    select report_id, count(*) as findings from {{ ref('fct_findings') }} group by report_id
)

select
    r.report_id,
    r.publisher,
    r.catalog_publisher,
    r.year,
    r.catalog_year,
    r.template,
    r.level,
    r.division_code,
    r.form,
    r.source,
    r.raw_sha256,
    r.retrieved_at,
    r.parser_version,
    r.cells,
    r.null_cells,
    coalesce(f.findings, 0) as findings
from {{ ref('stg_reports') }} as r
left join finding_counts as f on f.report_id = r.report_id
