"""Read a verdict from a judge's answer, fail-closed.

The rules, in order:

1. Every match of the template's verdict pattern is found.
2. A match that the judge copied from its prompt (the instructions, or an answer that contains
   verdict-like text) is dropped: its surrounding characters also surround the same marker in
   the prompt. So `"[[A]]" if assistant A is better`, echoed back, is not a verdict.
3. The last remaining match counts. If the same line holds another match with a different
   value, the verdict is ambiguous.
4. The value must be one of the allowed choices or inside the score scale.

Anything that fails a rule is `unscored` with a short reason; it is never turned into a loss,
a tie or a zero. When token log-probabilities are available the distribution over the allowed
values at the verdict token gives probabilities and a probability-weighted score.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from judgekit.schema import Completion, TokenLogprob, VerdictSpec

QUOTE_CONTEXT = 16
"""Characters of matching context around a marker that make it a quotation, not a verdict."""


@dataclass
class Reading:
    """What was read from one judge answer."""

    status: str
    """"ok" or "unscored"."""
    value: str | float | None = None
    """choice: the outcome ("first", "second", "tie", or a number); score: the score."""
    pair: tuple[float, float] | None = None
    """score_pair: the scores of the first and second answer shown."""
    probabilities: dict[str, float] | None = None
    valid_mass: float | None = None
    method: Literal["parse", "logprobs", "samples"] = "parse"
    reason: str | None = None
    span: tuple[int, int] | None = field(default=None, repr=False)


@lru_cache(maxsize=64)
def compile_pattern(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE if ignore_case else 0)


def read_verdict(text: str, spec: VerdictSpec, sources: Sequence[str] = ()) -> Reading:
    """Read one verdict from `text`; `sources` are the prompt texts the judge may quote."""
    regex = compile_pattern(spec.pattern, spec.ignore_case)
    matches = list(regex.finditer(text))
    if not matches:
        return Reading("unscored", reason="no verdict found")
    own = [match for match in matches if not _is_quoted(text, match, sources)]
    if not own:
        return Reading("unscored", reason="verdict only inside quoted prompt text")
    last = own[-1]
    line_start = text.rfind("\n", 0, last.start()) + 1
    last_value = _normalised_groups(last, spec)
    for other in own[:-1]:
        if other.start() >= line_start and _normalised_groups(other, spec) != last_value:
            return Reading("unscored", reason="ambiguous verdict: different markers on the last verdict line")
    return _interpret(last, spec)


def _normalised_groups(match: re.Match[str], spec: VerdictSpec) -> tuple[str, ...]:
    groups = tuple((group or "").strip() for group in match.groups())
    return tuple(group.lower() for group in groups) if spec.ignore_case else groups


def _is_quoted(text: str, match: re.Match[str], sources: Sequence[str]) -> bool:
    marker = match.group(0)
    before = text[max(0, match.start() - QUOTE_CONTEXT * 2) : match.start()]
    after = text[match.end() : match.end() + QUOTE_CONTEXT * 2]
    for source in sources:
        position = source.find(marker)
        while position != -1:
            left = _common_suffix(before, source[max(0, position - QUOTE_CONTEXT * 2) : position])
            end = position + len(marker)
            right = _common_prefix(after, source[end : end + QUOTE_CONTEXT * 2])
            if left + right >= QUOTE_CONTEXT:
                return True
            position = source.find(marker, position + 1)
    return False


def _common_suffix(a: str, b: str) -> int:
    count = 0
    while count < len(a) and count < len(b) and a[-1 - count] == b[-1 - count]:
        count += 1
    return count


def _common_prefix(a: str, b: str) -> int:
    count = 0
    while count < len(a) and count < len(b) and a[count] == b[count]:
        count += 1
    return count


def _interpret(match: re.Match[str], spec: VerdictSpec) -> Reading:
    span = match.span(1) if match.lastindex else match.span()
    if spec.type == "choice":
        outcome = choice_outcome(match.group(1), spec)
        if outcome is None:
            return Reading("unscored", reason=f"{match.group(1)!r} is not an allowed choice", span=span)
        return Reading("ok", value=outcome, span=span)
    if spec.type == "score":
        score = _number(match.group(1), spec)
        if isinstance(score, str):
            return Reading("unscored", reason=score, span=span)
        return Reading("ok", value=score, span=span)
    first, second = _number(match.group(1), spec), _number(match.group(2), spec)
    for problem in (first, second):
        if isinstance(problem, str):
            return Reading("unscored", reason=problem, span=span)
    assert isinstance(first, float) and isinstance(second, float)
    outcome = "first" if first > second else "second" if second > first else "tie"
    return Reading("ok", value=outcome, pair=(first, second), span=span)


def choice_outcome(token: str, spec: VerdictSpec) -> str | float | None:
    """Map a choice marker's text to its outcome, or None when it is not an allowed choice."""
    assert spec.choices is not None
    key = token.strip()
    if spec.ignore_case:
        lowered = {name.lower(): outcome for name, outcome in spec.choices.items()}
        return lowered.get(key.lower())
    return spec.choices.get(key)


def _number(token: str | None, spec: VerdictSpec) -> float | str:
    """The score in `token`, or a reason why it is not a valid score."""
    try:
        value = float((token or "").strip())
    except ValueError:
        return f"{token!r} is not a number"
    if not math.isfinite(value):
        return f"{token!r} is not a finite number"
    if spec.scale is not None:
        low, high = spec.scale
        if not low <= value <= high:
            return f"score {token.strip() if token else token} is outside the scale {_fmt(low)}-{_fmt(high)}"
    return value


def _fmt(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


# -- several samples ------------------------------------------------------------------------
def read_samples(texts: Sequence[str], spec: VerdictSpec, sources: Sequence[str] = ()) -> Reading:
    """Combine several sampled answers: mean score, or the share of each choice outcome.

    Unscored samples are left out; the reading is unscored only when no sample is valid.
    """
    readings = [read_verdict(text, spec, sources) for text in texts]
    valid = [reading for reading in readings if reading.status == "ok"]
    if not valid:
        reason = readings[0].reason if readings else "no samples"
        return Reading("unscored", reason=f"no valid verdict in {len(texts)} samples ({reason})", method="samples")
    share = len(valid) / len(readings)
    if spec.type == "score":
        scores = [float(reading.value) for reading in valid if isinstance(reading.value, float)]
        # Shares as count / total: adding 1/n n times can pass 1 (20 x 1/20 = 1.0000000000000002).
        counts = {key: number / len(scores) for key, number in Counter(_fmt(score) for score in scores).items()}
        return Reading("ok", value=sum(scores) / len(scores), probabilities=counts, valid_mass=share, method="samples")
    tallies = {key: number / len(valid) for key, number in Counter(str(reading.value) for reading in valid).items()}
    best = max(tallies, key=lambda key: tallies[key])
    value: str | float = best
    if spec.type == "choice" and spec.choices and not isinstance(next(iter(spec.choices.values())), str):
        value = sum(float(key) * p for key, p in tallies.items())
    return Reading("ok", value=value, probabilities=tallies, valid_mass=share, method="samples")


# -- log-probabilities ----------------------------------------------------------------------
def weigh_with_logprobs(reading: Reading, completion: Completion, spec: VerdictSpec) -> Reading:
    """Replace a parsed verdict by the probability distribution at its token, when possible.

    The token that carries the verdict (the start of the pattern's group) is found by summing
    token lengths; its top alternatives that are allowed values get the probability mass,
    renormalised over valid values. The reading is returned unchanged (method "parse") when
    the verdict is not a single token or no alternative is valid.
    """
    if reading.status != "ok" or reading.span is None or not completion.logprobs or spec.type == "score_pair":
        return reading
    token = _token_at(completion.logprobs, reading.span[0])
    if token is None or token.top is None:
        return reading
    text = completion.text
    if token.token.strip() != text[reading.span[0] : reading.span[1]].strip():
        return reading
    # The chosen token is usually among its own alternatives; a dict counts it once.
    alternatives = dict(token.top)
    alternatives.setdefault(token.token, token.logprob)
    masses: dict[str, float] = {}
    for alternative, logprob in alternatives.items():
        key = _allowed_value(alternative, spec)
        if key is not None:
            masses[key] = masses.get(key, 0.0) + math.exp(logprob)
    total = sum(masses.values())
    if total <= 0:
        return reading
    probabilities = {key: mass / total for key, mass in masses.items()}
    if spec.type == "score":
        value: str | float = sum(float(key) * p for key, p in probabilities.items())
    else:
        assert spec.choices is not None
        numeric = not isinstance(next(iter(spec.choices.values())), str)
        if numeric:
            value = sum(float(key) * p for key, p in probabilities.items())
        else:
            value = max(probabilities, key=lambda key: probabilities[key])
    return Reading(
        "ok",
        value=value,
        probabilities=probabilities,
        valid_mass=min(1.0, total),
        method="logprobs",
        span=reading.span,
    )


def _allowed_value(token: str, spec: VerdictSpec) -> str | None:
    stripped = token.strip()
    if not stripped:
        return None
    if spec.type == "choice":
        outcome = choice_outcome(stripped, spec)
        return None if outcome is None else (_fmt(outcome) if isinstance(outcome, float) else str(outcome))
    number = _number(stripped, spec)
    if isinstance(number, str) or not stripped.replace(".", "", 1).isdigit():
        return None
    return _fmt(number)


def _token_at(tokens: Sequence[TokenLogprob], offset: int) -> TokenLogprob | None:
    position = 0
    for token in tokens:
        end = position + len(token.token)
        if position <= offset < end:
            return token
        position = end
    return None
