"""What checklist grading adds to a run's grading plan: a check per row, and its part of the run id."""

from __future__ import annotations

from typing import Any

from judgekit.errors import DatasetError
from judgekit.inputs.checklists import load_checklist
from judgekit.inputs.prompts import Template
from judgekit.schema import Item


def check_row(item: Item, template: Template, path: str) -> None:
    """A checklist template needs criteria in every row; any other template must not be given some."""
    if template.meta.checklist is not None and not item.rubric_items:
        raise DatasetError(
            path,
            item.line,
            "rubric_items",
            f"template {template.name} grades a checklist but the row has none "
            "(add rubric_items: [{criterion, points}], map a column with --field rubric_items=COLUMN, "
            "or pass --checklist FILE)",
        )
    if template.meta.checklist is None and item.rubric_items is not None:
        raise DatasetError(
            path,
            item.line,
            "rubric_items",
            f"the row has checklist criteria but template {template.name} does not grade checklists "
            "(use --prompt pointwise/checklist, or drop the column)",
        )


def describe(template: Template, shared: str | None) -> dict[str, Any]:
    """Checklist runs only (other runs keep their ids): how the criteria are called, and the
    shared criteria of `--checklist`, which the data file's hash does not cover."""
    if template.meta.checklist is None:
        return {}
    criteria = [item.model_dump() for item in load_checklist(shared)] if shared else None
    return {"checklist": template.meta.checklist, "checklist_items": criteria}
