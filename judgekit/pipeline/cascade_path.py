"""`judgekit eval --cascade A,B,...`: every item to the first judge, the unsure ones on to the next.

Everything is checked before the first call: every judge is prepared over the whole data (its
template, backend, prices), each judge a verdict must be kept or escalated on has to give a
confidence, and `--target-agreement` needs pairwise data with human labels. The stages run in
`compare.cascade_run`; the combined verdicts (`<out>/cascade/`) go through the one ending like
any run, so gates, JUnit, Markdown and HTML apply to the cascade's verdicts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from judgekit.api import Prepared, finish, prepare
from judgekit.ci.gates import check_options
from judgekit.ci.passrule import RunFacts
from judgekit.compare.cascade_dir import (
    ABSTAIN_FILE,
    CASCADE_DIR,
    REPORT_FILE,
    VERDICT_COLUMN,
    CascadeReport,
    stage_dicts,
    write_abstained,
    write_cascade_run,
    write_report,
)
from judgekit.compare.cascade_run import CascadeOptions, StagesResult, run_stages, stage_dir
from judgekit.config import EvalConfig
from judgekit.errors import InputError, Interrupted, UsageError
from judgekit.judging.embedded import fill_defaults
from judgekit.judging.pricing import format_usd
from judgekit.metrics.cascade import DEFAULT_ESCALATE_BELOW, sources
from judgekit.metrics.cascade_thresholds import (
    DEFAULT_ERROR_LEVEL,
    TargetReport,
    fewest_items,
    held_apart,
    shown_threshold,
    stage_error_level,
)
from judgekit.pipeline.confirm import agree_to_multiplied_calls
from judgekit.pipeline.ending import RunEnd, end_run
from judgekit.pipeline.request import progress_factory, refuse, refuse_selected_labels, say_start_notes
from judgekit.pipeline.single_end import run_page
from judgekit.store.rundir import slug

if TYPE_CHECKING:
    from judgekit.pipeline.request import EvalRequest
    from judgekit.stats.intervals import Estimate


@dataclass(frozen=True)
class CascadeSpec:
    """What `--cascade`, `--escalate-below`, `--abstain-below`, `--target-agreement` and `--error-level` asked for."""

    judges: list[str]
    escalate_below: float | None = None
    abstain_below: float | None = None
    target_agreement: float | None = None
    error_level: float | None = None

    def check(self) -> None:
        """Usage mistakes, before anything is read."""
        if len(set(self.judges)) != len(self.judges):
            raise UsageError("--cascade names a judge twice; give each judge once")
        if len(self.judges) < 2 and self.abstain_below is None and self.target_agreement is None:
            raise UsageError("--cascade needs two judges or more (or --abstain-below to leave unsure items to humans)")
        for flag, value in (("--escalate-below", self.escalate_below), ("--abstain-below", self.abstain_below)):
            if value is not None and not 0.0 <= value <= 1.0:
                raise UsageError(f"{flag} {value:g}: a confidence threshold lies between 0 and 1")
        if self.error_level is not None:
            if self.target_agreement is None:
                raise UsageError("--error-level cannot be used without --target-agreement, whose guarantee it sets")
            if not 0.0 < self.error_level < 1.0:
                raise UsageError(f"--error-level {self.error_level:g}: give a chance above 0 and below 1")
        if self.target_agreement is not None:
            if not 0.0 < self.target_agreement < 1.0:
                raise UsageError(
                    f"--target-agreement {self.target_agreement:g}: give a share above 0 and below 1 "
                    "(no finite number of labels can guarantee agreement 1)"
                )
            given = [
                flag
                for flag, value in (("--escalate-below", self.escalate_below), ("--abstain-below", self.abstain_below))
                if value is not None
            ]
            if given:
                raise UsageError(
                    f"{', '.join(given)} cannot be used with --target-agreement, which chooses the thresholds"
                )


def cascade_run(request: EvalRequest, spec: CascadeSpec) -> int:
    """Check, judge stage by stage, write `<out>/cascade`, then the one ending; the exit code."""
    spec.check()
    refuse(["--batch"] if request.batch else [], "with --cascade (each stage waits for the one before)")
    given = [
        flag
        for flag, value in (("--panel-rule", request.panel_rule), ("--quorum", request.quorum))
        if value is not None
    ]
    refuse(given, "with --cascade (a cascade keeps one judge's verdict per item, it does not vote)")
    config = request.config
    if config.price_in is not None or config.price_out is not None:
        refuse(["--price-in/--price-out"], "with --cascade (one price pair cannot fit several judges)")
    request.post.check_targets()
    out = _out_dir(config, spec.judges)
    planned = _plan(config, spec, out)
    check_options(request.post.gates, RunFacts.of(planned[0].manifest))
    refuse_selected_labels(planned[0])
    say_start_notes(planned)  # each note once, however many judges it concerns
    agree_to_multiplied_calls(planned, request.yes)  # once for every judge (each counted on every item: at most)
    options = CascadeOptions(
        judges=spec.judges,
        out=out,
        escalate_below=spec.escalate_below if spec.escalate_below is not None else DEFAULT_ESCALATE_BELOW,
        abstain_below=spec.abstain_below,
        target_agreement=spec.target_agreement,
        error_level=spec.error_level if spec.error_level is not None else DEFAULT_ERROR_LEVEL,
        seed=config.seed,
        max_cost=config.max_cost,
    )
    write_report(out, _report(spec, options, planned))  # what `--resume OUT` reads, should this session stop
    try:
        result = run_stages(planned, options, progress_factory(request.quiet))
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted: what the stages judged is kept under {out}; run the same command again to finish"
        ) from None
    end = _ending(result, planned, spec, options)
    end.html_writer = run_page(end.run_dir, end.summary) if end.run_dir else None
    return end_run(end, request.post)


def _out_dir(config: EvalConfig, judges: list[str]) -> Path:
    if config.out:
        return Path(config.out)
    identity = json.dumps([judges, config.prompt, config.positions, config.seed, config.score_method])
    digest = hashlib.sha256(identity.encode()).hexdigest()[:8]
    return Path(config.runs_root) / f"cascade-{slug(Path(config.dataset).stem)}-{digest}"


def _plan(config: EvalConfig, spec: CascadeSpec, out: Path) -> list[Prepared]:
    """Every judge's run over the whole data, checked; refuses judges a cascade cannot use."""
    planned = []
    for stage, judge in enumerate(spec.judges, start=1):
        stage_config = config.model_copy(update={"judge": judge, "out": str(stage_dir(out, stage, judge))})
        planned.append(prepare(fill_defaults(stage_config)))
    kinds = {prepared.info.kind for prepared in planned}
    if len(kinds) > 1:
        raise UsageError("--cascade: the judges' templates mix pairwise and pointwise; a cascade judges one kind")
    keeps_on_confidence = spec.abstain_below is not None or spec.target_agreement is not None
    for stage, prepared in enumerate(planned, start=1):
        last = stage == len(planned)
        if (not last or keeps_on_confidence) and confidence_source(prepared) is None:
            why = "escalate" if not last else "abstain"
            raise UsageError(
                f"--cascade: {prepared.spec} gives no confidence for its verdicts (score method "
                f"{prepared.grading.scoring.method}, --positions {prepared.config.positions}), so no item could "
                f"{why} on it; use --score-method logprobs or samples, or --positions swap for pairwise data"
            )
    if spec.target_agreement is not None:
        info = planned[0].info
        if info.kind != "pairwise" or not info.has_human_labels:
            raise UsageError(
                "--target-agreement needs pairwise data with human labels (a human_label column), to choose the "
                "thresholds on some labelled items and check them on the others"
            )
    return planned


def confidence_source(prepared: Prepared) -> str | None:
    """What a judge's per-item confidence comes from in this run, or None when nothing gives one."""
    method = prepared.grading.scoring.method
    if method in ("logprobs", "samples"):
        return method
    if prepared.info.kind == "pairwise" and prepared.config.positions == "swap":
        return "order agreement"
    return None


def _ending(result: StagesResult, planned: list[Prepared], spec: CascadeSpec, options: CascadeOptions) -> RunEnd:
    assert result.first is not None
    out = options.out
    run = write_cascade_run(out, result.first, result.settled, spec.judges, result.stages)
    stopped = {
        f"stage {stage.stage} ({stage.judge})": stage.stop_reason for stage in result.stages if stage.stop_reason
    }
    summary = finish(
        run, status="incomplete" if stopped else "complete", labels_are_random=planned[0].config.labels_are_random
    )
    abstain_path = out / ABSTAIN_FILE
    abstained = write_abstained(planned[0].dataset, result.settled, abstain_path)
    target = _target_report(result, options)
    report = _report(spec, options, planned).model_copy(
        update={
            "stages": stage_dicts(result.stages),
            "sources": sources(result.settled),
            "abstained": abstained,
            "abstain_file": str(abstain_path) if abstained else None,
            "target": target,
        }
    )
    write_report(out, report)
    notes = [*result.notes, *_untrusted(result, options), *_lines(report)]
    return RunEnd(
        run_dir=run.path,
        summary=summary,
        notes=notes,
        gate_note=f"gates and CI reports use the cascade's verdicts, stored in {run.path}",
        stop_reasons=stopped,
        failed_items={"run": summary.counts.errors},
    )


def _report(spec: CascadeSpec, options: CascadeOptions, planned: list[Prepared]) -> CascadeReport:
    """The cascade's record before any stage ran: what it was asked to do."""
    return CascadeReport(
        judges=list(spec.judges),
        escalate_below=None if spec.target_agreement is not None else options.escalate_below,
        abstain_below=spec.abstain_below,
        target_agreement=spec.target_agreement,
        error_level=options.error_level if spec.target_agreement is not None else None,
        stages=[],
        sources={},
        abstained=0,
        run_dir=str(options.out / CASCADE_DIR),
    )


@dataclass(frozen=True)
class StoredCascade:
    """A cascade's output directory, as `judgekit eval --resume OUT` finds it."""

    out: Path
    spec: CascadeSpec
    stage_one: Path
    """The first stage's run directory: its run.json holds the options every stage shares."""


def stored_cascade(path: str) -> StoredCascade | None:
    """The cascade whose output directory (or whose `cascade/` run) `path` is; None for any other directory."""
    folder = Path(path)
    if folder.name == CASCADE_DIR and (folder.parent / REPORT_FILE).is_file():
        folder = folder.parent
    record = folder / REPORT_FILE
    if not record.is_file():
        return None
    try:
        report = CascadeReport.model_validate_json(record.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{record}: cannot read the cascade's record ({exc.__class__.__name__})") from None
    spec = CascadeSpec(
        judges=report.judges,
        escalate_below=report.escalate_below,
        abstain_below=report.abstain_below,
        target_agreement=report.target_agreement,
        error_level=report.error_level,
    )
    return StoredCascade(folder, spec, stage_dir(folder, 1, report.judges[0]))


def _target_report(result: StagesResult, options: CascadeOptions) -> TargetReport | None:
    if options.target_agreement is None or result.split is None or result.first is None:
        return None
    coverage, agreement = held_apart(result.settled, result.first.facts, result.split.held_apart)
    level = stage_error_level(options.error_level, len(options.judges))
    return TargetReport(
        target=options.target_agreement,
        error_level=options.error_level,
        stage_error_level=level,
        seed=options.seed,
        calibration_items=len(result.split.calibration),
        held_apart_items=len(result.split.held_apart),
        thresholds=[shown_threshold(value) for value in result.thresholds],
        evidence=list(result.evidence),
        kept=[0 if one.passed is None else one.passed.kept for one in result.guarantees],
        disagreement_bounds=[None if one.passed is None else one.passed.bound for one in result.guarantees],
        fewest=fewest_items(options.target_agreement, level),
        coverage=coverage,
        agreement=agreement,
    )


def _lines(report: CascadeReport) -> list[str]:
    """The stderr account of the cascade: per stage, where the verdicts came from, the target."""
    lines = []
    for stage in report.stages:
        cost = "cost unknown (no price for this judge)" if stage["cost_usd"] is None else format_usd(stage["cost_usd"])
        lines.append(
            f"cascade stage {stage['stage']} {stage['judge']}: {stage['items']} items{_moved(report, stage)}; "
            f"{stage['calls']} paid calls, {stage['cached']} from cache, {cost}; run in {stage['run_dir']}"
        )
    shown = ", ".join(f"{count} {source}" for source, count in report.sources.items())
    lines.append(f"cascade verdicts: {shown}")
    if report.abstain_file:
        lines.append(
            f"{report.abstained} items are left for human labels in {report.abstain_file} "
            f"(`judgekit labels plan {report.abstain_file} --pred {VERDICT_COLUMN} --n N`)"
        )
    if report.target is not None:
        lines.append(_target_line(report.target))
    return lines


def _untrusted(result: StagesResult, options: CascadeOptions) -> list[str]:
    """One line per stage `--target-agreement` could trust no verdict of, saying why."""
    if options.target_agreement is None:
        return []
    target = options.target_agreement
    level = stage_error_level(options.error_level, len(options.judges))
    lines = []
    for record, guarantee, evidence in zip(result.stages, result.guarantees, result.evidence, strict=True):
        if guarantee.passed is not None:
            continue
        failed = guarantee.failed
        if failed is not None:
            why = (
                f"its {failed.kept} most confident calibration verdicts (confidence >= {failed.threshold:g}) include "
                f"{failed.disagreements} that disagree with the humans: disagreement could be up to "
                f"{failed.bound:.3f} > {1 - target:.3g}"
            )
        else:
            why = (
                f"{evidence} calibration items reached it with a verdict and a confidence; at least "
                f"{guarantee.fewest} are needed, all agreeing with the humans"
            )
        went = "were left for humans" if record.stage == len(options.judges) else "escalated"
        lines.append(
            f"warning: --target-agreement {target:g}: no threshold of stage {record.stage} ({record.judge}) can "
            f"guarantee it at error level {level:.3g}: {why}; none of its verdicts is trusted "
            f"(the items it judged {went})"
        )
    return lines


def _moved(report: CascadeReport, stage: dict[str, Any]) -> str:
    """`, N escalated (below T)` for a stage that passed items on, `, N abstained (...)` for the last."""
    threshold = stage["threshold"]
    rule = "no verdict trusted" if threshold is None else f"confidence below {threshold:g}"
    if stage["stage"] < len(report.judges):
        return f", {stage['escalated']} escalated ({rule})"
    if report.abstain_below is None and report.target is None:
        return ""
    return f", {report.abstained} abstained ({rule}, or no verdict)"


def _target_line(target: TargetReport) -> str:
    sure = f"{1 - target.stage_error_level:.1%}".replace(".0%", "%")
    chosen = ", ".join(
        f"stage {index} none trusted ({evidence} items)"
        if value is None or bound is None
        else f"stage {index} >= {value:g} (keeps {kept} of {evidence} items; disagreement <= {bound:.3f} "
        f"with {sure} confidence)"
        for index, (value, evidence, kept, bound) in enumerate(
            zip(target.thresholds, target.evidence, target.kept, target.disagreement_bounds, strict=True), start=1
        )
    )
    head = (
        f"--target-agreement {target.target:g} at error level {target.error_level:g} (each stage at "
        f"{target.stage_error_level:.3g}): thresholds chosen on {target.calibration_items} calibration items "
        f"(seed {target.seed}): {chosen}"
    )
    if target.coverage is None:
        return f"{head}; no labelled item was held apart to check them on"
    kept = round(target.coverage.value * target.coverage.n)
    coverage = f"coverage {target.coverage.value:.3f} ({kept} of {target.coverage.n})"
    if target.agreement is None:
        return f"{head}; on the held-apart items: {coverage}, no verdict kept to measure agreement on"
    agreement = target.agreement
    return (
        f"{head}; on the {target.held_apart_items} held-apart items: {coverage}, agreement {agreement.value:.3f} "
        f"{_interval(agreement)} (exact 95% CI, {agreement.n} items)"
    )


def _interval(estimate: Estimate) -> str:
    if estimate.low is None or estimate.high is None:
        return "(no interval)"
    return f"[{estimate.low:.3f}, {estimate.high:.3f}]"
