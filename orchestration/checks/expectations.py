"""Great Expectations suites for the reconciliation rules, run over the staged tables.

One suite per rule of `schemas/codes.yaml`. The operands come from SQL over the
staged rows (`rule_sql`); each suite expects lhs == rhs wherever both are
known. A failing row is a finding about a report, not an error of the run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
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


def run_suites(chunks: Iterable[pd.DataFrame], codes: Codes) -> list[SuiteResult]:
    """Every rule's suite over the operands, a chunk at a time so that memory does not grow with the data.

    chunks: DataFrames of report_id, rule, scope, lhs, rhs (`rule_sql.all_rules_query`). The expectations
    are about one row each, so the verdicts over the chunks are those over the whole.
    """
    import great_expectations as gx

    ctx = _context()
    source = ctx.data_sources.add_pandas("staged")
    validations = {}
    for rule in codes.rules:
        batch = source.add_dataframe_asset(rule).add_batch_definition_whole_dataframe(f"{rule}.all")
        suite = ctx.suites.add(gx.ExpectationSuite(name=f"reconciliation.{rule}"))
        suite.add_expectation(_expectation(rule))
        validations[rule] = ctx.validation_definitions.add(
            gx.ValidationDefinition(name=f"validate.{rule}", data=batch, suite=suite)
        )
    evaluated = dict.fromkeys(codes.rules, 0)
    violations: dict[str, list[tuple[str, str]]] = {rule: [] for rule in codes.rules}
    for operands in chunks:
        for rule, validation in validations.items():
            frame = operands[operands["rule"] == rule].reset_index(drop=True)
            if frame.empty:
                continue
            result = validation.run(
                batch_parameters={"dataframe": frame},
                result_format={
                    "result_format": "COMPLETE",
                    "unexpected_index_column_names": ["report_id", "scope"],
                },
            )
            unexpected = result.results[0].result.get("unexpected_index_list") or []
            violations[rule] += [(row["report_id"], row["scope"]) for row in unexpected]
            evaluated[rule] += len(frame)
    return [SuiteResult(rule, evaluated[rule], tuple(sorted(violations[rule]))) for rule in codes.rules]


def _expectation(rule: str):
    import great_expectations as gx

    if rule == "values.non_negative":
        return gx.expectations.ExpectColumnValuesToBeBetween(column="lhs", min_value=0)
    return gx.expectations.ExpectColumnPairValuesToBeEqual(
        column_A="lhs", column_B="rhs", ignore_row_if="either_value_is_missing"
    )
