"""Data passed between judgekit's stages: items, requests, completions and judgments.

Every model here is what one stage hands the next (see the README's Architecture section):
`datasets` produces `Item`s, `judging` turns them into `JudgeRequest`s, a backend answers with a
`Completion`, and `parsing` reads it into the outcome fields of a `Judgment`, one row per call in
a run's `judgments.jsonl`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, field_validator, model_serializer

from judgekit.choices import DomainName, Positions, ScoreMethod

__all__ = ["DomainName", "Positions", "ScoreMethod"]

Role = Literal["system", "user", "assistant"]
Label = Literal["A", "B", "tie"]
"""A pairwise outcome in the dataset's own terms: answer_a won, answer_b won, or a tie."""
Shown = Literal["first", "second", "tie"]
"""A pairwise outcome in the order the judge saw the answers."""
STRONG_OUTCOMES = ("first_strong", "second_strong")
"""Graded pairwise templates (Arena-Hard's A>>B, B>>A): a clear preference for the answer shown
first or second. Read back, it is the verdict "A" or "B" with `Judgment.strong` set."""
DEFAULT_STRONG_WEIGHT = 3.0
"""How many votes a strong preference counts for unless the template or --strong-weight says
otherwise (Arena-Hard counts one as three)."""
Kind = Literal["pairwise", "pointwise", "listwise"]
Status = Literal["ok", "unscored", "error"]
"""ok: a verdict was read; unscored: the judge answered but no valid verdict could be read;
error: the call failed after every retry (nothing was paid for twice; a re-run retries it)."""


class Message(BaseModel):
    """One chat message."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    content: str


class RubricItem(BaseModel):
    """One criterion of a checklist rubric: what the answer must (or must not) do, and its points.

    Negative points mark something the answer should not do (e.g. -5 for a harmful statement):
    meeting such a criterion takes points away."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    criterion: str
    points: float
    name: str
    """Identifies the criterion across items (per-criterion pass rates, gates, agreement): the
    data's own `name` or `id`, else the criterion text itself."""
    tags: tuple[str, ...] = ()
    """Groups the criterion belongs to (e.g. HealthBench's `axis:accuracy`): the summary scores
    each tag over its criteria alone."""


class Item(BaseModel):
    """One validated dataset row, in judgekit's canonical field names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    """Stable identifier (from the data, or the 1-based row number)."""
    line: int
    """Where the row starts in its file (1-based line for JSONL/CSV, element for JSON)."""
    turns: tuple[Message, ...]
    """The conversation up to and including the final user turn that the answers reply to
    (with per-model conversations, only the system and user turns the two share)."""
    answer: str | None = None
    """Pointwise: the answer to judge."""
    answer_a: str | None = None
    """Pairwise: the first answer in the dataset (its outcome label is "A")."""
    answer_b: str | None = None
    """Pairwise: the second answer in the dataset (its outcome label is "B")."""
    conversation: tuple[Message, ...] | None = None
    """Pointwise, multi-turn: the whole conversation, ending with the assistant turn judged (`answer`)."""
    conversation_a: tuple[Message, ...] | None = None
    """Pairwise, per-model conversations (MT-Bench turn 2): A's own earlier turns and, last, the
    assistant turn judged (`answer_a`); both conversations hold the same user turns."""
    conversation_b: tuple[Message, ...] | None = None
    """Pairwise, per-model conversations: B's conversation, ending with `answer_b`."""
    answers: tuple[str, ...] | None = None
    """Listwise: two or more answers to the request, one of which the judge picks as best."""
    models: tuple[str, ...] | None = None
    """Listwise: the model behind each of `answers`, in the same order (distinct names)."""
    model: str | None = None
    model_a: str | None = None
    model_b: str | None = None
    reference: str | None = None
    """A reference (gold) answer for reference-guided grading."""
    context: str | None = None
    """Source text an answer must be faithful to (retrieval, summarisation)."""
    category: str | None = None
    rubric: str | None = None
    human_label: Label | None = None
    """Pairwise: which answer human raters preferred."""
    human_score: float | None = None
    """Pointwise: the human score for the answer (the mean, when several raters scored it)."""
    human_scores: tuple[float, ...] | None = None
    """Pointwise: each human rater's score, when the data holds a list of them."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Every other column of the row, kept for grouping (e.g. doc_id, system_id)."""
    rubric_items: tuple[RubricItem, ...] | None = None
    """Checklist grading: the criteria the answer is graded on, one verdict each (from the data,
    or from `--checklist FILE` for every item)."""
    human_rubric: tuple[bool | None, ...] | None = None
    """Checklist grading: a human's verdict on each criterion, in the order of `rubric_items`
    (None where the human did not grade it)."""

    @property
    def kind(self) -> Kind:
        if self.answers is not None:
            return "listwise"
        return "pairwise" if self.answer_a is not None else "pointwise"

    @property
    def question(self) -> str:
        return self.turns[-1].content

    @property
    def history(self) -> tuple[Message, ...]:
        return self.turns[:-1]


class StructuredVerdict(BaseModel):
    """A verdict asked for as a JSON object (front matter `verdict: {..., structured: {...}}`).

    judgekit asks each backend for the object the way it can enforce it (a JSON schema, a forced
    tool call, a grammar) and reads the verdict from `field`: a choice's key (e.g. "A") or a
    score, interpreted exactly as the pattern's group would be. `reasoning` names an optional
    free-text field written before the verdict, so the judge explains first.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str = Field(default="verdict", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    reasoning: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class VerdictSpec(BaseModel):
    """How a template asks for its verdict and how to read it back (front matter `verdict:`).

    type choice: `pattern` has one group whose text is looked up in `choices` (pairwise outcomes
    are "first", "second" or "tie" in the order shown; pointwise outcomes are numbers, e.g. pass
    = 1, fail = 0). type score: one numeric group inside `scale`. type score_pair: two numeric
    groups, the scores of the first and the second answer shown. `format` is a verdict written
    the way the template asks for it, with {choice}, {score} or {first}/{second} as holes; the
    mock backend answers with it and `prompts validate` checks the pattern reads it back.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["choice", "score", "score_pair"]
    pattern: str
    format: str
    choices: dict[str, str | float] | None = None
    scale: tuple[float, float] | None = None
    ignore_case: bool = False
    structured: StructuredVerdict | None = None
    """Ask for the verdict as JSON (`structured: true` takes the defaults); the pattern still reads
    an answer from a provider that ignores the request."""

    @field_validator("structured", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if value is True:
            return {}
        return None if value is False else value

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Left out when unset, so manifests and run ids of templates without it stay as they were.
        data: dict[str, Any] = handler(self)
        if data.get("structured") is None:
            data.pop("structured", None)
        return data

    def json_schema(self) -> dict[str, Any] | None:
        """The JSON schema of the structured verdict object (None when the verdict is plain text).

        It keeps to what strict structured-output modes accept: every property required, no
        additional properties. A choice is an enum of the choice keys; a score is a number
        inside the scale (a whole number when both ends of the scale are whole).
        """
        if self.structured is None:
            return None
        properties: dict[str, Any] = {}
        if self.structured.reasoning:
            properties[self.structured.reasoning] = {"type": "string"}
        if self.type == "choice":
            assert self.choices is not None
            properties[self.structured.field] = {"type": "string", "enum": list(self.choices)}
        else:
            assert self.scale is not None
            low, high = self.scale
            whole = float(low).is_integer() and float(high).is_integer()
            properties[self.structured.field] = {
                "type": "integer" if whole else "number",
                "minimum": int(low) if whole else low,
                "maximum": int(high) if whole else high,
            }
        return {
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        }

    strong_weight: float | None = Field(default=None, gt=0)
    """Graded pairwise templates (choices mapping to first_strong / second_strong): the votes a
    strong preference counts for in win rates and Bradley-Terry strengths (default 3)."""

    @property
    def graded(self) -> bool:
        """Whether the choices grade a preference as strong (A>>B) or plain (A>B)."""
        return any(value in STRONG_OUTCOMES for value in (self.choices or {}).values())


class SamplingParams(BaseModel):
    """Everything sent to the model besides the messages that can change its answer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    temperature: float | None = 0.0
    max_tokens: int = 1024
    n: int = 1
    seed: int | None = None
    logprobs: bool = False
    top_logprobs: int | None = None
    reasoning_effort: str | None = None
    """OpenAI reasoning models: how hard to think (--reasoning-effort)."""
    thinking_budget: int | None = None
    """Anthropic extended thinking: tokens the judge may think for (--thinking-budget)."""

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # The reasoning options are left out when unset: cache keys and run ids made before they
        # existed stay valid.
        data: dict[str, Any] = handler(self)
        for name in ("reasoning_effort", "thinking_budget"):
            if data.get(name) is None:
                data.pop(name, None)
        return data


class JudgeRequest(BaseModel):
    """One call to a judge model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    """The provider's model name (the part after `provider/`)."""
    messages: tuple[Message, ...]
    params: SamplingParams = SamplingParams()
    expect: VerdictSpec | None = None
    """The verdict format the caller will parse. Never sent to a provider and not part of the
    cache key; it lets the mock backend answer in the template's own format."""
    structured: dict[str, Any] | None = None
    """The JSON schema the answer must follow (a structured verdict), sent to the provider in its
    own way (response_format, a forced tool, a grammar); part of the cache key when set."""
    expect_criteria: int | None = None
    """Checklist templates that grade every criterion in one call: how many verdicts the answer
    must hold (like `expect`, never sent and not part of the cache key)."""


class TokenLogprob(BaseModel):
    """One generated token with its log-probability and the most likely alternatives."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    token: str
    logprob: float
    top: dict[str, float] | None = None
    """Alternative tokens at this position mapped to their log-probabilities."""


class Completion(BaseModel):
    """What a backend returned for one request, before any parsing."""

    model_config = ConfigDict(extra="forbid")

    texts: list[str]
    """One text per returned choice (n > 1 gives several samples)."""
    logprobs: list[TokenLogprob] | None = None
    """Token log-probabilities of the first choice, when requested and supported."""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    model: str | None = None
    """The model name the provider reported."""
    finish_reason: str | None = None

    @property
    def text(self) -> str:
        return self.texts[0] if self.texts else ""


class Judgment(BaseModel):
    """One row of `judgments.jsonl`: a single model call and what was read from it."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    """Schema version of this row."""
    item_id: str
    call: str
    """Which call of the item this is: "single", "AB"/"BA" under swap, "steps", "reference"."""
    role: Literal["judge", "aux"] = "judge"
    """judge rows carry verdicts; aux rows (generated steps or references) feed later calls."""
    judge: str
    """The judge as `provider/model`."""
    template: str | None = None
    template_hash: str | None = None
    request_hash: str
    """Cache key of the request; a resumed run reuses rows whose hash still matches."""
    swapped: bool = False
    """Pairwise: answer_b was shown first."""
    status: Status
    verdict: Label | None = None
    """Pairwise verdict mapped back to the dataset's answers."""
    shown: Shown | None = None
    """Pairwise verdict in the order the judge saw the answers."""
    strong: bool | None = None
    """Graded templates: whether the preference was strong (A>>B or B>>A); None for other templates."""
    score: float | None = None
    """Pointwise score (probability-weighted or sample mean when `method` says so)."""
    scores: tuple[float, float] | None = None
    """Pairwise "score both" templates: (score of A, score of B), mapped back."""
    criteria: tuple[float | None, ...] | None = None
    """Checklist calls that grade every criterion at once: each criterion's verdict in order
    (1 met, 0 not met, None when no valid verdict was read for it)."""
    order: tuple[int, ...] | None = None
    """Listwise: the dataset positions (0-based) of the answers in the order they were shown."""
    pick: int | None = None
    """Listwise: the dataset position (0-based) of the answer the judge picked, mapped back."""
    probabilities: dict[str, float] | None = None
    """Pairwise: P(A), P(B), P(tie); pointwise: P(score) for each allowed score."""
    panel_votes: tuple[int, int] | None = None
    """A panel's combined row under majority or unanimous: (judges whose own verdict is the
    panel's, judges that gave a valid verdict); the verdict's confidence (`metrics.confidence`)."""
    criterion_votes: tuple[tuple[int, int] | None, ...] | None = None
    """A checklist panel's combined row under majority or unanimous: per criterion, (judges whose
    verdict is the panel's, judges that voted on it); None for a criterion without a panel verdict."""
    valid_mass: float | None = None
    """Log-probability methods: the probability mass that fell on valid verdicts."""
    method: Literal["parse", "logprobs", "samples"] | None = None
    reason: str | None = None
    """Why the row is unscored or failed, in a few words."""
    error_kind: str | None = None
    completion: Completion | None = None
    latency_s: float = 0.0
    attempts: int = 0
    """Requests sent for this row (0 when it came from the cache)."""
    cached: bool = False
    retries: dict[str, int] = Field(default_factory=dict)
    """Failed attempts before the final one, by failure kind."""
    retry_reasons: dict[str, str] | None = None
    """The message of the first failed attempt of each kind (redacted), so a run can say why."""
    batch_id: str | None = None
    """The provider batch that answered this call (batch runs only)."""
    cost_usd: float | None = None
    """What this answer was charged in US dollars at the run's prices (batch answers at the
    batch price); absent for cached answers, failed calls, and when no price is known."""
