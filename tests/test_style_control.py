"""Style control: the markdown counts by hand, the fit against statsmodels, and the edges."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import statsmodels.api as sm

from judgekit.metrics.leaderboard import build
from judgekit.metrics.style import style_counts
from judgekit.stats.difficulty import difficulty_controlled
from judgekit.stats.style_control import FEATURES, MIN_ITEMS_PER_FEATURE, style_controlled

MARKDOWN = """# Title
Some **bold** text and __more bold__ and ** not bold **.
## Section
- one
* two
  + nested three
1. first
2) second
#not a header
-not an item
```python
# a comment, not a header
- not an item either
**nor bold**
```
####### seven hashes is no header
"""


def test_style_counts_by_hand() -> None:
    length, headers, items, bold = style_counts(MARKDOWN)
    assert length == len(MARKDOWN)
    assert headers == 2  # "# Title", "## Section"
    assert items == 5  # -, *, nested +, "1.", "2)"
    assert bold == 2  # **bold**, __more bold__ (a span opening or closing on a space is not bold)
    assert style_counts("") == (0, 0, 0, 0)
    assert style_counts("plain words") == (11, 0, 0, 0)


def _planted(seed: int, n: int, beta: list[float], *, ties: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random style counts and verdicts drawn from a logistic model with planted coefficients
    (with `ties`, a tenth of the verdicts become ties, which shrinks the coefficients)."""
    rng = np.random.default_rng(seed)
    a = np.column_stack([rng.integers(50, 3000, n), rng.poisson(1.0, n), rng.poisson(3.0, n), rng.poisson(2.0, n)])
    b = np.column_stack([rng.integers(50, 3000, n), rng.poisson(1.0, n), rng.poisson(3.0, n), rng.poisson(2.0, n)])
    z = _independent_features(a, b)
    p = 1 / (1 + np.exp(-(beta[0] + z @ np.asarray(beta[1:]))))
    draw = rng.random(n)
    if not ties:
        return (draw < p).astype(float), a, b
    values = np.where(draw < p * 0.9, 1.0, np.where(draw < p * 0.9 + 0.1, 0.5, 0.0))
    return values, a, b


def _independent_features(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The documented normalisation, written out again: (a-b)/(a+b+1), over its rms about zero."""
    out = np.empty(a.shape, dtype=float)
    for j in range(a.shape[1]):
        d = np.array([(x - y) / (x + y + 1) for x, y in zip(a[:, j], b[:, j], strict=True)])
        rms = np.sqrt(np.sum(d * d) / d.size)
        out[:, j] = d / rms if rms > 0 else 0.0
    return out


def test_coefficients_match_a_statsmodels_glm_and_recover_planted_values() -> None:
    planted = [-0.3, 1.2, 0.0, 0.4, -0.5]
    values, a, b = _planted(5, 4000, planted)
    fitted = style_controlled(values, a.tolist(), b.tolist(), resamples=300, seed=2)
    assert fitted is not None and fitted.win_rate is not None and fitted.note is None
    glm = sm.GLM(values, sm.add_constant(_independent_features(a, b)), family=sm.families.Binomial()).fit()
    assert fitted.intercept == pytest.approx(glm.params[0], abs=1e-7)
    assert fitted.win_rate.value == pytest.approx(1 / (1 + np.exp(-glm.params[0])), abs=1e-9)
    assert list(fitted.coefficients) == list(FEATURES)
    for index, name in enumerate(FEATURES):
        coefficient = fitted.coefficients[name]
        assert coefficient.value == pytest.approx(glm.params[index + 1], abs=1e-7)
        assert coefficient.low is not None and coefficient.high is not None
        # The bootstrap interval is about as wide as the GLM's Wald interval and holds the planted value.
        assert coefficient.high - coefficient.low == pytest.approx(2 * 1.96 * glm.bse[index + 1], rel=0.3)
        assert coefficient.low - 0.05 < planted[index + 1] < coefficient.high + 0.05


def test_an_ordinary_small_sample_matches_statsmodels_too() -> None:
    values, a, b = _planted(9, 60, [0.2, 0.8, 0.3, 0.0, 0.0], ties=True)
    fitted = style_controlled(values, a.tolist(), b.tolist(), resamples=200)
    assert fitted is not None and fitted.win_rate is not None
    glm = sm.GLM(values, sm.add_constant(_independent_features(a, b)), family=sm.families.Binomial()).fit()
    assert [fitted.intercept, *(e.value for e in fitted.coefficients.values())] == pytest.approx(
        list(glm.params), abs=1e-6
    )


def test_a_constant_or_rare_feature_is_left_out_and_named() -> None:
    values, a, b = _planted(6, 500, [0.1, 1.0, 0.0, 0.5, 0.0], ties=True)
    a[:, 1] = b[:, 1] = 0  # nobody writes headers: the same (zero) difference everywhere
    b[:, 3] = a[:, 3]
    a[:3, 3] += 1  # bold differs on three items only
    fitted = style_controlled(values, a.tolist(), b.tolist(), resamples=100)
    assert fitted is not None and fitted.win_rate is not None
    assert fitted.left_out == {
        "headers": "the same on every item",
        "bold": f"differs on 3 items (needs {MIN_ITEMS_PER_FEATURE})",
    }
    z = _independent_features(a, b)[:, [0, 2]]
    glm = sm.GLM(values, sm.add_constant(z), family=sm.families.Binomial()).fit()
    assert fitted.coefficients["length"].value == pytest.approx(glm.params[1], abs=1e-7)
    assert fitted.coefficients["lists"].value == pytest.approx(glm.params[2], abs=1e-7)


def test_no_style_difference_at_all_gives_the_raw_win_rate() -> None:
    style = [[100, 1, 2, 0]] * 12
    values = [1.0, 0.0, 1.0, 1.0, 0.5, 0.0, 1.0, 1.0, 0.0, 1.0, 0.5, 1.0]
    fitted = style_controlled(values, style, style, resamples=200)
    assert fitted is not None and fitted.win_rate is not None and fitted.coefficients == {}
    assert set(fitted.left_out) == set(FEATURES)
    assert fitted.win_rate.value == pytest.approx(np.mean(values), abs=1e-9)  # intercept-only MLE


def test_perfect_separation_says_so_instead_of_a_number() -> None:
    rng = np.random.default_rng(3)
    a = [[int(x), 0, 0, 0] for x in rng.integers(50, 500, 30)]
    b = [[int(x), 0, 0, 0] for x in rng.integers(50, 500, 30)]
    longer_wins = [1.0 if x[0] > y[0] else 0.0 for x, y in zip(a, b, strict=True)]
    fitted = style_controlled(longer_wins, a, b, resamples=50)
    assert fitted is not None and fitted.win_rate is None and fitted.coefficients == {}
    assert fitted.note is not None and "perfect separation" in fitted.note
    # statsmodels agrees there is no finite maximum: its fit drives the deviance to zero with an
    # ever larger coefficient, until its iteration limit stops it at a meaningless number.
    z = _independent_features(np.array(a), np.array(b))[:, :1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        glm = sm.GLM(longer_wins, sm.add_constant(z), family=sm.families.Binomial()).fit(maxiter=100)
    assert glm.deviance < 1e-6 and abs(glm.params[1]) > 30


def test_edges_n_zero_one_two_and_all_equal() -> None:
    assert style_controlled([], [], []) is None
    one = style_controlled([1.0], [[10, 0, 1, 0]], [[20, 0, 0, 0]])
    assert one is not None and one.win_rate is None and one.note is not None and "too few" in one.note
    two = style_controlled([1.0, 0.0], [[10, 0, 0, 0], [30, 0, 0, 0]], [[20, 0, 0, 0], [5, 0, 0, 0]])
    assert two is not None and two.win_rate is None and two.note is not None and "too few" in two.note
    rng = np.random.default_rng(4)
    a = rng.integers(1, 100, (20, 4)).tolist()
    b = rng.integers(1, 100, (20, 4)).tolist()
    all_a = style_controlled([1.0] * 20, a, b)
    assert all_a is not None and all_a.win_rate is None and all_a.note is not None and "every verdict" in all_a.note


def test_fewer_than_ten_items_give_a_point_estimate_without_interval() -> None:
    a = [[100, 0, 0, 0], [300, 0, 0, 0], [50, 0, 0, 0], [400, 0, 0, 0], [120, 0, 0, 0], [90, 0, 0, 0]]
    b = [[200, 0, 0, 0], [100, 0, 0, 0], [60, 0, 0, 0], [100, 0, 0, 0], [100, 0, 0, 0], [300, 0, 0, 0]]
    values = [1.0, 1.0, 0.0, 0.0, 1.0, 0.5]
    fitted = style_controlled(values, a, b, resamples=100)
    assert fitted is not None and fitted.win_rate is not None
    assert fitted.win_rate.low is None and fitted.win_rate.no_interval is not None
    z = _independent_features(np.array(a), np.array(b))[:, :1]
    glm = sm.GLM(values, sm.add_constant(z), family=sm.families.Binomial()).fit()
    assert fitted.coefficients["length"].value == pytest.approx(glm.params[1], abs=1e-7)


def test_leaderboard_rows_carry_each_systems_style_fit_against_the_baseline() -> None:
    rng = np.random.default_rng(12)
    first, second, values, style_a, style_b = [], [], [], [], []
    for name, skill in (("sys-x", 0.6), ("sys-y", -0.4)):
        for _ in range(150):
            own = [int(rng.integers(50, 2000)), int(rng.poisson(1)), int(rng.poisson(3)), int(rng.poisson(2))]
            base = [int(rng.integers(50, 2000)), int(rng.poisson(1)), int(rng.poisson(3)), int(rng.poisson(2))]
            win = float(rng.random() < 1 / (1 + np.exp(-skill)))
            if rng.random() < 0.5:  # the baseline shown as A on about half the items
                first.append("base"), second.append(name), values.append(1 - win)
                style_a.append(base), style_b.append(own)
            else:
                first.append(name), second.append("base"), values.append(win)
                style_a.append(own), style_b.append(base)
    board = build(
        first,
        second,
        values,
        [s[0] for s in style_a],
        [s[0] for s in style_b],
        resamples=100,
        style_a=style_a,
        style_b=style_b,
    )
    assert board is not None and board.baseline == "base"
    for row in board.rows:
        if row.system == "base":
            assert row.style_controlled is None
            continue
        own_values, own, other = [], [], []
        for a, b, value, sa, sb in zip(first, second, values, style_a, style_b, strict=True):
            if row.system in (a, b):
                mine = a == row.system
                own_values.append(value if mine else 1 - value)
                own.append(sa if mine else sb)
                other.append(sb if mine else sa)
        z = _independent_features(np.array(own), np.array(other))
        glm = sm.GLM(own_values, sm.add_constant(z), family=sm.families.Binomial()).fit()
        fitted = row.style_controlled
        assert fitted is not None and fitted.win_rate is not None
        assert fitted.intercept == pytest.approx(glm.params[0], abs=1e-7)


def test_intervals_are_withheld_when_many_resamples_separate() -> None:
    # The longer answer wins on every item but one: the whole sample has a finite fit, while
    # about a third of the resamples leave that item out and separate perfectly.
    lengths = [(100 + 40 * i, 120 + 40 * i) if i % 2 else (130 + 40 * i, 100 + 40 * i) for i in range(14)]
    a = [[x, 0, 0, 0] for x, _ in lengths]
    b = [[y, 0, 0, 0] for _, y in lengths]
    values = [1.0 if x > y else 0.0 for x, y in lengths]
    values[3] = 1.0 - values[3]
    fitted = style_controlled(values, a, b, resamples=200)
    assert fitted is not None and fitted.win_rate is not None
    assert fitted.win_rate.low is None and fitted.win_rate.no_interval is not None
    assert "resamples have no finite fit" in fitted.win_rate.no_interval
    glm = sm.GLM(
        values, sm.add_constant(_independent_features(np.array(a), np.array(b))[:, :1]), family=sm.families.Binomial()
    ).fit()
    assert fitted.coefficients["length"].value == pytest.approx(glm.params[1], abs=1e-6)


def _alpaca_like(seed: int, instructions: int, systems: dict[str, float], gamma: float) -> dict[str, Any]:
    """Several systems judged against one baseline on the same instructions, with planted terms."""
    rng = np.random.default_rng(seed)
    delta = rng.normal(0.0, 1.0, instructions)
    rows: dict[str, list[Any]] = {"systems": [], "instructions": [], "own": [], "base": []}
    for i in range(instructions):
        for name in systems:
            rows["systems"].append(name)
            rows["instructions"].append(f"i{i:04d}")
            rows["own"].append(float(rng.integers(50, 2000)))
            rows["base"].append(float(rng.integers(50, 2000)))
    difference = np.array(rows["own"]) - np.array(rows["base"])
    eta = (
        np.array([systems[s] for s in rows["systems"]])
        + gamma * np.tanh(difference / difference.std(ddof=1))
        + delta[[int(i[1:]) for i in rows["instructions"]]]
    )
    rows["values"] = list((rng.random(eta.size) < 1 / (1 + np.exp(-eta))).astype(float))
    rows["values"][3] = 0.5  # a tie counts one half
    return rows


def _statsmodels_difficulty(rows: dict[str, Any]) -> tuple[dict[str, float], float, int]:
    """The same model as a statsmodels GLM: system dummies, the length feature, instruction
    dummies (the first kept instruction as reference), on the instructions not decided outright."""
    systems, instructions = np.array(rows["systems"]), np.array(rows["instructions"])
    values = np.array(rows["values"])
    difference = np.array(rows["own"]) - np.array(rows["base"])
    z = np.tanh(difference / difference.std(ddof=1))
    decided = {}
    for name in np.unique(instructions):
        outcomes = values[instructions == name]
        if np.all(outcomes == 1.0) or np.all(outcomes == 0.0):
            decided[name] = float(outcomes[0])
    keep = ~np.isin(instructions, list(decided))
    names, kept = np.unique(systems), np.unique(instructions[keep])
    design = np.column_stack(
        [(systems[keep] == n).astype(float) for n in names]
        + [z[keep]]
        + [(instructions[keep] == i).astype(float) for i in kept[1:]]
    )
    glm = sm.GLM(values[keep], design, family=sm.families.Binomial()).fit(tol=1e-12)
    theta = dict(zip(names, glm.params[: names.size], strict=True))
    delta = {kept[0]: 0.0, **dict(zip(kept[1:], glm.params[names.size + 1 :], strict=True))}
    rates = {}
    for name in names:
        mine = instructions[systems == name]
        predicted = [decided[i] if i in decided else 1 / (1 + np.exp(-(theta[name] + delta[i]))) for i in mine]
        rates[str(name)] = float(np.mean(predicted))
    return rates, float(glm.params[names.size]), len(decided)


def test_difficulty_term_matches_a_statsmodels_glm_with_instruction_dummies() -> None:
    rows = _alpaca_like(21, 120, {"sys-a": 0.7, "sys-b": 0.0, "sys-c": -0.6}, gamma=0.8)
    fitted = difficulty_controlled(
        rows["systems"], rows["instructions"], rows["values"], rows["own"], rows["base"], resamples=200
    )
    assert fitted is not None and fitted.note is None and fitted.length_coefficient is not None
    rates, gamma, decided = _statsmodels_difficulty(rows)
    assert fitted.length_coefficient.value == pytest.approx(gamma, abs=1e-6)
    assert fitted.decided == decided and fitted.instructions == 120 and fitted.comparisons == 360
    for name, rate in rates.items():
        assert fitted.win_rates[name].value == pytest.approx(rate, abs=1e-7)
        assert fitted.win_rates[name].low is not None and fitted.win_rates[name].n == 120
    # The planted order of the systems comes out of the fit.
    assert fitted.win_rates["sys-a"].value > fitted.win_rates["sys-b"].value > fitted.win_rates["sys-c"].value


def test_difficulty_term_edges() -> None:
    assert difficulty_controlled([], [], [], [], []) is None
    one_system = difficulty_controlled(["s"] * 3, ["i1", "i2", "i3"], [1.0, 0.0, 1.0], [1, 2, 3], [3, 2, 1])
    assert one_system is not None and one_system.win_rates == {} and one_system.note is not None
    assert "two or more systems" in one_system.note
    no_overlap = difficulty_controlled(["a", "b"], ["i1", "i2"], [1.0, 0.0], [1, 2], [3, 2])
    assert no_overlap is not None and no_overlap.note is not None and "same instructions" in no_overlap.note
    # System a beats the baseline wherever b loses: a's term runs off to infinity.
    separated = difficulty_controlled(
        ["a", "b"] * 6,
        [f"i{i // 2}" for i in range(12)],
        [1.0, 0.0] * 6,
        [10, 50, 20, 30, 40, 10, 70, 20, 15, 35, 60, 45],
        [30, 20, 10, 40, 20, 50, 30, 10, 25, 25, 20, 15],
    )
    assert separated is not None and separated.win_rates == {} and separated.note is not None
    assert "no finite fit" in separated.note
    assert separated.decided == 0


def test_the_leaderboard_carries_the_difficulty_fit_against_its_baseline() -> None:
    rows = _alpaca_like(22, 60, {"sys-a": 0.5, "sys-b": -0.5}, gamma=0.5)
    first, second, values, length_a, length_b, asked = [], [], [], [], [], []
    for index, (name, instruction, value, own, base) in enumerate(
        zip(rows["systems"], rows["instructions"], rows["values"], rows["own"], rows["base"], strict=True)
    ):
        if index % 2:  # the baseline as answer A on every other comparison
            first.append("base"), second.append(name), values.append(1 - value)
            length_a.append(base), length_b.append(own)
        else:
            first.append(name), second.append("base"), values.append(value)
            length_a.append(own), length_b.append(base)
        asked.append(instruction)
    board = build(first, second, values, length_a, length_b, resamples=100, instructions=asked)
    assert board is not None and board.baseline == "base" and board.difficulty is not None
    rates, gamma, _ = _statsmodels_difficulty(rows)
    assert board.difficulty.length_coefficient is not None
    assert board.difficulty.length_coefficient.value == pytest.approx(gamma, abs=1e-6)
    by_system = {row.system: row for row in board.rows}
    for name, rate in rates.items():
        estimate = by_system[name].difficulty_controlled_win_rate
        assert estimate is not None and estimate.value == pytest.approx(rate, abs=1e-7)
    assert by_system["base"].difficulty_controlled_win_rate is None


def test_the_bundled_alpacaeval_annotations_style_fit_matches_statsmodels() -> None:
    """The README's figures for alpaca-7b: style-controlled 24.89%, from the file's own texts."""
    import json
    from pathlib import Path

    from tests.helpers import run

    path = Path(__file__).parent.parent / "datasets/alpaca_eval/annotations_alpaca_eval_gpt4_alpaca-7b.jsonl"
    result = run(
        "agreement",
        path,
        "--pred",
        "preference",
        "--kind",
        "pairwise",
        "--format",
        "json",
        "--field",
        "answer_a=output_2",
        "--field",
        "answer_b=output_1",
    )
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)["rows"][0]
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    values = np.array([{2: 1.0, 1: 0.0, 0: 0.5}[r["preference"]] for r in rows])
    a = np.array([style_counts(r["output_2"]) for r in rows])
    b = np.array([style_counts(r["output_1"]) for r in rows])
    z = _independent_features(a, b)[:, [0, 2]]  # headers differ on 8 items, bold on 1: left out
    glm = sm.GLM(values, sm.add_constant(z), family=sm.families.Binomial()).fit()
    assert row["style_controlled_win_rate"]["value"] == pytest.approx(1 / (1 + np.exp(-glm.params[0])), abs=1e-9)
    assert round(row["style_controlled_win_rate"]["value"] * 100, 2) == 24.89
    assert set(row["style_coefficients"]) == {"length", "lists"}
    assert row["style_coefficients"]["lists"]["value"] == pytest.approx(glm.params[2], abs=1e-7)
    assert round(row["length_controlled_win_rate"]["value"] * 100, 2) == 25.68
