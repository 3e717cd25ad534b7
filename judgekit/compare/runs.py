"""Run several prompts and judges over one human-labelled dataset and compare them.

Each (prompt, judge) combination is an ordinary evaluation (`api.prepare` / `api.execute`)
with its own run directory under the comparison's output directory, so the completion cache,
resuming and `judgekit report` work exactly as for `judgekit eval`. Every combination is
prepared (data, template and judge checked) before the first call is made. The rows, their
ranking and the best-vs-runner-up test are written to `compare.json` in the output directory.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from judgekit.api import Prepared, execute, prepare
from judgekit.choices import DEFAULT_RESAMPLES
from judgekit.compare.panel import combine, inter_judge, resolve, vote_counts
from judgekit.compare.records import Comparison
from judgekit.compare.significance import without_claim
from judgekit.compare.statistics import compare
from judgekit.config import EvalConfig
from judgekit.errors import UsageError
from judgekit.judging.embedded import fill_defaults
from judgekit.judging.progress import NullProgress, Progress
from judgekit.metrics.caveats import is_mock_judge, mock_judge_warning
from judgekit.metrics.families import self_preference_warning
from judgekit.metrics.human_anchored import refuse_if_selected
from judgekit.metrics.levels import Level, resolve_level
from judgekit.metrics.outcomes import JudgedSet, from_run_dir
from judgekit.store.rundir import slug, write_json

COMPARE_FILE = "compare.json"


@dataclass
class CompareOptions:
    """What to compare and how to rank it; the shared run options live in `base`."""

    base: EvalConfig
    """Options every combination shares (dataset, positions, seed, concurrency...)."""
    prompts: Sequence[str | None]
    """Templates to compare; None stands for the default template of the data's kind."""
    judges: Sequence[str]
    panel: bool = False
    """Add, per prompt, a row for the panel of all judges (see `compare.panel`)."""
    panel_rule: str | None = None
    """majority, unanimous or mean; None: majority for verdicts, mean for scores."""
    quorum: int | None = None
    """Valid votes an item needs; None: a majority of the panel."""
    rank_by: str | None = None
    level: str | None = None
    group_by: str | None = None
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)
    """judge -> (USD per million input tokens, USD per million output tokens)."""
    out: str | None = None


@dataclass
class CompareResult:
    comparison: Comparison
    stop_reasons: dict[str, str] = field(default_factory=dict)
    """Combinations that stopped early (budget, fatal provider error), with why."""
    errors: dict[str, int] = field(default_factory=dict)
    """Combinations with items that failed after retries."""
    sets: list[JudgedSet] = field(default_factory=list)
    """Each combination's outcomes, in the order they ran."""
    directory: Path | None = None


def output_dir(options: CompareOptions) -> Path:
    if options.out:
        return Path(options.out)
    identity = json.dumps(
        [list(options.prompts), list(options.judges), options.base.positions, options.base.seed], default=str
    )
    digest = hashlib.sha256(identity.encode()).hexdigest()[:8]
    return Path(options.base.runs_root) / f"compare-{slug(Path(options.base.dataset).stem)}-{digest}"


def plan(options: CompareOptions) -> tuple[Path, list[Prepared]]:
    """Check every combination before anything is written or paid for."""
    if not options.judges:
        raise UsageError("no judge given: pass --judge provider/model (repeat it to compare judges)")
    if len(set(options.judges)) != len(options.judges):
        raise UsageError("a judge is named twice; give each --judge once")
    prompts = list(options.prompts) or [None]
    if len(set(prompts)) != len(prompts):
        raise UsageError("a prompt is named twice; give each --prompt once")
    directory = output_dir(options)
    prepared = []
    for prompt in prompts:
        for judge in options.judges:
            name = f"{slug(prompt or 'default')}--{slug(judge)}"
            config = options.base.model_copy(update={"prompt": prompt, "judge": judge, "out": str(directory / name)})
            prepared.append(prepare(fill_defaults(config)))
    kinds = {item.template.meta.kind for item in prepared}
    if len(kinds) > 1:
        raise UsageError("the prompts mix pairwise and pointwise templates; compare templates of one kind")
    check_panel_options(options.panel, options.panel_rule, options.quorum)
    if options.panel:  # a wrong quorum stops the command before any call is paid for
        resolve(next(iter(kinds)), len(options.judges), options.panel_rule, options.quorum)
    return directory, prepared


def check_panel_options(panel: bool, rule: str | None, quorum: int | None) -> None:
    if not panel and (rule is not None or quorum is not None):
        raise UsageError("--panel-rule and --quorum go with --panel (several judges combined)")


def run_compare(
    options: CompareOptions,
    progress: Callable[[], Progress] | None = None,
    before_judging: Callable[[list[Prepared]], None] | None = None,
) -> CompareResult:
    """Judge the dataset with every combination (resuming what exists) and compare them;
    `before_judging` sees every checked combination before the first call (to ask before spending)."""
    level: Level = resolve_level(options.level, options.group_by)
    directory, prepared = plan(options)
    if before_judging is not None:
        before_judging(prepared)
    sets: list[JudgedSet] = []
    result = CompareResult(comparison=Comparison(kind="pairwise", dataset="", ranked_by="", rows=[]))
    for one in prepared:
        started = time.monotonic()
        outcome = asyncio.run(execute(one, progress() if progress else NullProgress()))
        name = f"{one.template.name} · {one.spec}"
        judged = from_run_dir(outcome.run_dir, name=name)
        judged.wall_s = round(time.monotonic() - started, 3)
        sets.append(judged)
        if outcome.stop_reason:
            result.stop_reasons[name] = outcome.stop_reason
        if outcome.summary.counts.errors:
            result.errors[name] = outcome.summary.counts.errors
    result.sets, result.directory = sets, directory
    result.comparison = analyse(
        sets,
        dataset=options.base.dataset,
        panel=options.panel,
        panel_rule=options.panel_rule,
        quorum=options.quorum,
        rank_by=options.rank_by,
        level=level,
        group_by=options.group_by,
        prices=options.prices,
        resamples=options.base.bootstrap_resamples,
        seed=options.base.seed,
        directory=directory,
    )
    return result


def analyse(
    sets: list[JudgedSet],
    *,
    dataset: str,
    panel: bool = False,
    panel_rule: str | None = None,
    quorum: int | None = None,
    rank_by: str | None = None,
    level: Level = "item",
    group_by: str | None = None,
    prices: dict[str, tuple[float, float]] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    directory: Path | None = None,
    anchored: bool = False,
    labels_are_random: bool = False,
) -> Comparison:
    """The comparison of judged sets (plus panels), written to compare.json when a directory is given.

    This needs no model: `judgekit agreement` calls it on judgments that already exist. With
    `anchored`, each row also gets the human-anchored (PPI++) estimates, and an obviously
    selected set of labelled items is refused (UsageError) unless `labels_are_random`.
    """
    check_panel_options(panel, panel_rule, quorum)
    panels = []
    mock_panels: set[str] = set()
    rows_sets = list(sets)
    if panel:
        by_prompt: dict[str | None, list[JudgedSet]] = {}
        for judged in sets:
            by_prompt.setdefault(judged.prompt, []).append(judged)
        for prompt, members in by_prompt.items():
            if len(members) < 2:
                continue
            label = f"{prompt} · " if prompt and len(by_prompt) > 1 else ""
            rule, needed = resolve(members[0].kind, len(members), panel_rule, quorum)
            name = f"{label}panel ({rule} of {len(members)} judges, quorum {needed})"
            combined = combine(members, name=name, rule=rule, quorum=needed)
            rows_sets.append(combined)
            if any(is_mock_judge(member.judge) for member in members):
                mock_panels.add(combined.name)
            agreement = inter_judge(members, resamples=resamples, seed=seed)
            agreement.rule, agreement.quorum, agreement.votes = rule, needed, vote_counts(combined)
            agreement.below_quorum = sum((outcome.votes or 0) < needed for outcome in combined.outcomes)
            panels.append(agreement)
    comparison = compare(
        rows_sets,
        dataset=dataset,
        metric=rank_by,
        level=level,
        group_by=group_by,
        prices=prices,
        resamples=resamples,
        seed=seed,
        anchored=anchored,
        labels_are_random=labels_are_random,
    )
    for row in comparison.rows:
        refuse_if_selected(row.human_anchored)
    comparison.panels = panels
    _flag_mock_judges(comparison, sets, mock_panels)
    candidates = {name for fact in sets[0].facts for name in (fact.model, fact.model_a, fact.model_b) if name}
    for judge in dict.fromkeys(judged.judge for judged in sets if judged.judge):
        warning = self_preference_warning(judge, candidates)
        if warning:
            comparison.warnings.append(warning)
    if any(judged.positions == "fixed" for judged in sets) and comparison.kind == "pairwise":
        comparison.warnings.append(
            "P(first) is left out: under --positions fixed answer A is always shown first, so it would be A's share "
            "of the verdicts, not a position-bias estimate (use --positions swap or random)"
        )
    for row in comparison.rows:
        if row.unscored:
            comparison.warnings.append(f"{row.name}: {row.unscored} of {row.items} items are unscored")
        if row.errors:
            comparison.warnings.append(f"{row.name}: {row.errors} items failed; run the same command again")
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        comparison.output_dir = str(directory)
        write_json(directory / COMPARE_FILE, comparison.model_dump(mode="json"))
    return comparison


def _flag_mock_judges(comparison: Comparison, sets: list[JudgedSet], mock_panels: set[str]) -> None:
    """Warn about mock judges and withdraw the significance claim between their rows."""
    warning = mock_judge_warning(judged.judge for judged in sets)
    if warning is None:
        return
    comparison.warnings.insert(0, warning)
    mock_names = {judged.name for judged in sets if is_mock_judge(judged.judge)} | mock_panels
    if comparison.best_vs_runner_up is not None:
        comparison.best_vs_runner_up = without_claim(comparison.best_vs_runner_up, mock_names)


def parse_prices(specs: Sequence[str]) -> dict[str, tuple[float, float]]:
    """`--price openai/gpt-4o-mini=0.15:0.60` (USD per million input:output tokens) into a mapping."""
    prices = {}
    for spec in specs:
        judge, sep, numbers = spec.rpartition("=")
        parts = numbers.split(":")
        try:
            values = (float(parts[0]), float(parts[1])) if sep and judge and len(parts) == 2 else None
        except ValueError:
            values = None
        if values is None or min(values) < 0:
            raise UsageError(
                f"--price expects JUDGE=INPUT:OUTPUT in USD per million tokens "
                f"(e.g. openai/gpt-4o-mini=0.15:0.60), got {spec!r}"
            )
        prices[judge] = values
    return prices


def load_comparison(directory: Path) -> Comparison:
    """The comparison stored in a `judgekit compare` output directory (no model calls)."""
    path = directory / COMPARE_FILE
    try:
        return Comparison.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read the comparison ({exc.__class__.__name__})") from None
