"""What a row must hold for its template, its mode and its criterion to grade it.

Checked for every row before anything is written, so a file missing a field fails with one
line naming the file, line and field, and a hint saying where the field can come from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from judgekit.errors import DatasetError
from judgekit.inputs.criteria import Criterion
from judgekit.inputs.prompts import Template
from judgekit.inputs.template_inputs import missing_requirements
from judgekit.schema import Item

WHERE_FROM = {
    "reference": " (add a 'reference' column, or pass --generate-reference)",
    "rubric": " (add a 'rubric' column, or pass --rubric FILE)",
    "context": " (add a 'context' column, or map one with --field context=COLUMN)",
}
"""Where a field the template needs can come from, when the row has none."""


def require_fields(
    item: Item, template: Template, supplied: Mapping[str, Any], path: str, *, needs_reference: bool
) -> None:
    """Reject a row without a field its template (or `--mode reference`) needs; `supplied` are the
    variables the run provides itself (a generated reference, `--rubric`)."""
    if needs_reference and item.reference is None:
        raise DatasetError(
            path,
            item.line,
            "reference",
            "--mode reference needs a reference answer in every row; add a 'reference' column "
            "(or map one with --field reference=COLUMN), or pass --generate-reference",
        )
    missing = missing_requirements(item, template, dict(supplied))
    if missing:
        raise DatasetError(
            path,
            item.line,
            missing[0],
            f"template {template.name} needs '{missing[0]}' but the row has none{WHERE_FROM.get(missing[0], '')}",
        )


def require_criterion_fields(item: Item, criterion: Criterion, path: str) -> None:
    """Reject a row without a field the G-Eval criterion grades against."""
    for name in criterion.requires:
        if getattr(item, name) is None:
            why = f"criterion {criterion.name} grades against a '{name}' field, but the row has none"
            raise DatasetError(path, item.line, name, why)
