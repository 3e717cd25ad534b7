"""The console and Markdown rows that say how sure the judge was, and what --positions adaptive saved."""

from __future__ import annotations

from judgekit.summary import ConfidenceInfo, Summary


def mean_confidence(confidence: ConfidenceInfo | None) -> str:
    """A mean confidence and where it came from, as the run summary names it ("0.833 (logprobs)");
    "–" for verdicts without one (`compare`'s rows: console, HTML)."""
    if confidence is None:
        return "–"
    return f"{confidence.mean:.3f} ({', '.join(confidence.sources)})"


def confidence_rows(summary: Summary) -> list[tuple[str, str]]:
    """Mean confidence and the share of unsure verdicts; under adaptive, the calls made and saved."""
    rows: list[tuple[str, str]] = []
    confidence = summary.confidence
    if confidence is not None:
        sources = ", ".join(confidence.sources)
        rows.append(
            (
                "Confidence: mean / below threshold",
                f"{confidence.mean:.3f} / {confidence.below_share:.1%} below {confidence.threshold:g}  "
                f"(n={confidence.n}; {sources})",
            )
        )
    checked = summary.checklist.calibration if summary.checklist is not None else None
    if checked is not None and checked.ece is not None:  # a checklist panel's, against human verdicts
        rows.append((f"Calibration error (ECE, {checked.source})", f"{checked.ece:.3f}  (n={checked.n})"))
    adaptive = summary.adaptive
    if adaptive is not None:
        text = (
            f"{adaptive.calls} calls for {adaptive.items} items ({adaptive.calls_per_item:.2f} per item), "
            f"{adaptive.saved} saved against both orders; {adaptive.both_orders} items got both orders"
        )
        if adaptive.flip_rate is not None:
            text += f", {adaptive.flip_rate.format(percent=True)} of them flipped"
        if adaptive.audit:
            text += f"; audit: {adaptive.audit_changed} of {adaptive.audited} sure verdicts changed"
        if adaptive.kept is not None:
            text += f"; full swap's verdicts kept: {adaptive.kept.format(percent=True)}"
        rows.append(("Adaptive order", text))
        unsure_only = adaptive.audited == 0  # with an audit, sure items judged twice were drawn, not unsure
        if adaptive.items and adaptive.saved == 0 and unsure_only:
            rows.append(("Adaptive order: no call saved", _why_nothing_saved(summary, adaptive.threshold)))
    return rows


def _why_nothing_saved(summary: Summary, threshold: float) -> str:
    """Why an adaptive run judged every item in both orders, and what would change it."""
    if summary.scoring is not None and summary.scoring.method == "parse":
        return "every first verdict was a tie or unscored; without a probability (--score-method parse) only those swap"
    why = f"every first verdict was a tie, unscored or below --swap-below {threshold:g}"
    return f"{why}; lower it (--swap-audit shows what that keeps)"
