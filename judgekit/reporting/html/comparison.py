"""The comparison page: several (prompt, judge) configurations measured on the same items.

Its input is a `ComparisonReport`: rows of (prompt, judge) with their metrics as `Estimate`s
(agreement with humans, kappa, correlations, bias figures...), cost, tokens and run directory,
plus `significance`, the comparing command's own sentence on whether the best row beats the
runner-up. `compare_json.from_compare_json` builds one from the compare.json that `judgekit
compare` saves. The page ranks rows by the `primary` metric (or keeps the given order) and shows
them in three tables (agreement with humans, verdicts and bias, coverage and cost: one table with
every column was twice as wide as a laptop's screen), a prompts x judges grid of the ranking
metric and one dot-and-whisker plot per metric.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from judgekit.metrics.caveats import mock_judge_warning
from judgekit.reporting.html import plots, scales
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

NAME_HEADER = "prompt · judge"
NO_BREAK = "\u00a0"


class Metric(BaseModel):
    key: str
    """The key of the metric in each row's `metrics`."""
    label: str
    percent: bool = False
    """A rate in [0, 1], shown as a percentage."""
    higher_is_better: bool = True
    digits: int = 3
    group: Literal["quality", "bias", "cost"] = "quality"
    """Which table shows it: agreement with humans, verdicts and bias, or coverage and cost."""
    bounds: tuple[float, float] | None = None
    """The values it can take (a rate 0-1, a correlation -1-1): its plot's axis stays inside them."""


class ComparedRow(BaseModel):
    prompt: str
    judge: str
    metrics: dict[str, Estimate]
    cost_usd: float | None = None
    tokens: int | None = None
    wall_s: float | None = None
    run_dir: str | None = None
    note: str | None = None
    verdicts: tuple[int, int, int] | None = None
    """Pairwise: items won by A, won by B and tied."""
    confidence: str | None = None
    """The verdicts' mean confidence and its source ("0.833 (logprobs)"), with its calibration error
    against the humans where known ("; ECE 0.120 (n = 40)"); None: they carry none."""

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
    mock_warning: str | None = None
    """Set when a configuration is judged by the mock judge: shown as a banner over the page."""

    def mock_banner(self) -> str | None:
        """The mock-judge banner: the comparison's own warning, or one made from its judges' names."""
        return self.mock_warning or mock_judge_warning(row.judge for row in self.rows)

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
    banner = comparison.mock_banner()
    cards = _top_cards(ranked, primary, mock=banner is not None)
    cards.append(Card("Configurations", str(len(comparison.rows)), key="configurations"))
    notes = []
    if comparison.significance:
        notes.append(comparison.significance)
        if banner and "no significance is claimed" not in comparison.significance:
            notes.append("Mock judges call no model: no difference between them means anything.")
    overview = Section(
        "ranking",
        "Ranking",
        f"Rows are ranked by {primary.label}." if primary and not comparison.keep_order else "",
        notes=notes,
    )
    overview.tables.extend(comparison_tables(ranked, metrics, primary))
    if primary is not None:
        grid = _grid(comparison.rows, primary)
        if grid is not None:
            overview.tables.append(grid)
    for caption, headers, rows in comparison.extra_tables:
        overview.tables.append(Table(headers, rows, caption=caption, row_headers=False))
    subtitle = [("configurations", str(len(comparison.rows)))]
    if comparison.dataset:
        subtitle.insert(0, ("data", comparison.dataset))
    return Page(
        title=comparison.title,
        subtitle=subtitle,
        kind="comparison",
        status="complete",
        cards=cards,
        banner=banner,
        warnings=[note for note in comparison.notes if note != banner],
        sections=[overview, _metric_plots(ranked, metrics)],
    )


def _top_cards(ranked: list[ComparedRow], primary: Metric | None, *, mock: bool) -> list[Card]:
    """The best and the runner-up by the ranking metric (for mock judges nothing is "best": only ranked)."""
    if primary is None or not ranked or primary.key not in ranked[0].metrics:
        return []
    first, second = ("Ranked first (mock judge)", "Ranked second") if mock else ("Best", "Runner-up")
    cards = [
        estimate_card(
            "best",
            f"{first} {primary.label}: {ranked[0].name}",
            ranked[0].metrics[primary.key],
            percent=primary.percent,
            digits=primary.digits,
        )
    ]
    if len(ranked) > 1 and primary.key in ranked[1].metrics:
        cards.append(
            estimate_card(
                "runner_up",
                f"{second}: {ranked[1].name}",
                ranked[1].metrics[primary.key],
                percent=primary.percent,
                digits=primary.digits,
            )
        )
    return cards


def comparison_tables(ranked: list[ComparedRow], metrics: list[Metric], primary: Metric | None) -> list[Table]:
    """Agreement with humans (with the rank), verdicts and bias, coverage and cost: one row per configuration.

    Each table starts with the configuration's name, which stays in view when the table scrolls.
    """
    tables = [
        _table(
            ranked,
            [m for m in metrics if m.group == "quality"],
            caption="Every configuration, best first" if primary else "Every configuration",
            leading=[("rank", lambda index, row: str(index))],
            trailing=[("items", lambda index, row: str(_items(row, primary))), *_confidence_column(ranked)],
        )
    ]
    if any(row.verdicts for row in ranked) or any(m.group == "bias" for m in metrics):
        tables.append(
            _table(
                ranked,
                [m for m in metrics if m.group == "bias"],
                caption="Verdicts and bias (A and B are the data's answer_a and answer_b)",
                leading=[("A / B / ties", lambda index, row: " / ".join(map(str, row.verdicts or ())) or "–")],
            )
        )
    tables.append(
        _table(
            ranked,
            [m for m in metrics if m.group == "cost"],
            caption="Coverage and cost",
            trailing=[
                ("cost (USD)", lambda index, row: f"{row.cost_usd:.4f}" if row.cost_usd is not None else "–"),
                ("tokens", lambda index, row: f"{row.tokens:,}" if row.tokens is not None else "–"),
                ("time (s)", lambda index, row: f"{row.wall_s:.1f}" if row.wall_s is not None else "–"),
            ],
        )
    )
    return tables


ColumnSpec = tuple[str, Callable[[int, ComparedRow], str]]


def _confidence_column(ranked: list[ComparedRow]) -> list[ColumnSpec]:
    """The mean confidence of each row's verdicts, when any row has one ("–" for the others)."""
    if not any(row.confidence for row in ranked):
        return []
    return [("mean confidence (source)", lambda index, row: row.confidence or "–")]


def _table(
    ranked: list[ComparedRow],
    metrics: list[Metric],
    *,
    caption: str,
    leading: Sequence[ColumnSpec] = (),
    trailing: Sequence[ColumnSpec] = (),
) -> Table:
    headers = [NAME_HEADER, *(title for title, _ in leading), *(m.label for m in metrics)]
    headers += [title for title, _ in trailing]
    rows = []
    for index, row in enumerate(ranked, start=1):
        cells = [row.name, *(cell(index, row) for _, cell in leading)]
        cells += [_cell(row.metrics.get(metric.key), metric) for metric in metrics]
        cells += [cell(index, row) for _, cell in trailing]
        rows.append(cells)
    return Table(headers, rows, caption=caption, sticky=True)


def _items(row: ComparedRow, primary: Metric | None) -> int:
    """The items behind the ranking metric (other metrics may count calls rather than items)."""
    main = row.metrics.get(primary.key) if primary is not None else None
    return main.n if main is not None else max((estimate.n for estimate in row.metrics.values()), default=0)


def _cell(estimate: Estimate | None, metric: Metric) -> str:
    """'49.8% [44.5, 54.8]': a narrow column breaks the line before the interval, never inside it."""
    value, interval = split_estimate(estimate, percent=metric.percent, digits=metric.digits)
    return f"{value} {interval.replace(' ', NO_BREAK)}" if interval else value


def _metric_plots(ranked: list[ComparedRow], metrics: list[Metric]) -> Section:
    plotted = Section("metrics", "Each metric with its 95% CI")
    for index, metric in enumerate(metrics):
        present = [
            (f"{row.prompt}\n{row.judge}", row.metrics[metric.key]) for row in ranked if metric.key in row.metrics
        ]
        if not present:
            continue
        estimates = [estimate for _, estimate in present]
        if scales.nothing_to_show(estimates):
            value, _ = split_estimate(estimates[0], percent=metric.percent, digits=metric.digits)
            plotted.notes.append(f"{metric.label}: {value} for every configuration, with no spread (not plotted).")
            continue
        svg = plots.estimate_chart(
            f"metric{index}",
            [name for name, _ in present],
            estimates,
            title=metric.label,
            axis_label=f"{metric.label} (95% CI)",
            percent=metric.percent,
            bounds=metric.bounds,
            dots=True,
            row_height=0.5,
        )
        table = Table(
            [NAME_HEADER, "value", "95% CI", "n"],
            estimate_rows(
                {name.replace("\n", " · "): e for name, e in present}, percent=metric.percent, digits=metric.digits
            ),
        )
        plotted.figures.append(Figure(f"metric{index}", metric.label, svg, table=table))
    return plotted


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
