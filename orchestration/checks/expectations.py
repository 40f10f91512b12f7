"""Great Expectations suites for the reconciliation rules, run over the staged tables.

One suite per rule of `schemas/codes.yaml`. The operands come from SQL over the
staged rows (`rule_sql`); each suite expects lhs == rhs wherever both are
known. A failing row is a finding about a report, not an error of the run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from orchestration.codes import Codes


@dataclass(frozen=True)
class SuiteResult:
    rule: str
    evaluated: int
    violations: tuple[tuple[str, str], ...]
    """(report_id, scope) of every row where the rule does not hold."""

    @property
    def success(self) -> bool:
        return not self.violations


def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return ctx


def run_suites(operands: pd.DataFrame, codes: Codes) -> list[SuiteResult]:
    """operands: report_id, rule, scope, lhs, rhs (from `rule_sql.all_rules_query`)."""
    import great_expectations as gx

    ctx = _context()
    source = ctx.data_sources.add_pandas("staged")
    results = []
    for rule in codes.rules:
        frame = operands[operands["rule"] == rule].reset_index(drop=True)
        asset = source.add_dataframe_asset(rule)
        batch = asset.add_batch_definition_whole_dataframe(f"{rule}.all")
        suite = ctx.suites.add(gx.ExpectationSuite(name=f"reconciliation.{rule}"))
        suite.add_expectation(_expectation(rule))
        validation = ctx.validation_definitions.add(
            gx.ValidationDefinition(name=f"validate.{rule}", data=batch, suite=suite)
        )
        result = validation.run(
            batch_parameters={"dataframe": frame},
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": ["report_id", "scope"],
            },
        )
        unexpected = result.results[0].result.get("unexpected_index_list") or []
        violations = tuple(sorted((row["report_id"], row["scope"]) for row in unexpected))
        results.append(SuiteResult(rule, len(frame), violations))
    return results


def _expectation(rule: str):
    import great_expectations as gx

    if rule == "values.non_negative":
        return gx.expectations.ExpectColumnValuesToBeBetween(column="lhs", min_value=0)
    return gx.expectations.ExpectColumnPairValuesToBeEqual(
        column_A="lhs", column_B="rhs", ignore_row_if="either_value_is_missing"
    )
