-- One row per parsed report, with the publisher's administrative level read
-- from the division code's zero padding (GB/T 2260); unknown without one
-- and for village-level statistical codes (not a level that publishes).
select
    report_id,
    publisher,
    catalog_publisher,
    year,
    catalog_year,
    template,
    case
        when division_code is null then null
        when length(division_code) = 12 and substr(division_code, 10, 3) <> '000' then null
        when length(division_code) = 12 and substr(division_code, 7, 3) <> '000' then 'township'
        when substr(division_code, 3, 4) = '0000' then 'province'
        when substr(division_code, 5, 2) = '00' then 'prefecture'
        else 'county'
    end as level,
    division_code,
    form,
    source,
    raw_sha256,
    -- Only a fetch over the network has a retrieval time worth publishing: a file
    -- bundled with the repository is read, not fetched (raw_sha256 says which bytes),
    -- and the time it was read would make every fresh build's release differ.
    case when source like 'http://%' or source like 'https://%' then retrieved_at end as retrieved_at,
    parser_version,
    cells,
    null_cells
from {{ source('staging', 'reports') }}
