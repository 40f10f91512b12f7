"""Table contracts: pandera schemas derived from the Frictionless table schemas in `schemas/tables/`.

Nothing here restates a column: types, required, enums (from codes.yaml),
ranges and patterns all come from the table schema. Only pandas' nullable
dtypes are set here, because Frictionless has no notion of them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.parquet as pq
from pandera.io.pandas_io import from_frictionless_schema

from orchestration import tables

_NULLABLE = {"integer": "Int64", "boolean": "boolean"}
_ARROW_TO_PANDAS = {pa_arrow.int64(): pd.Int64Dtype(), pa_arrow.bool_(): pd.BooleanDtype()}


@cache
def contract(name: str) -> pa.DataFrameSchema:
    doc = tables.resolved(name)
    schema = from_frictionless_schema(doc)
    updates = {}
    for field in doc["fields"]:
        nullable = not field.get("constraints", {}).get("required", False)
        if field["type"] in _NULLABLE:
            updates[field["name"]] = {"dtype": _NULLABLE[field["type"]], "nullable": nullable}
    schema = schema.update_columns(updates)
    return pa.DataFrameSchema(
        columns=schema.columns,
        unique=doc["primaryKey"],
        strict=True,
        ordered=True,
        coerce=True,
        name=doc["name"],
        description=doc.get("description"),
    )


def read_frame(path: Path) -> pd.DataFrame:
    """A staged Parquet file with nullable integer and boolean columns (nulls stay nulls)."""
    return pq.read_table(path).to_pandas(types_mapper=_ARROW_TO_PANDAS.get)


def failures(name: str, frame: pd.DataFrame) -> pd.DataFrame | None:
    """The failure cases of the contract, or None when the frame satisfies it."""
    try:
        contract(name).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return exc.failure_cases
    return None


def file_failures(name: str, path: Path) -> tuple[int, pd.DataFrame | None]:
    """Rows and failure cases of a staged file, checked one row group at a time (memory stays flat).

    Staging puts all rows of a report in one row group and every key starts with
    report_id, so a key can only repeat within a row group: the checks per group
    are the checks of the whole file.
    """
    parquet = pq.ParquetFile(path)
    groups = [parquet.read_row_group(i) for i in range(parquet.num_row_groups)] or [
        parquet.schema_arrow.empty_table()
    ]
    rows, found = 0, []
    for group in groups:
        frame = group.to_pandas(types_mapper=_ARROW_TO_PANDAS.get)
        rows += len(frame)
        failed = failures(name, frame)
        if failed is not None:
            found.append(failed)
    return rows, pd.concat(found, ignore_index=True) if found else None
