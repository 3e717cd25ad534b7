"""A comparison as rich tables on stdout: the ranked rows, the verdicts, the test, the panels."""

from __future__ import annotations

from typing import Any

from judgekit.compare.records import Comparison, ComparisonRow
from judgekit.metrics.checklist_confidence import SOURCE as CHECKLIST_SOURCE
from judgekit.reporting.confidence import mean_confidence
from judgekit.reporting.human_rows import print_anchored
from judgekit.stats.intervals import Estimate


def pct(estimate: Estimate | None) -> str:
    """A rate in percent with two decimals and its interval (enough to match published figures)."""
    if estimate is None:
        return "–"
    text = f"{estimate.value * 100:.2f}"
    if estimate.low is not None and estimate.high is not None:
        text += f"\n[{estimate.low * 100:.2f}, {estimate.high * 100:.2f}]"
    return text


def num(estimate: Estimate | None, digits: int = 3) -> str:
    """A statistic with its interval on a second line, so wide tables stay readable."""
    if estimate is None:
        return "–"
    text = f"{estimate.value:.{digits}f}"
    if estimate.low is not None and estimate.high is not None:
        text += f"\n[{estimate.low:.{digits}f}, {estimate.high:.{digits}f}]"
    return text


def _cost(row: ComparisonRow) -> str:
    if not row.calls:
        return "–"
    tokens = f"{row.prompt_tokens + row.completion_tokens:,}" if row.calls else "–"
    cost = f"${row.cost_usd:.4f}" if row.cost_usd is not None else "–"
    return f"{tokens} / {cost}"


def _time(row: ComparisonRow) -> str:
    if row.wall_s is None and row.mean_latency_s is None:
        return "–"
    wall = f"{row.wall_s:.1f}s" if row.wall_s is not None else "–"
    latency = f"{row.mean_latency_s:.2f}s" if row.mean_latency_s is not None else "–"
    return f"{wall} / {latency}"


def _per_order(row: ComparisonRow) -> str:
    orders = row.orders
    if orders is None or orders.a_first is None or orders.b_first is None or orders.mean is None:
        return "–"
    return f"{orders.a_first.value * 100:.2f} / {orders.b_first.value * 100:.2f}\n{orders.mean.value * 100:.2f}"


def _columns(comparison: Comparison) -> list[tuple[str, Any]]:
    correlations = [
        ("Spearman", lambda r: num(r.spearman)),
        ("Kendall", lambda r: num(r.kendall)),
        ("Pearson", lambda r: num(r.pearson)),
    ]
    common_tail = [
        ("Unscored %", lambda r: pct(r.unscored_rate)),
        ("Tokens / cost", _cost),
        ("Wall / per call", _time),
    ]
    if comparison.kind == "pairwise":
        columns: list[tuple[str, Any]] = [
            ("Agree %", lambda r: pct(r.agreement)),
            ("Agree no ties %", lambda r: pct(r.agreement_without_ties)),
            ("Kappa", lambda r: num(r.kappa)),
        ]
        if comparison.level != "item":
            columns += correlations
        columns += [
            ("Acc. A first / B first / mean %", _per_order),
            ("Consistent %", lambda r: pct(r.position_consistency)),
            ("P(first) %", lambda r: pct(r.p_first)),
            ("P(longer) %", lambda r: pct(r.p_longer)),
        ]
        return columns + common_tail
    agreement = [
        ("Kappa (quadratic)", lambda r: num(r.kappa_quadratic)),
        ("Alpha (interval)", lambda r: num(r.alpha_interval)),
        ("ICC(A,1)", lambda r: num(r.icc)),
    ]
    checklist = [  # checklist data with human verdicts per criterion (pooled over item x criterion)
        ("Agree per criterion %", lambda r: pct(r.criterion_agreement)),
        ("Kappa per criterion", lambda r: num(r.criterion_kappa)),
    ]
    return [*checklist, *correlations, *agreement, ("Mean score", lambda r: num(r.mean_score, 2)), *common_tail]


def _short(estimate: Estimate | None) -> str:
    return "–" if estimate is None else estimate.format()


def print_comparison(comparison: Comparison, console: Any) -> None:
    from rich.table import Table

    level = "" if comparison.level == "item" else f", {comparison.level} level by {comparison.group_by}"
    ranked = "" if comparison.kind == "listwise" else f" · ranked by {comparison.ranked_by}{level}"  # no human labels
    title = f"judgekit compare · {comparison.kind}{ranked} (95% CIs)"
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("prompt · judge", overflow="fold", min_width=12)
    table.add_column("n", justify="right")
    # Leave out columns with nothing in them (no humans, no swap, judgments read from a file).
    columns = [
        (header, cell) for header, cell in _columns(comparison) if any(cell(row) != "–" for row in comparison.rows)
    ]
    for header, _ in columns:
        table.add_column(header, overflow="fold")
    for row in comparison.rows:
        table.add_row(
            str(row.rank) if row.rank else "–",
            row.name,
            str(row.human_n) + (f"\n{row.groups} groups" if row.groups else ""),
            *(cell(row) for _, cell in columns),
        )
    console.print(table)
    if any(row.criterion_agreement is not None for row in comparison.rows):
        console.print("n: the (item, criterion) pairs both the row and the human decided (human_rubric).")
    if comparison.kind == "pairwise":
        _print_verdicts(comparison, console)
    if comparison.kind == "listwise":
        _print_picks(comparison, console)
    if comparison.best_vs_runner_up is not None:
        console.print(comparison.best_vs_runner_up.statement)
    elif len(comparison.rows) > 1:
        console.print("Fewer than two rows could be ranked: no significance test.")
    for row in comparison.rows:
        ceiling = row.raters
        if ceiling is not None:
            console.print(
                f"{row.name}: Spearman with the mean of the other ratings: judge {_short(ceiling.judge_spearman)}, "
                f"one human {_short(ceiling.human_spearman)}; human-human alpha {_short(ceiling.alpha_interval)} "
                f"({ceiling.raters} raters, {ceiling.items} items)"
            )
    if any(row.confidence is not None or row.calibration is not None for row in comparison.rows):
        for row in comparison.rows:  # a line each, not a column: the ranked table is wide already
            console.print(_confidence_line(row))
    for panel in comparison.panels:
        method = "Cohen's kappa" if panel.method == "cohen" else "Fleiss' kappa"
        kappa = panel.kappa.format() if panel.kappa else "–"
        console.print(f"Inter-judge agreement ({', '.join(panel.judges)}): {method} {kappa} on {panel.items} items")
        if panel.rule is not None:
            sizes = ", ".join(f"{votes} votes: {items}" for votes, items in panel.votes.items())
            console.print(
                f"Panel rule: {panel.rule}, quorum {panel.quorum} of {len(panel.judges)}; items by valid votes: "
                f"{sizes}; {panel.below_quorum} below the quorum (no panel verdict)"
            )
    for row in comparison.rows:
        if row.human_anchored is not None:
            if len(comparison.rows) > 1:
                console.print(f"[bold]{row.name}[/bold]")
            print_anchored(row.human_anchored, console)
    for warning in comparison.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")


def _confidence_line(row: ComparisonRow) -> str:
    """A row's mean confidence and source ("–" without one) and, with human labels, its calibration error."""
    line = f"{row.name}: mean confidence {mean_confidence(row.confidence)}"
    calibration = row.calibration
    if calibration is not None and calibration.ece is not None:
        unit = "criterion verdicts" if calibration.source == CHECKLIST_SOURCE else "items"
        line += (
            f"; calibration error (ECE) {calibration.ece:.3f} over {calibration.n} labelled {unit}, "
            f"confidence from {calibration.source}"
        )
    return line


def _print_verdicts(comparison: Comparison, console: Any) -> None:
    from rich.table import Table
    from rich.text import Text

    models = comparison.answer_models
    title = f"A: {models[0]}, B: {models[1]}" if models else "A and B are the data's answer_a and answer_b"
    table = Table(title=Text(f"Verdicts ({title})"), title_justify="left")  # Text: names are data, not markup
    for header in (
        "prompt · judge",
        "A / B / ties",
        "win rate of A %",
        "SE %",
        "win rate of B %",
        "LC win rate of A %",
        "length coef.",
        "SC win rate of A %",
    ):
        table.add_column(header, overflow="fold")
    for row in comparison.rows:
        b = None
        if row.win_rate is not None:
            w = row.win_rate
            b = Estimate(
                value=1 - w.value,
                low=None if w.high is None else 1 - w.high,
                high=None if w.low is None else 1 - w.low,
                n=w.n,
                interval=w.interval,
            )
        table.add_row(
            row.name,
            "–" if row.wins_a is None else f"{row.wins_a} / {row.wins_b}\n/ {row.ties}",
            pct(row.win_rate),
            "–" if row.standard_error is None else f"{row.standard_error * 100:.4f}",
            pct(b),
            pct(row.length_controlled_win_rate),
            num(row.length_coefficient, 2),
            pct(row.style_controlled_win_rate),
        )
    console.print(table)


def _print_picks(comparison: Comparison, console: Any) -> None:
    """Listwise rows: each model's pick rate per prompt · judge (and per panel)."""
    from rich.table import Table

    names = sorted({c.name for row in comparison.rows if row.listwise for c in row.listwise.candidates})
    table = Table(title="Picked as best, % (95% CI)", title_justify="left")
    table.add_column("prompt · judge", overflow="fold")
    for name in names:
        table.add_column(name, overflow="fold")
    table.add_column("P(first shown picked) %", overflow="fold")
    for row in comparison.rows:
        by_name = {c.name: c.pick_rate for c in row.listwise.candidates} if row.listwise else {}
        first = row.listwise.p_first if row.listwise else None
        table.add_row(row.name, *(pct(by_name.get(name)) for name in names), pct(first))
    console.print(table)
