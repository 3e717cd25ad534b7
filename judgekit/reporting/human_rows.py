"""The console rows and tables of figures measured against human labels: per-order accuracy,
correlations with their human-human ceiling, the human-anchored (PPI++) estimates and the
judge's calibration."""

from __future__ import annotations

from typing import Any

from judgekit.reporting.cells import num, pct
from judgekit.stats.intervals import Estimate
from judgekit.summary import AnchoredEstimate, HumanAnchored, HumanCorrelation, JudgeCalibration, OrderAccuracy


def order_rows(orders: OrderAccuracy) -> list[tuple[str, str]]:
    """Accuracy against the human labels in each shown order, their mean, and combined."""

    def share(estimate: Estimate | None) -> str:
        return estimate.format(percent=True) if estimate is not None else "–"

    combined = pct(orders.combined)
    if orders.dropped:
        combined += f"  ({orders.dropped} dropped)"
    return [
        (
            "Accuracy, A shown first / B shown first",
            f"{share(orders.a_first)} / {share(orders.b_first)}  (n={orders.n})",
        ),
        ("Accuracy, mean of the two orders", pct(orders.mean)),
        ("Positional agreement (same verdict in both orders)", pct(orders.positional_agreement)),
        (f"Accuracy, orders combined ({orders.rule})", combined),
    ]


def human_correlation_rows(human: HumanCorrelation) -> list[tuple[str, str]]:
    """Correlations, agreement on scores, the human-human ceiling and why any figure is missing."""
    level = "" if human.level == "item" else f" ({human.level} level by {human.group_by}, {human.groups} groups)"
    rows = [
        (f"Spearman with humans{level}", num(human.spearman)),
        (f"Kendall tau-b with humans{level}", num(human.kendall)),
        (f"Pearson with humans{level}", num(human.pearson)),
    ]
    for label, estimate in (
        ("Weighted kappa with humans (linear)", human.kappa_linear),
        ("Weighted kappa with humans (quadratic)", human.kappa_quadratic),
        ("Krippendorff's alpha with humans (ordinal)", human.alpha_ordinal),
        ("Krippendorff's alpha with humans (interval)", human.alpha_interval),
        ("ICC(A,1) with humans", human.icc),
    ):
        if estimate is not None:
            rows.append((label, num(estimate)))
    ceiling = human.raters
    if ceiling is not None:
        rows.append(("Human raters per item (most)", f"{ceiling.raters} ({ceiling.items} items with two or more)"))
        rows.append(("Human-human alpha (interval)", num(ceiling.alpha_interval)))
        if ceiling.alpha_ordinal is not None:
            rows.append(("Human-human alpha (ordinal)", num(ceiling.alpha_ordinal)))
        if ceiling.icc is not None:
            rows.append(("Human-human ICC(1)", num(ceiling.icc)))
        rows.append(("Spearman, one human vs the rest", num(ceiling.human_spearman)))
        rows.append(("Spearman, judge vs the same rest", num(ceiling.judge_spearman)))
    rows.extend(("Note", note) for note in human.notes)
    return rows


def anchored_value(estimate: Estimate, anchored: HumanAnchored) -> str:
    """A human-anchored figure: a percentage for rates, the value itself for a mean score."""
    return estimate.format(percent=anchored.metric != "mean score", digits=2)


def worth_in_labels(estimate: AnchoredEstimate) -> str:
    """What the judge was worth, in human labels."""
    if estimate.effective_labels is None:
        return "worth –"
    gain = estimate.effective_labels / estimate.labelled
    return f"worth {estimate.effective_labels:.1f} = {gain:.2f}x"


def print_anchored(anchored: HumanAnchored, console: Any) -> None:
    """Judge only, humans only and corrected side by side, overall and per category."""
    from rich.table import Table

    stratified = f", stratified by {anchored.stratified_by}" if anchored.stratified_by else ""
    title = (
        f"Human-anchored {anchored.metric} (PPI++: {anchored.labelled} of {anchored.items} scored items "
        f"labelled{stratified}; normal 95% CIs)"
    )
    table = Table(title=title, title_justify="left")
    for header in ("", "items", "labelled", "judge only", "humans only", "corrected (PPI++)", "worth (labels)", "λ"):
        table.add_column(header, justify="right" if header in ("items", "labelled") else "left")
    rows = [("all items", anchored.overall)] if anchored.overall else []
    rows += list(anchored.by_category.items())
    for name, estimate in rows:
        assert estimate is not None
        table.add_row(
            name,
            str(estimate.items),
            str(estimate.labelled),
            anchored_value(estimate.judge_only, anchored),
            anchored_value(estimate.human_only, anchored),
            anchored_value(estimate.corrected, anchored),
            f"{estimate.effective_labels:.1f}" if estimate.effective_labels is not None else "–",
            " ".join(f"{value:.2f}" for value in estimate.lambdas.values()),
        )
    console.print(table)
    for note in anchored.notes:
        console.print(f"[yellow]note:[/yellow] {note}")


def print_calibration(calibration: JudgeCalibration, console: Any) -> None:
    """The reliability table: per confidence bin, how often the judge agreed with the humans."""
    from rich.table import Table

    ece = "–" if calibration.ece is None else f"{calibration.ece:.3f}"
    table = Table(
        title=f"Judge calibration ({calibration.source} against human labels; ECE {ece})", title_justify="left"
    )
    for header in ("confidence", "items", "mean confidence", "agreement with humans"):
        table.add_column(header, justify="right")
    for row in calibration.bins:
        table.add_row(f"{row.low:.1f}-{row.high:.1f}", str(row.n), f"{row.confidence:.3f}", f"{row.accuracy:.3f}")
    console.print(table)
