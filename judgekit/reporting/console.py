"""The summary as rich tables (printed on stdout: it is the command's result)."""

from __future__ import annotations

from typing import Any

from judgekit.judging.pricing import format_usd
from judgekit.reporting.cells import num, pct
from judgekit.reporting.confidence import confidence_rows
from judgekit.reporting.human_rows import (
    anchored_value,
    human_correlation_rows,
    order_rows,
    print_anchored,
    print_calibration,
    worth_in_labels,
)
from judgekit.reporting.listwise_rows import listwise_rows
from judgekit.reporting.style_rows import style_cell, style_rows
from judgekit.stats.intervals import Estimate
from judgekit.summary import (
    BiasMetrics,
    Cost,
    HumanAgreement,
    HumanCorrelation,
    StageUsage,
    Summary,
)

FLAGGED = "  · flagged (see warnings)"


def summary_rows(summary: Summary) -> list[tuple[str, str]]:
    """(label, value) pairs of the headline table; shared by the console and Markdown reports."""
    counts = summary.counts
    rows: list[tuple[str, str]] = []
    if summary.pairwise is not None:
        pairwise = summary.pairwise
        a = f"A ({pairwise.model_a})" if pairwise.model_a else "A"
        b = f"B ({pairwise.model_b})" if pairwise.model_b else "B"
        rows.append((f"Win rate of {a} over {b}", pct(pairwise.win_rate)))
        rows.append(("Wins A / wins B / ties", f"{pairwise.wins_a} / {pairwise.wins_b} / {pairwise.ties}"))
        graded = pairwise.graded
        if graded is not None:
            weight = f"{graded.strong_weight:g}"
            rows.append((f"Win rate of A by votes (strong = {weight})", pct(graded.win_rate)))
            rows.append(("Grades " + " / ".join(graded.counts), " / ".join(str(n) for n in graded.counts.values())))
        controlled = pairwise.length_controlled
        if controlled is not None and controlled.win_rate is not None:
            rows.append(("Length-controlled win rate of A", pct(controlled.win_rate)))
            rows.append(("Length coefficient (> 0: longer wins)", num(controlled.length_coefficient, 2)))
        rows.extend(style_rows(pairwise.style_controlled, pct, lambda estimate: num(estimate, 2)))
    rows.extend(listwise_rows(summary.listwise, pct))
    if summary.pointwise is not None:
        pointwise = summary.pointwise
        scale = f" on {pointwise.scale[0]:g}-{pointwise.scale[1]:g}" if pointwise.scale else ""
        if pointwise.pass_rate is not None:
            rows.append(("Pass rate", pct(pointwise.pass_rate)))
        else:
            rows.append((f"Mean score{scale}", num(pointwise.mean, 2)))
        if pointwise.distribution:
            bins = "  ".join(f"{key}:{value}" for key, value in pointwise.distribution.items())
            how = f"  ({pointwise.distribution_bins})" if pointwise.distribution_bins else ""
            rows.append(("Score distribution", bins + how))
    rows.append(
        ("Items scored / unscored / failed", f"{counts.scored} / {counts.unscored} / {counts.errors} of {counts.items}")
    )
    if counts.pending:
        rows.append(("Items not yet judged", str(counts.pending)))
    if counts.dropped:
        rows.append(("Items dropped (orders disagreed)", str(counts.dropped)))
    if summary.bias is not None:
        rows.extend(bias_rows(summary.bias))
    human = summary.human
    if isinstance(human, HumanAgreement):
        rows.append(("Agreement with humans", pct(human.agreement)))
        rows.append(("Agreement with humans, no ties", pct(human.agreement_without_ties)))
        rows.append(("Cohen's kappa with humans", num(human.kappa)))
        calibration = human.calibration
        if calibration is not None and calibration.ece is not None:
            rows.append(
                (f"Calibration error (ECE, {calibration.source})", f"{calibration.ece:.3f}  (n={calibration.n})")
            )
    elif isinstance(human, HumanCorrelation):
        rows.extend(human_correlation_rows(human))
    if summary.orders is not None:
        rows.extend(order_rows(summary.orders))
    anchored = summary.human_anchored
    if anchored is not None and anchored.overall is not None:
        overall = anchored.overall
        rows.append(
            (
                f"Human-anchored {anchored.metric} (PPI++)",
                f"{anchored_value(overall.corrected, anchored)}  "
                f"({overall.labelled} labels, {worth_in_labels(overall)})",
            )
        )
    rows.extend(grading_rows(summary))
    rows.extend(confidence_rows(summary))
    calls = calls_phrase(summary)
    if counts.retries:
        calls += ", retries: " + ", ".join(f"{kind} {number}" for kind, number in sorted(counts.retries.items()))
    if counts.failures:
        calls += "; failed: " + ", ".join(f"{kind} {number}" for kind, number in sorted(counts.failures.items()))
    rows.append(("Judge calls", calls))
    for kind, messages in counts.failure_reasons.items():  # what the server said, not just how often
        rows.extend((f"Why: {kind}" if number == 0 else "", message) for number, message in enumerate(messages))
    rows.append(("Tokens in / out", f"{counts.prompt_tokens:,} / {counts.completion_tokens:,}"))
    if summary.cost is not None or summary.stages:
        rows.append(("Cost", cost_text(summary)))
    return rows


def bias_rows(bias: BiasMetrics) -> list[tuple[str, str]]:
    """Position and length bias, with the flags raised and the fixed-order caveat."""
    from judgekit.metrics.bias import FIXED_ORDER_NOTE

    flagged = {flag.metric for flag in bias.flags}

    def mark(metric: str) -> str:
        return FLAGGED if metric in flagged else ""

    first = pct(bias.p_first) + ("" if bias.p_first_is_bias_estimate else f"  ({FIXED_ORDER_NOTE})")
    rows = [("P(first shown preferred)", first + mark("p_first"))]
    if bias.flip_rate is not None:
        where = " (unsure items)" if bias.positions == "adaptive" else ""
        rows.append((f"Flip rate under swapped order{where}", pct(bias.flip_rate) + mark("flip_rate")))
    rows.append(("P(longer answer wins)", pct(bias.p_longer) + mark("p_longer")))
    judge, human, versus = bias.judge_p_longer_vs_humans, bias.human_p_longer, bias.length_vs_humans
    if judge is not None and human is not None:
        text = f"{judge.value:.1%} / {human.value:.1%}  (n={judge.n})"
        rows.append(("P(longer picked): judge / humans, same items", text))
    if versus is not None:
        rows.append(("Length bias given the human label (0: none)", num(versus) + mark("length_vs_humans")))
    return rows


def cost_text(summary: Summary) -> str:
    """What the run was charged; with batch answers, the list price beside it."""
    cost = summary.cost
    if summary.stages:
        return stages_cost_text(summary.stages, cost)
    assert cost is not None and cost.price_in is not None and cost.price_out is not None
    prices = f"${cost.price_in:g} / ${cost.price_out:g} per M tokens"
    if cost.batch_answers and cost.list_usd is not None:
        return (
            f"{format_usd(cost.usd)} charged ({cost.batch_answers} answers at the batch price); "
            f"{format_usd(cost.list_usd)} at list price ({prices})"
        )
    return f"{format_usd(cost.usd)} ({prices})"


def stages_cost_text(stages: list[StageUsage], cost: Cost | None) -> str:
    """A cascade's or a panel's cost: the total when every judge has a price, and each judge's part."""
    parts = "; ".join(
        f"{one.label}: {'no price known' if one.cost_usd is None else format_usd(one.cost_usd)}" for one in stages
    )
    total = format_usd(cost.usd) if cost is not None else "unknown"
    return f"{total} ({parts})"


def calls_phrase(summary: Summary) -> str:
    """How the run's calls were answered, worded the same in the table and the closing line."""
    counts = summary.counts
    text = f"{counts.calls} made, {counts.cached} from cache"
    if counts.resumed:
        text += f" ({counts.resumed} resumed from an earlier session)"
    if summary.stages:
        text += " (" + "; ".join(f"{one.label}: {one.calls} made" for one in summary.stages) + ")"
    return text


def grading_rows(summary: Summary) -> list[tuple[str, str]]:
    """Rows about the prompt library's choices: criterion, templates, references, score method."""
    rows: list[tuple[str, str]] = []
    grading = summary.grading or {}
    if grading.get("criterion"):
        rows.append(("G-Eval criterion", f"{grading['criterion']} (steps {grading.get('steps_source', '?')})"))
    used = grading.get("templates_used") or {}
    if len(used) > 1:
        rows.append(("Templates (items)", ", ".join(f"{name} {count}" for name, count in used.items())))
    if "references_generated" in grading:
        rows.append(("References generated", str(grading["references_generated"])))
    scoring = summary.scoring
    if scoring is not None and scoring.method != "parse":
        text = scoring.method
        if scoring.method == "samples" and scoring.samples:
            requests = "in one request" if scoring.sample_requests == "one" else "as separate requests"
            text += f" ({scoring.samples} per call, {requests})"
        total = sum(scoring.verdicts_by_method.values())
        weighted = scoring.verdicts_by_method.get(scoring.method, 0)
        if weighted != total:
            text += f"; {weighted} of {total} verdicts (the rest as written)"
        if scoring.valid_mass is not None:
            what = "share of samples valid" if scoring.method == "samples" else "valid mass"
            text += f"; {what} {scoring.valid_mass:.3f} (min {scoring.valid_mass_min:.3f})"
        rows.append(("Score method", text))
        if scoring.mean_probabilities:
            probabilities = scoring.mean_probabilities
            rows.append(
                (
                    "Mean P(A) / P(B) / P(tie)",
                    f"{probabilities['A']:.3f} / {probabilities['B']:.3f} / {probabilities['tie']:.3f}",
                )
            )
    local = local_model_row(summary.timing)
    if local is not None:
        rows.append(local)
    return rows


def local_model_row(timing: dict[str, float]) -> tuple[str, str] | None:
    """Load time and throughput of an in-process model, when the run used one."""
    if "model_load_s" not in timing:
        return None
    parts = [f"loaded in {timing['model_load_s']:.1f} s"]
    if "prompt_tokens_per_s" in timing:
        parts.append(f"prompt {timing['prompt_tokens_per_s']:.0f} tokens/s")
    if "generated_tokens_per_s" in timing:
        parts.append(f"generation {timing['generated_tokens_per_s']:.1f} tokens/s")
    if timing.get("threads"):
        threads = int(timing["threads"])
        parts.append(f"{threads} thread" + ("s" if threads != 1 else ""))
    return ("Local model", " · ".join(parts))


def print_summary(summary: Summary, console: Any) -> None:
    from rich.table import Table

    template = summary.template.get("name", "?")
    title = f"judgekit · {summary.kind} · {summary.judge} · {template}"
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("metric", style="bold")
    table.add_column("value")
    for label, value in summary_rows(summary):
        table.add_row(label, value)
    console.print(table)
    categories: dict[str, Estimate] = {}
    label = ""
    if summary.pairwise is not None and summary.pairwise.by_category:
        categories, label = summary.pairwise.by_category, "win rate of A"
    elif summary.pointwise is not None and summary.pointwise.by_category:
        categories = summary.pointwise.by_category
        label = "pass rate" if summary.pointwise.pass_rate is not None else "mean score"
    if categories:
        by_category = Table(title=f"By category ({label})", title_justify="left")
        by_category.add_column("category")
        by_category.add_column(label)
        by_category.add_column("n", justify="right")
        percent = summary.pairwise is not None or label == "pass rate"
        for name, estimate in categories.items():
            by_category.add_row(name, estimate.format(percent=percent, digits=2), str(estimate.n))
        console.print(by_category)
    if summary.pointwise is not None and len(summary.pointwise.by_model) > 1:
        passing = summary.pointwise.pass_rate is not None
        what = "pass rate" if passing else "mean score"
        by_model = Table(title=f"By model ({what})", title_justify="left")
        by_model.add_column("model")
        by_model.add_column(what)
        by_model.add_column("n", justify="right")
        for name, estimate in summary.pointwise.by_model.items():
            by_model.add_row(name, estimate.format(percent=passing, digits=2), str(estimate.n))
        console.print(by_model)
    if summary.checklist is not None:
        from judgekit.reporting.checklist_table import print_checklist

        print_checklist(summary.checklist, console)
        if summary.checklist.calibration is not None:
            print_calibration(summary.checklist.calibration, console)
    if summary.human_anchored is not None:
        print_anchored(summary.human_anchored, console)
    if isinstance(summary.human, HumanAgreement) and summary.human.calibration is not None:
        print_calibration(summary.human.calibration, console)
    if summary.leaderboard is not None:
        _print_leaderboard(summary, console)
    if summary.counts.unscored_reasons:
        reasons = ", ".join(f"{reason} ({number})" for reason, number in summary.counts.unscored_reasons.items())
        console.print(f"Unscored: {reasons}")
    for warning in summary.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")


def _print_leaderboard(summary: Summary, console: Any) -> None:
    from rich.table import Table

    board = summary.leaderboard
    assert board is not None
    against = f", each against {board.baseline}" if board.baseline else ""
    table = Table(
        title=f"Leaderboard ({board.systems} systems{against}; ranked by {board.ranked_by})", title_justify="left"
    )
    headers = ("#", "system", "W / L / T", "win rate", "BT strength", "LC win rate", "SC win rate", "LC + difficulty")
    for header in headers:
        table.add_column(header)
    for row in board.rows:
        table.add_row(
            str(row.rank),
            row.system,
            f"{row.wins} / {row.losses} / {row.ties}",
            row.win_rate.format(percent=True) if row.win_rate else "–",
            row.strength.format(digits=2) if row.strength else "–",
            row.length_controlled_win_rate.format(percent=True) if row.length_controlled_win_rate else "–",
            style_cell(row.style_controlled),
            row.difficulty_controlled_win_rate.format(percent=True) if row.difficulty_controlled_win_rate else "–",
        )
    console.print(table)
    for note in board.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    if board.difficulty is not None and board.difficulty.note:
        console.print(f"[yellow]note:[/yellow] LC + difficulty: {board.difficulty.note}")
