"""The comparison page: several (prompt, judge) configurations measured on the same items.

A command that compares judges or prompts builds a `Comparison` and calls
`judgekit.reporting.html.write_comparison_report`. Each row carries its metrics as `Estimate`s
(agreement with humans, kappa, correlations, bias figures...), its cost and its run directory;
`significance` is the command's own sentence on whether the best row beats the runner-up.
The page ranks rows by the `primary` metric, shows a prompts x judges grid of it, one
dot-and-whisker plot per metric and the full table.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from judgekit.reporting.html import plots
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


class ComparisonRow(BaseModel):
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


class Comparison(BaseModel):
    title: str = "judgekit comparison"
    dataset: str | None = None
    rows: list[ComparisonRow]
    metrics: list[Metric] = Field(default_factory=list)
    """Which metrics to show, in order (default: every key of the rows' metrics, as numbers)."""
    primary: str | None = None
    """The metric rows are ranked by (default: the first metric)."""
    significance: str | None = None
    """Whether the best row is significantly better than the runner-up, in a sentence."""
    notes: list[str] = Field(default_factory=list)

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

    def ranked(self) -> list[ComparisonRow]:
        """Rows, best first by the primary metric; rows without it go last, in their given order."""
        primary = self.primary_metric()
        if primary is None:
            return list(self.rows)
        sign = -1.0 if primary.higher_is_better else 1.0

        def key(indexed: tuple[int, ComparisonRow]) -> tuple[int, float, int]:
            index, row = indexed
            estimate = row.metrics.get(primary.key)
            return (0, sign * estimate.value, index) if estimate is not None else (1, 0.0, index)

        return [row for _, row in sorted(enumerate(self.rows), key=key)]


def build_comparison_page(comparison: Comparison) -> Page:
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
        f"Rows are ranked by {primary.label}." if primary else "",
        notes=[comparison.significance] if comparison.significance else [],
    )
    overview.tables.append(_ranking_table(ranked, metrics, primary))
    if primary is not None:
        grid = _grid(comparison.rows, primary)
        if grid is not None:
            overview.tables.append(grid)
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


def _ranking_table(ranked: list[ComparisonRow], metrics: list[Metric], primary: Metric | None) -> Table:
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


def _grid(rows: list[ComparisonRow], metric: Metric) -> Table | None:
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
