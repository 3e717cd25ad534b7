"""The comparison page: several (prompt, judge) configurations measured on the same items.

Its input is a `ComparisonReport`: rows of (prompt, judge) with their metrics as `Estimate`s
(agreement with humans, kappa, correlations, bias figures...), cost, tokens and run directory,
plus `significance`, the comparing command's own sentence on whether the best row beats the
runner-up. `from_compare_json` builds one from the compare.json that `judgekit compare` saves.
The page ranks rows by the `primary` metric (or keeps the given order), shows a prompts x judges
grid of it, one dot-and-whisker plot per metric and the full table.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from judgekit.reporting.html import plots
from judgekit.reporting.html.run_data import as_estimate
from judgekit.reporting.html.view import (
    Card,
    Figure,
    Page,
    Section,
    Table,
    estimate_card,
    estimate_rows,
    split_estimate,
)
from judgekit.stats.intervals import Estimate


class Metric(BaseModel):
    key: str
    """The key of the metric in each row's `metrics`."""
    label: str
    percent: bool = False
    """A rate in [0, 1], shown as a percentage."""
    higher_is_better: bool = True
    digits: int = 3


class ComparedRow(BaseModel):
    prompt: str
    judge: str
    metrics: dict[str, Estimate]
    cost_usd: float | None = None
    tokens: int | None = None
    wall_s: float | None = None
    run_dir: str | None = None
    note: str | None = None

    @property
    def name(self) -> str:
        return f"{self.prompt} · {self.judge}"


class ComparisonReport(BaseModel):
    title: str = "judgekit comparison"
    dataset: str | None = None
    rows: list[ComparedRow]
    metrics: list[Metric] = Field(default_factory=list)
    """Which metrics to show, in order (default: every key of the rows' metrics, as numbers)."""
    primary: str | None = None
    """The metric rows are ranked by (default: the first metric)."""
    significance: str | None = None
    """Whether the best row is significantly better than the runner-up, in a sentence."""
    notes: list[str] = Field(default_factory=list)
    keep_order: bool = False
    """The rows are already ranked (by the comparing command's own rule): show them as given."""
    extra_tables: list[tuple[str, list[str], list[list[str]]]] = Field(default_factory=list)
    """(caption, headers, rows) of further tables, e.g. agreement between the judges of a panel."""

    def metric_list(self) -> list[Metric]:
        if self.metrics:
            return list(self.metrics)
        keys: list[str] = []
        for row in self.rows:
            keys.extend(key for key in row.metrics if key not in keys)
        return [Metric(key=key, label=key) for key in keys]

    def primary_metric(self) -> Metric | None:
        metrics = self.metric_list()
        if not metrics:
            return None
        return next((metric for metric in metrics if metric.key == self.primary), metrics[0])

    def ranked(self) -> list[ComparedRow]:
        """Rows, best first by the primary metric; rows without it go last, in their given order."""
        primary = self.primary_metric()
        if primary is None or self.keep_order:
            return list(self.rows)
        sign = -1.0 if primary.higher_is_better else 1.0

        def key(indexed: tuple[int, ComparedRow]) -> tuple[int, float, int]:
            index, row = indexed
            estimate = row.metrics.get(primary.key)
            return (0, sign * estimate.value, index) if estimate is not None else (1, 0.0, index)

        return [row for _, row in sorted(enumerate(self.rows), key=key)]


def build_comparison_page(comparison: ComparisonReport) -> Page:
    metrics = comparison.metric_list()
    primary = comparison.primary_metric()
    ranked = comparison.ranked()
    cards: list[Card] = []
    if primary is not None and ranked and primary.key in ranked[0].metrics:
        best = ranked[0]
        cards.append(
            estimate_card(
                "best",
                f"Best {primary.label}: {best.name}",
                best.metrics[primary.key],
                percent=primary.percent,
                digits=primary.digits,
            )
        )
        if len(ranked) > 1 and primary.key in ranked[1].metrics:
            runner_up = ranked[1]
            cards.append(
                estimate_card(
                    "runner_up",
                    f"Runner-up: {runner_up.name}",
                    runner_up.metrics[primary.key],
                    percent=primary.percent,
                    digits=primary.digits,
                )
            )
    cards.append(Card("Configurations", str(len(comparison.rows)), key="configurations"))
    sections = []
    overview = Section(
        "ranking",
        "Ranking",
        f"Rows are ranked by {primary.label}." if primary and not comparison.keep_order else "",
        notes=[comparison.significance] if comparison.significance else [],
    )
    overview.tables.append(_ranking_table(ranked, metrics, primary))
    if primary is not None:
        grid = _grid(comparison.rows, primary)
        if grid is not None:
            overview.tables.append(grid)
    for caption, headers, rows in comparison.extra_tables:
        overview.tables.append(Table(headers, rows, caption=caption, row_headers=False))
    sections.append(overview)
    plotted = Section("metrics", "Each metric with its 95% CI")
    for index, metric in enumerate(metrics):
        present = [
            (f"{row.prompt}\n{row.judge}", row.metrics[metric.key]) for row in ranked if metric.key in row.metrics
        ]
        if not present:
            continue
        svg = plots.estimate_chart(
            f"metric{index}",
            [name for name, _ in present],
            [estimate for _, estimate in present],
            title=metric.label,
            axis_label=f"{metric.label} (95% CI)",
            percent=metric.percent,
            dots=True,
            row_height=0.5,
        )
        table = Table(
            ["prompt · judge", "value", "95% CI", "n"],
            estimate_rows(
                {name.replace("\n", " · "): e for name, e in present}, percent=metric.percent, digits=metric.digits
            ),
        )
        plotted.figures.append(Figure(f"metric{index}", metric.label, svg, table=table))
    sections.append(plotted)
    subtitle = [("configurations", str(len(comparison.rows)))]
    if comparison.dataset:
        subtitle.insert(0, ("data", comparison.dataset))
    return Page(
        title=comparison.title,
        subtitle=subtitle,
        kind="comparison",
        status="complete",
        cards=cards,
        warnings=list(comparison.notes),
        sections=sections,
    )


def _cell(estimate: Estimate | None, metric: Metric) -> str:
    value, interval = split_estimate(estimate, percent=metric.percent, digits=metric.digits)
    return f"{value} {interval}" if interval else value


def _ranking_table(ranked: list[ComparedRow], metrics: list[Metric], primary: Metric | None) -> Table:
    headers = ["rank", "prompt", "judge", *(metric.label for metric in metrics), "items", "cost (USD)", "tokens"]
    headers.append("time (s)")
    rows = []
    for rank, row in enumerate(ranked, start=1):
        # The items behind the ranking metric (other metrics may count calls rather than items).
        main = row.metrics.get(primary.key) if primary is not None else None
        n = main.n if main is not None else max((estimate.n for estimate in row.metrics.values()), default=0)
        rows.append(
            [
                str(rank),
                row.prompt,
                row.judge,
                *(_cell(row.metrics.get(metric.key), metric) for metric in metrics),
                str(n),
                f"{row.cost_usd:.4f}" if row.cost_usd is not None else "–",
                f"{row.tokens:,}" if row.tokens is not None else "–",
                f"{row.wall_s:.1f}" if row.wall_s is not None else "–",
            ]
        )
    return Table(headers, rows, caption="Every configuration, best first", row_headers=False)


def _grid(rows: list[ComparedRow], metric: Metric) -> Table | None:
    prompts = list(dict.fromkeys(row.prompt for row in rows))
    judges = list(dict.fromkeys(row.judge for row in rows))
    if len(prompts) < 2 and len(judges) < 2:
        return None
    lookup = {(row.prompt, row.judge): row.metrics.get(metric.key) for row in rows}
    table_rows = [
        [prompt, *(_cell(lookup[(prompt, judge)], metric) if (prompt, judge) in lookup else "–" for judge in judges)]
        for prompt in prompts
    ]
    return Table(["prompt \\ judge", *judges], table_rows, caption=f"{metric.label}: prompts by judges")


# compare.json ---------------------------------------------------------------------------------

COMPARE_METRICS: dict[str, tuple[str, bool, int]] = {
    # key in a compare.json row: (label, shown as a percentage, digits)
    "agreement": ("agreement with humans", True, 3),
    "agreement_without_ties": ("agreement, ties left out", True, 3),
    "kappa": ("Cohen's kappa", False, 3),
    "spearman": ("Spearman", False, 3),
    "kendall": ("Kendall tau-b", False, 3),
    "pearson": ("Pearson", False, 3),
    "mean_score": ("mean score", False, 2),
    "win_rate": ("win rate of A", True, 3),
    "length_controlled_win_rate": ("length-controlled win rate", True, 3),
    "position_consistency": ("position consistency", True, 3),
    "p_first": ("P(first shown preferred)", True, 3),
    "p_longer": ("P(longer wins)", True, 3),
    "unscored_rate": ("unscored", True, 3),
}
LOWER_IS_BETTER = {"unscored_rate"}


def from_compare_json(data: dict[str, Any]) -> ComparisonReport:
    """The comparison page's input from `judgekit compare`'s compare.json (rows already ranked).

    Read defensively: unknown fields are ignored and missing ones left out, so a compare.json
    from an older or newer judgekit still renders.
    """
    rows = []
    raw_rows = [row for row in data.get("rows", []) if isinstance(row, dict)]
    for raw in raw_rows:
        values = {key: e for key in COMPARE_METRICS if (e := as_estimate(raw.get(key))) is not None}
        tokens = (raw.get("prompt_tokens") or 0) + (raw.get("completion_tokens") or 0)
        name = str(raw.get("name", "?"))
        rows.append(
            ComparedRow(
                prompt=str(raw.get("prompt") or name),
                judge=str(raw.get("judge") or name),
                metrics=values,
                cost_usd=raw.get("cost_usd"),
                tokens=tokens or None,
                wall_s=raw.get("wall_s"),
                run_dir=raw.get("run_dir"),
            )
        )
    present = [key for key in COMPARE_METRICS if any(key in row.metrics for row in rows)]
    metrics = [
        Metric(
            key=key,
            label=COMPARE_METRICS[key][0],
            percent=COMPARE_METRICS[key][1],
            digits=COMPARE_METRICS[key][2],
            higher_is_better=key not in LOWER_IS_BETTER,
        )
        for key in present
    ]
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
