"""The comparison page's input read from the compare.json that `judgekit compare` saves.

Read defensively: unknown fields are ignored and missing ones left out, so a compare.json from
an older or newer judgekit still renders.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ValidationError

from judgekit.metrics.caveats import mock_judge_warning
from judgekit.reporting.confidence import mean_confidence
from judgekit.reporting.html import scales
from judgekit.reporting.html.comparison import ComparedRow, ComparisonReport, Metric
from judgekit.reporting.html.run_data import as_estimate
from judgekit.reporting.html.view import split_estimate
from judgekit.summary import ConfidenceInfo, JudgeCalibration

Group = Literal["quality", "bias", "cost"]
COMPARE_METRICS: dict[str, tuple[str, bool, int, Group]] = {
    # key in a compare.json row: (label, shown as a percentage, digits, table)
    "criterion_agreement": ("agreement with humans per criterion", True, 3, "quality"),
    "criterion_kappa": ("Cohen's kappa per criterion", False, 3, "quality"),
    "agreement": ("agreement with humans", True, 3, "quality"),
    "agreement_without_ties": ("agreement, ties left out", True, 3, "quality"),
    "kappa": ("Cohen's kappa", False, 3, "quality"),
    "spearman": ("Spearman", False, 3, "quality"),
    "kendall": ("Kendall tau-b", False, 3, "quality"),
    "pearson": ("Pearson", False, 3, "quality"),
    "mean_score": ("mean score", False, 2, "quality"),
    "win_rate": ("win rate of A", True, 3, "bias"),
    "length_controlled_win_rate": ("length-controlled win rate", True, 3, "bias"),
    "graded_win_rate": ("win rate of A by votes (graded)", True, 3, "bias"),
    "style_controlled_win_rate": ("style-controlled win rate", True, 3, "bias"),
    "position_consistency": ("position consistency", True, 3, "bias"),
    "p_first": ("P(first shown preferred)", True, 3, "bias"),
    "p_longer": ("P(longer wins)", True, 3, "bias"),
    "unscored_rate": ("unscored", True, 3, "cost"),
}
LOWER_IS_BETTER = {"unscored_rate"}
CORRELATIONS = {"kappa", "criterion_kappa", "spearman", "kendall", "pearson"}


def from_compare_json(data: dict[str, Any]) -> ComparisonReport:
    """The comparison page's input from compare.json (its rows already ranked by compare's own rule)."""
    rows = [_row(raw) for raw in data.get("rows", []) if isinstance(raw, dict)]
    present = [key for key in COMPARE_METRICS if any(key in row.metrics for row in rows)]
    metrics = [_metric(key) for key in present]
    ranked_by = str(data.get("ranked_by") or "")
    if ranked_by in present:  # the ranking metric first
        metrics.sort(key=lambda metric: metric.key != ranked_by)
    test = data.get("best_vs_runner_up")
    level = data.get("level")
    notes = [str(warning) for warning in data.get("warnings", [])]
    if level and level != "item":
        notes.append(
            f"Correlations at the {level} level" + (f", grouped by {data['group_by']}" if data.get("group_by") else "")
        )
    return ComparisonReport(
        title=f"judgekit comparison · {data.get('kind', '?')}",
        dataset=str(data.get("dataset")) if data.get("dataset") else None,
        rows=rows,
        metrics=metrics,
        primary=ranked_by or None,
        significance=str(test["statement"]) if isinstance(test, dict) and test.get("statement") else None,
        notes=notes,
        keep_order=True,
        extra_tables=[_panel_table(panel) for panel in data.get("panels", []) if isinstance(panel, dict)],
        # A panel row has no judge of its own: compare.json's warning names the mock judges behind it.
        mock_warning=next((note for note in notes if note.startswith("mock judge (")), None)
        or mock_judge_warning(str(raw.get("judge")) for raw in data.get("rows", []) if isinstance(raw, dict)),
    )


def _row(raw: dict[str, Any]) -> ComparedRow:
    values = {key: e for key in COMPARE_METRICS if (e := as_estimate(raw.get(key))) is not None}
    tokens = (raw.get("prompt_tokens") or 0) + (raw.get("completion_tokens") or 0)
    name = str(raw.get("name", "?"))
    a, b, ties = (raw.get(key) for key in ("wins_a", "wins_b", "ties"))
    return ComparedRow(
        prompt=str(raw.get("prompt") or name),
        judge=str(raw.get("judge") or name),
        metrics=values,
        cost_usd=raw.get("cost_usd"),
        tokens=tokens or None,
        wall_s=raw.get("wall_s"),
        run_dir=raw.get("run_dir"),
        verdicts=(a, b, ties) if isinstance(a, int) and isinstance(b, int) and isinstance(ties, int) else None,
        confidence=_confidence(raw.get("confidence"), raw.get("calibration")),
    )


def _confidence(raw: Any, calibration: Any = None) -> str | None:
    """A row's mean confidence as text, with its calibration error against the humans when it has one;
    None when it has none or compare.json holds no readable one."""
    try:
        text = None if raw is None else mean_confidence(ConfidenceInfo.model_validate(raw))
    except ValidationError:
        return None
    try:
        checked = None if calibration is None else JudgeCalibration.model_validate(calibration)
    except ValidationError:
        checked = None
    if checked is not None and checked.ece is not None:  # a calibration without a mean: as the console shows it
        text = f"{text or '–'}; ECE {checked.ece:.3f} (n = {checked.n})"
    return text


def _metric(key: str) -> Metric:
    label, percent, digits, group = COMPARE_METRICS[key]
    bounds = scales.RATE if percent else scales.CORRELATION if key in CORRELATIONS else None
    return Metric(
        key=key,
        label=label,
        percent=percent,
        digits=digits,
        higher_is_better=key not in LOWER_IS_BETTER,
        group=group,
        bounds=bounds,
    )


def _panel_table(panel: dict[str, Any]) -> tuple[str, list[str], list[list[str]]]:
    kappa = as_estimate(panel.get("kappa"))
    value, interval = split_estimate(kappa)
    judges = ", ".join(str(judge) for judge in panel.get("judges", []))
    caption = f"Agreement between the judges of a panel ({judges}): {panel.get('method', '?')} kappa {value}"
    if interval:
        caption += f" {interval}"
    caption += f" over {panel.get('items', '?')} items"
    if panel.get("rule"):
        sizes = ", ".join(f"{votes} votes: {items}" for votes, items in (panel.get("votes") or {}).items())
        caption += (
            f". Rule: {panel['rule']}, quorum {panel.get('quorum')}; items by valid votes: {sizes}; "
            f"{panel.get('below_quorum', 0)} below the quorum"
        )
    rows = []
    for pair in panel.get("pairs", []):
        if isinstance(pair, dict):
            rows.append([str(value) for value in pair.values()])
    headers = [str(key) for key in panel["pairs"][0]] if rows else ["(no pairs)"]
    return caption, headers, rows
