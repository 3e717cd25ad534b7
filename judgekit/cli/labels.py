"""`judgekit labels`: draw the items humans should label, and merge their labels back into the data."""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Annotated, Any, Optional

import typer

from judgekit.cli.choices import FormatChoice
from judgekit.cli.common import OutputFormat, Quiet, handles_errors, note, print_json, warn

STDOUT = "-"
"""`-o -`: write to stdout instead of a file."""

app = typer.Typer(
    help="Human labels for human-anchored (PPI++) estimates: which items to label, and merging them back.",
    no_args_is_help=True,
)


class StratifyChoice(str, Enum):
    none = "none"
    category = "category"
    confidence = "confidence"


@app.command("plan")
@handles_errors
def plan_command(
    source: Annotated[str, typer.Argument(help="A run directory, or a data file holding judgments (with --pred).")],
    n: Annotated[int, typer.Option("--n", min=1, help="How many items to draw for labelling.")],
    seed: Annotated[int, typer.Option(help="Seed of the draw (the same seed draws the same items).")] = 0,
    stratify: Annotated[
        StratifyChoice,
        typer.Option(
            help="none: a simple random sample; category: per category, in proportion and at least 2 each; "
            "confidence (a pairwise run): per band of the judge's confidence, more labels where it is less sure "
            "(the estimate then weights each stratum by its share of the items)."
        ),
    ] = StratifyChoice.none,
    bands: Annotated[
        Optional[int], typer.Option(min=1, help="With --stratify confidence: how many confidence bands (default 3).")
    ] = None,
    pred: Annotated[
        Optional[str], typer.Option("--pred", help="With a data file: the column holding the judge's verdicts.")
    ] = None,
    field: Annotated[
        Optional[list[str]], typer.Option("--field", "-f", help="Map a column onto a field: NAME=COLUMN.")
    ] = None,
    out: Annotated[
        Optional[str], typer.Option("--out", "-o", help="Write the labelling file here (default, or -: stdout).")
    ] = None,
    output_format: OutputFormat = FormatChoice.table,
    quiet: Quiet = False,
) -> None:
    """Draw a seeded random sample of the judged items and write a labelling file (JSONL).

    Only items the judge scored are drawn (the estimates are about those). Each row holds the
    item's id, its stratum, the texts (no model names) and an empty human_label (pairwise: A, B
    or tie) or human_score (pointwise) to fill in; `judgekit labels merge` brings them back.
    """
    from pathlib import Path

    from judgekit.errors import UsageError
    from judgekit.inputs.datasets import parse_field_options
    from judgekit.inputs.labels import write_jsonl
    from judgekit.metrics.confidence_bands import DEFAULT_BANDS
    from judgekit.metrics.label_plan import plan_labels, source_items, source_scale
    from judgekit.metrics.matching import load_sources
    from judgekit.metrics.outcomes import ColumnSpec

    if bands is not None and stratify is not StratifyChoice.confidence:
        raise UsageError("--bands applies to --stratify confidence")
    if stratify is StratifyChoice.confidence and not Path(source).is_dir():
        raise UsageError("--stratify confidence needs a run directory (the judge's confidence is in its judgments)")
    if out == STDOUT:
        out = None
    fields = parse_field_options(field or [])
    (judged,) = load_sources([source], ColumnSpec(pred=[pred] if pred else [], fields=fields))[:1]
    plan = plan_labels(
        judged,
        source_items(source, fields),
        n=n,
        seed=seed,
        stratify=stratify.value,
        scale=source_scale(source),
        bands=bands or DEFAULT_BANDS,
    )
    if out:
        write_jsonl(out, plan.rows)
    if output_format is FormatChoice.json:  # the draw as one JSON object (with the rows unless --out has them)
        allocation = {name: {"items": size, "drawn": drawn} for name, (size, drawn) in plan.allocation.items()}
        print_json(
            {"drawn": len(plan.rows), "population": plan.population, "seed": seed, "allocation": allocation}
            | ({"out": out} if out else {"rows": plan.rows})
        )
    elif not out:
        _rows_to_stdout(plan.rows)
    note(
        f"drew {len(plan.rows)} of {plan.population} scored items ({_draw_of(plan.allocation, seed, stratify)})"
        + (f" into {out}" if out else "")
    )


def _draw_of(allocation: dict[str, tuple[int, int]], seed: int, stratify: StratifyChoice) -> str:
    """How the sample was drawn: the seed, and what each stratum gave (a simple random sample has one, all)."""
    if stratify is StratifyChoice.none:
        return f"seed {seed}"
    return f"seed {seed}; " + ", ".join(f"{name} {drawn} of {size}" for name, (size, drawn) in allocation.items())


@app.command("page")
@handles_errors
def page_command(
    labels: Annotated[str, typer.Argument(help="The labelling file written by `judgekit labels plan`.")],
    out: Annotated[str, typer.Option("--out", "-o", help="Where to write the page (one HTML file; -: stdout).")],
    seed: Annotated[int, typer.Option(help="Seed of the order the two answers are shown in, per item.")] = 0,
    scale: Annotated[
        Optional[str],
        typer.Option(
            help="Pointwise: the score scale LOW-HIGH (e.g. 1-10); by default the one the labelling file records."
        ),
    ] = None,
    output_format: OutputFormat = FormatChoice.table,
    quiet: Quiet = False,
) -> None:
    """Write an offline labelling page: one item at a time, blind, keys to label, export to JSONL.

    Open it in any browser (no network needed). Pairwise answers are shown in a seeded random
    order and mapped back to A/B on export; labels are kept in the browser until exported, and
    `judgekit labels merge` reads the exported file as it is.
    """
    from judgekit.redact import redact
    from judgekit.reporting.html.labelling import build_label_page, write_label_page

    _one_stdout(out, output_format)
    bounds = _parse_scale(scale) if scale is not None else None
    if out == STDOUT:
        page = build_label_page(labels, seed=seed, scale=bounds)
        sys.stdout.write(redact(page.html))
    else:
        page = write_label_page(labels, out, seed=seed, scale=bounds)
    if output_format is FormatChoice.json:
        print_json({"out": out, "rows": page.rows, "labelled": page.labelled, "storage_key": page.storage_key})
    kind = "pairwise" if page.pairwise else "pointwise"
    where = "stdout" if out == STDOUT else out
    note(f"wrote a labelling page for {page.rows} {kind} items ({page.labelled} already labelled) to {where}")


def _rows_to_stdout(rows: list[dict[str, Any]]) -> None:
    sys.stdout.write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))


def _one_stdout(out: str, output_format: FormatChoice) -> None:
    """`-o -` and `--format json` would both write to stdout: refuse the pair rather than mix them."""
    from judgekit.errors import UsageError

    if out == STDOUT and output_format is FormatChoice.json:
        raise UsageError("-o - writes to stdout, where --format json writes its summary: give -o a file name")


def _parse_scale(text: str) -> tuple[float, float]:
    from judgekit.errors import UsageError

    low, sep, high = text.strip().partition("-")
    if low == "" and sep:  # a negative low end: -5-5
        low, sep, high = high.partition("-")
        low = "-" + low
    try:
        bounds = (float(low), float(high))
    except ValueError:
        raise UsageError(f"--scale {text!r}: expected LOW-HIGH, e.g. 1-10") from None
    if not bounds[0] < bounds[1]:
        raise UsageError(f"--scale {text!r}: the low end must be below the high end")
    return bounds


@app.command("merge")
@handles_errors
def merge_command(
    labels: Annotated[str, typer.Argument(help="The labelling file, with human_label (or human_score) filled in.")],
    data: Annotated[str, typer.Option("--data", help="The dataset the items come from.")],
    out: Annotated[str, typer.Option("--out", "-o", help="Where to write the merged dataset (JSONL; -: stdout).")],
    column: Annotated[
        Optional[str],
        typer.Option(help="Column to write the labels into (default: human_label, or human_score for scores)."),
    ] = None,
    from_column: Annotated[
        Optional[str],
        typer.Option(
            help="Take each drawn item's label from this column of the data instead of the file "
            "(to try the plan on data that is already fully labelled)."
        ),
    ] = None,
    run: Annotated[
        Optional[str],
        typer.Option(help="For a plan drawn with --stratify confidence: the run it was drawn from (for the bands)."),
    ] = None,
    field: Annotated[
        Optional[list[str]], typer.Option("--field", "-f", help="Map a column onto a field: NAME=COLUMN.")
    ] = None,
    output_format: OutputFormat = FormatChoice.table,
    quiet: Quiet = False,
) -> None:
    """Write the dataset again with the humans' labels in one column (empty where none was given)."""
    from pathlib import Path

    from judgekit.errors import UsageError
    from judgekit.inputs.datasets import parse_field_options
    from judgekit.inputs.labels import merge_labels, plan_design, read_labelling_file, write_jsonl
    from judgekit.metrics.label_plan import run_bands

    _one_stdout(out, output_format)
    if out != STDOUT and Path(out).resolve() == Path(data).resolve():
        raise UsageError("--out must differ from --data: the merge writes a new file and leaves the data as it is")
    stratify, count = plan_design(labels, read_labelling_file(labels))
    if run is not None and stratify != "confidence":
        raise UsageError(f"--run applies to plans drawn with --stratify confidence; {labels} was not")
    bands = run_bands(run, count) if run is not None and count is not None else None
    merged = merge_labels(
        labels, data, fields=parse_field_options(field or []), column=column, from_column=from_column, bands=bands
    )
    if out == STDOUT:
        _rows_to_stdout(merged.rows)
    else:
        write_jsonl(out, merged.rows)
    if output_format is FormatChoice.json:
        print_json(
            {
                "out": out,
                "rows": len(merged.rows),
                "column": merged.column,
                "labelled": merged.labelled,
                "waiting": merged.waiting,
                "kept": merged.kept,
                "stratified_by": merged.stratified_by,
                "notes": merged.notes,
            }
        )
    waiting = f"; {merged.waiting} drawn items have no label yet and are left out" if merged.waiting else ""
    what = "confidence band" if merged.stratified_by == "confidence" else merged.stratified_by
    strata = f"; each row's {what} in label_stratum" if merged.stratified_by else ""
    where = "stdout" if out == STDOUT else out
    note(f"wrote {len(merged.rows)} rows to {where}: {merged.labelled} labelled in '{merged.column}'{waiting}{strata}")
    for remark in merged.notes:
        warn(f"note: {remark}")
