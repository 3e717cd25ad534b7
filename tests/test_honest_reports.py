"""End to end: honest intervals in gates and tables, pass rates, binned scores, several human raters."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np
import pytest
from scipy import stats as scipy_stats
from sklearn.metrics import cohen_kappa_score

from judgekit.metrics.distribution import score_bins
from judgekit.testing.server import FakeProvider
from tests.gate_helpers import PASS_FAIL_TEMPLATE, cli, points, start_judge, summary_json, write_jsonl
from tests.helpers import FEW_RESAMPLES

DEMO = Path(__file__).resolve().parents[1] / "datasets" / "demo" / "pairwise.jsonl"


@pytest.fixture
def judge(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeProvider]:
    def start(responder: Any = None) -> FakeProvider:
        if responder is None:
            return start_judge(fake_provider, monkeypatch)
        return start_judge(fake_provider, monkeypatch, responder)

    return start


def test_three_of_three_wins_do_not_pass_a_strict_95_percent_gate() -> None:
    """The issue's command: the exact lower bound for 3 of 3 is 29.2%, so the strict gate fails."""
    args = ["eval", DEMO, "--judge", "mock/first", "--positions", "fixed", "--limit", "3", "--out", "run"]
    result = cli(*args, "--min-win-rate", "0.95", "--on-ci-bound", "lower")
    assert result.exit_code == 1, result.output
    assert "win rate of A 100.0% [29.2, 100.0] (n=3); its CI lower bound 29.2% is below the threshold" in result.stderr
    win_rate = summary_json("run")["pairwise"]["win_rate"]
    assert win_rate["low"] == pytest.approx(0.025 ** (1 / 3)) and win_rate["interval"] == "clopper-pearson"
    assert "Win rate of A over B" in result.stdout and "100.0% [29.2, 100.0]" in result.stdout


def test_a_pass_fail_run_reports_a_pass_rate(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge()
    template = tmp_path / "passfail.jinja"
    template.write_text(PASS_FAIL_TEMPLATE)
    data = write_jsonl(tmp_path / "points.jsonl", points(4, good=range(4)))
    result = cli("eval", data, "-j", "openai/judge-1", "--prompt", template, "--out", "run")
    assert result.exit_code == 0, result.output
    assert "Pass rate" in result.stdout and "Mean score" not in result.stdout
    assert "100.0% [39.8, 100.0]" in result.stdout  # 4 of 4: 0.025 ** (1 / 4) = 39.8%
    assert "FAIL:0  PASS:4  (per choice)" in result.stdout
    pointwise = summary_json("run")["pointwise"]
    assert pointwise["pass_rate"]["low"] == pytest.approx(0.025**0.25)
    # The mean of 0/1 scores stays in summary.json, without a made-up interval on 4 equal values.
    assert pointwise["mean"]["value"] == 1.0 and pointwise["mean"]["low"] is None
    assert "too few" in pointwise["mean"]["no_interval"]


def test_scores_are_binned_on_the_scale() -> None:
    geval = [1.0 + 4.0 * step / 27 for step in range(28)]  # 28 fractional probability-weighted scores on 1-5
    bins, how = score_bins(geval, (1.0, 5.0))
    assert list(bins) == ["1", "2", "3", "4", "5"] and sum(bins.values()) == 28
    assert bins == {str(point): sum(1 for s in geval if point - 0.5 <= s < point + 0.5) for point in range(1, 6)}
    assert how == "per whole point (scores rounded to the nearest point)"
    assert score_bins([2.0, 9.0], (1.0, 10.0)) == (
        {str(p): int(p in (2, 9)) for p in range(1, 11)},
        "per whole point",
    )
    hundred, how = score_bins([0.0, 5.0, 55.0, 99.0, 100.0], (0.0, 100.0))
    assert len(hundred) == 10 and hundred["0–10"] == 2 and hundred["50–60"] == 1 and hundred["90–100"] == 2
    assert how == "10 equal ranges of the 0-100 scale"
    choices, how = score_bins([0.9, 0.2, 1.0, 0.5], None, {"PASS": 1, "FAIL": 0})
    assert choices == {"FAIL": 1, "PASS": 3} and how.startswith("per choice (")  # 0.5 passes, as the pass rule says
    assert score_bins([], (1.0, 5.0)) == ({}, None)
    assert score_bins([3.0, 3.5], None) == ({"3": 1, "3.5": 1}, "per distinct score")
    spread, how = score_bins([float(value) for value in range(30)], None)
    assert len(spread) == 10 and sum(spread.values()) == 30 and how == "10 equal ranges of the observed scores"
    same, _ = score_bins([7.0] * 5, None)
    assert same == {"7": 5}


def test_a_dotted_field_path_that_misses_is_an_error_naming_the_row(tmp_path: Path) -> None:
    rows = [
        {"question": "q1", "answer": "a", "scores": {"coherence": 3, "fluency": 2}},
        {"question": "q2", "answer": "b", "scores": {"coherence": 4, "fluency": 3}},
    ]
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    typo = cli("eval", data, "-j", "mock/first", "--field", "human_score=scores.coherance")
    assert typo.exit_code == 2
    assert f"{data}:1: field 'scores.coherance': no key 'coherance' under 'scores' (its keys: coherence, fluency)" in (
        typo.stderr
    )
    deeper = cli("eval", data, "-j", "mock/first", "--field", "human_score=scores.coherence.mean")
    assert deeper.exit_code == 2 and "'scores.coherence' is int, not an object with a key 'mean'" in deeper.stderr


def _rater_responder(request: Any) -> str:
    # The judge scores the number written in the answer ("quality=4" scores 4).
    text = request.prompt
    marker = text.index("quality=") + len("quality=")
    return f"Fine.\nRating: [[{text[marker]}]]"


def test_several_human_raters_give_the_human_ceiling(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge(_rater_responder)
    rng = np.random.default_rng(12)
    truth = rng.integers(1, 6, 40)
    humans = np.clip(truth[:, None] + rng.integers(-1, 2, (40, 3)), 1, 5)
    judged = np.clip(truth + rng.integers(-1, 2, 40), 1, 5)
    rows = [
        {
            "id": f"i{i}",
            "question": f"Q{i}?",
            "answer": f"quality={judged[i]}",
            "human_score": [int(h) for h in humans[i]],
        }
        for i in range(40)
    ]
    rows[0]["human_score"] = [int(humans[0][0]), None, int(humans[0][2])]  # a rater who skipped an item
    data = write_jsonl(tmp_path / "raters.jsonl", rows)
    result = cli("eval", data, "-j", "openai/judge-1", "--prompt", "pointwise/score", "--out", "run")
    assert result.exit_code == 0, result.output
    human = summary_json("run")["human"]
    ratings = np.array([[float(h) if h is not None else np.nan for h in row["human_score"]] for row in rows])
    means = np.nanmean(ratings, axis=1)
    assert human["n"] == 40
    assert human["spearman"]["value"] == pytest.approx(scipy_stats.spearmanr(judged, means).statistic)
    assert human["alpha_interval"]["value"] == pytest.approx(
        krippendorff.alpha(reliability_data=np.vstack([judged, means]), level_of_measurement="interval")
    )
    assert human["kappa_quadratic"]["value"] == pytest.approx(_value_kappa(judged.astype(float), means))
    # On whole-point human scores the figure is scikit-learn's (the first rater's scores here).
    first = ratings[:, 0]
    assert _value_kappa(judged.astype(float), first) == pytest.approx(
        cohen_kappa_score(judged, first.astype(int), weights="quadratic", labels=[1, 2, 3, 4, 5])
    )
    ceiling = human["raters"]
    assert ceiling["raters"] == 3 and ceiling["items"] == 40
    assert ceiling["alpha_interval"]["value"] == pytest.approx(
        krippendorff.alpha(reliability_data=ratings.T, level_of_measurement="interval")
    )
    assert ceiling["alpha_ordinal"]["value"] == pytest.approx(
        krippendorff.alpha(reliability_data=ratings.T, level_of_measurement="ordinal")
    )
    assert ceiling["human_spearman"]["low"] < ceiling["human_spearman"]["value"] < ceiling["human_spearman"]["high"]
    assert ceiling["judge_spearman"]["value"] is not None and ceiling["icc"]["n"] == 39  # the item with a gap left out
    for label in ("Human-human alpha (interval)", "Spearman, one human vs the rest", "Weighted kappa with humans"):
        assert label in result.stdout


def _value_kappa(judge: np.ndarray, human: np.ndarray) -> float:
    """Quadratic-weighted kappa with value distances, written out from its definition."""
    categories = np.union1d(judge, human)
    n = len(judge)
    observed = np.zeros((categories.size, categories.size))
    for j, h in zip(judge, human, strict=True):
        observed[np.searchsorted(categories, j), np.searchsorted(categories, h)] += 1 / n
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    weights = (categories[:, None] - categories[None, :]) ** 2
    return float(1 - (weights * observed).sum() / (weights * expected).sum())


def test_human_scores_all_equal_say_why_no_correlation(
    judge: Callable[..., FakeProvider], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the note on one line of the table
    judge(_rater_responder)
    rows = [{"id": f"i{i}", "question": "Q?", "answer": f"quality={1 + i % 5}", "human_score": 3} for i in range(12)]
    data = write_jsonl(tmp_path / "flat.jsonl", rows)
    result = cli("eval", data, "-j", "openai/judge-1", "--prompt", "pointwise/score", "--out", "run")
    assert result.exit_code == 0, result.output
    human = summary_json("run")["human"]
    assert human["spearman"] is None and human["pearson"] is None
    assert human["notes"] == ["every item has the same human score (3): correlations are undefined"]
    assert "every item has the same human score (3)" in result.stdout
    # Kappa is defined (agreement no better than chance: 0), as scikit-learn has it.
    judged = [1 + i % 5 for i in range(12)]
    expected = cohen_kappa_score(judged, [3] * 12, weights="quadratic", labels=[1, 2, 3, 4, 5])
    assert human["kappa_quadratic"]["value"] == pytest.approx(expected, abs=1e-12)
    raw = json.loads((Path("run") / "summary.json").read_text())
    assert raw["human"]["raters"] is None


def test_agreement_on_released_scores_reports_the_ceiling_per_judge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "220")
    rng = np.random.default_rng(3)
    truth = rng.integers(1, 6, 50)
    humans = np.clip(truth[:, None] + rng.integers(-1, 2, (50, 3)), 1, 5)
    judged = np.clip(truth + rng.integers(-1, 2, 50), 1, 5)
    csv_path = tmp_path / "released.csv"
    lines = ["id,judge,human_score"] + [
        f'i{i},{judged[i]},"{json.dumps([int(h) for h in humans[i]])}"' for i in range(50)
    ]
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("agreement", csv_path, "--pred", "judge", "--kind", "pointwise", "--format", "json", *FEW_RESAMPLES)
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)["rows"]
    means = humans.mean(axis=1)
    assert row["icc"]["value"] == pytest.approx(_icc_a1(np.column_stack([judged, means])))
    assert row["raters"]["alpha_interval"]["value"] == pytest.approx(
        krippendorff.alpha(reliability_data=humans.T.astype(float), level_of_measurement="interval")
    )
    table = cli("agreement", csv_path, "--pred", "judge", "--kind", "pointwise", *FEW_RESAMPLES)
    assert "ICC(A,1)" in table.stdout and "judge: Spearman with the mean of the other ratings: judge" in table.stdout


def _icc_a1(matrix: np.ndarray) -> float:
    """ICC(A,1) from its mean squares (McGraw & Wong), written out."""
    n, k = matrix.shape
    grand = matrix.mean()
    rows = k * ((matrix.mean(axis=1) - grand) ** 2).sum() / (n - 1)
    columns = n * ((matrix.mean(axis=0) - grand) ** 2).sum() / (k - 1)
    error = ((matrix - matrix.mean(axis=1, keepdims=True) - matrix.mean(axis=0) + grand) ** 2).sum() / (
        (n - 1) * (k - 1)
    )
    return float((rows - error) / (rows + (k - 1) * error + k * (columns - error) / n))
