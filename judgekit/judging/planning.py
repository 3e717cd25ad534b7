"""Planning a run's grading from its options: which templates, which auxiliary inputs.

`plan_grading(config, data_kind)` settles every template before a row is read: `--prompt`
(one template for all items), `--mode geval` (G-Eval's form-filling template plus its steps),
`--mode reference` (reference-guided templates), `--domain` (general, coding or math prompts,
or `auto` by each item's category) and `--rubric`; `grading_info` later tells the summary how
the run graded. The plan itself, and judging items by it, is `grading.Grading`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from judgekit.config import EvalConfig
from judgekit.errors import UsageError
from judgekit.inputs.criteria import BUILTIN_CRITERIA, read_steps_file, resolve
from judgekit.inputs.domains import Domain, template_name
from judgekit.inputs.prompts import Template
from judgekit.inputs.rubrics import load_rubric
from judgekit.inputs.template_files import load, load_aux
from judgekit.judging.auxiliary import REFERENCE_CALL, STEPS_CALL, text_of
from judgekit.judging.grading import Grading
from judgekit.schema import Judgment, Kind
from judgekit.store.rundir import latest_rows


# -- planning -----------------------------------------------------------------------------
def plan_grading(config: EvalConfig, data_kind: Kind) -> Grading:
    """Settle the templates and grading inputs from the options (no model, no backend)."""
    if data_kind == "listwise":
        refuse_for_listwise(config)
    mode = config.mode
    if mode is None and (config.criterion or config.steps):
        mode = "geval"
    if mode == "geval":
        return _plan_geval(config, data_kind)
    if config.criterion or config.steps or config.steps_prompt:
        raise UsageError("--criterion, --steps and --steps-prompt are for --mode geval")
    reference_mode = mode == "reference"
    kind: Kind = mode if mode in ("pairwise", "pointwise") else data_kind
    if config.prompt:
        if config.domain != "general":
            raise UsageError("--domain picks among the built-in templates; drop it or drop --prompt")
        template = load(config.prompt)
        if mode in ("pairwise", "pointwise") and template.meta.kind != mode:
            raise UsageError(f"template {template.name} is {template.meta.kind} but --mode is {mode}")
        if reference_mode and "reference" not in template.variables():
            raise UsageError(f"--mode reference: template {template.name} does not show {{{{ reference }}}}")
        templates: dict[Domain, Template] = {"general": template}
    elif config.rubric and config.domain == "general" and not reference_mode:
        if kind != "pointwise":
            raise UsageError("--rubric grades single answers; the built-in rubric template is pointwise")
        templates = {"general": load("pointwise/rubric")}
    elif config.domain == "auto":
        templates = {
            domain: load(template_name(kind, domain, reference_mode)) for domain in ("general", "math", "coding")
        }
    else:
        templates = {"general": load(template_name(kind, config.domain, reference_mode))}
    grading = Grading(config=config, kind=kind, mode="reference" if reference_mode else "plain", templates=templates)
    _add_inputs(grading, config)
    return grading


def refuse_for_listwise(config: EvalConfig) -> None:
    """Options that have no meaning when the judge picks one of several answers (exit 2, one line)."""
    given = [
        option
        for option, value in (
            ("--mode", config.mode),
            ("--domain", None if config.domain == "general" else config.domain),
            ("--rubric", config.rubric),
            ("--criterion", config.criterion),
            ("--steps", config.steps),
            ("--generate-reference", config.generate_reference or None),
            ("--order-disagreement", config.order_disagreement),
            ("--score-method", None if config.score_method in (None, "auto", "parse") else config.score_method),
            ("--samples", config.samples),
        )
        if value is not None
    ]
    if given:
        raise UsageError(
            f"{', '.join(given)} cannot be used with listwise data (rows with 'answers'): the judge picks one answer"
        )


def _plan_geval(config: EvalConfig, data_kind: Kind) -> Grading:
    if data_kind != "pointwise":
        raise UsageError("--mode geval scores single answers, but the data is pairwise (answer_a/answer_b)")
    if config.domain != "general":
        raise UsageError("--domain does not apply to --mode geval; the criterion decides what is judged")
    if not config.criterion:
        raise UsageError(
            f"--mode geval needs --criterion: a built-in one ({', '.join(BUILTIN_CRITERIA)}), "
            "a criterion file, or a sentence"
        )
    criterion = resolve(config.criterion)
    template = load(config.prompt or "pointwise/geval")
    if template.meta.kind != "pointwise":
        raise UsageError(f"--mode geval needs a pointwise template; {template.name} is {template.meta.kind}")
    if "steps" not in template.variables():
        raise UsageError(f"--mode geval: template {template.name} does not show the evaluation steps ({{{{ steps }}}})")
    grading = Grading(config=config, kind="pointwise", mode="geval", templates={"general": template})
    grading.criterion = criterion
    if config.steps:
        grading.steps_given = read_steps_file(config.steps)
    else:
        grading.steps_template = load_aux(config.steps_prompt or "steps/geval", "steps")
    _add_inputs(grading, config)
    return grading


def _add_inputs(grading: Grading, config: EvalConfig) -> None:
    """The reference writer and the rubric file, checked against the templates that use them."""
    templates = grading.judge_templates()
    if config.reference_prompt and not config.generate_reference:
        raise UsageError("--reference-prompt is used with --generate-reference")
    if config.generate_reference:
        if not any("reference" in template.variables() for template in templates):
            raise UsageError(
                f"--generate-reference: template {templates[0].name} does not show a reference answer; "
                "use --mode reference or --domain math|coding|auto"
            )
        grading.reference_template = load_aux(config.reference_prompt or "reference/answer", "reference")
    if config.rubric:
        users = [template for template in templates if "rubric" in template.variables()]
        if not users:
            raise UsageError(f"--rubric: template {templates[0].name} does not use a rubric")
        grading.rubric = load_rubric(config.rubric, users[0].meta.verdict.scale)


# -- the summary ----------------------------------------------------------------------------
def grading_info(described: dict[str, Any] | None, rows: Iterable[Judgment]) -> dict[str, Any] | None:
    """The summary's account of how the run graded: templates used, steps, generated references."""
    if not described:
        return None
    latest = latest_rows(rows).values()
    used = Counter(row.template for row in latest if row.role == "judge" and row.template and row.call != "BA")
    info: dict[str, Any] = {
        "mode": described.get("mode"),
        "domain": described.get("domain"),
        "templates_used": dict(sorted(used.items())),
    }
    criterion = described.get("criterion")
    if criterion:
        info["criterion"] = criterion.get("name")
        steps = next(
            (text_of(row) for row in latest if row.role == "aux" and row.call == STEPS_CALL and row.status == "ok"),
            None,
        )
        info["steps"] = described.get("steps") or steps
        info["steps_source"] = "file" if described.get("steps") else "generated"
    if described.get("generate_reference"):
        info["references_generated"] = sum(
            1 for row in latest if row.role == "aux" and row.call == REFERENCE_CALL and row.status == "ok"
        )
    return info
