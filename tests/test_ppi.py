"""PPI++ (judgekit.stats.ppi) against the ppi_py package, at the edges, and by simulated coverage."""

from __future__ import annotations

import numpy as np
import pytest

from judgekit.stats.ppi import Z_95, anchor, plain_mean, power_tuned_lambda, ppi_mean

ppi_py = pytest.importorskip("ppi_py")


def _sample(seed: int, total: int, labelled: int, *, pairwise: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Judge values on every item and human values (NaN when unlabelled) for a biased judge."""
    rng = np.random.default_rng(seed)
    if pairwise:
        truth = rng.choice([0.0, 0.5, 1.0], size=total, p=[0.45, 0.15, 0.4])
        judge = np.where(rng.random(total) < 0.65, truth, 1.0)  # a third of the time it just says "A"
    else:
        truth = rng.integers(1, 11, size=total).astype(float)
        judge = np.clip(truth + 1 + rng.normal(0, 1.5, size=total), 1, 10)
    human = np.full(total, np.nan)
    chosen = rng.choice(total, size=labelled, replace=False)
    human[chosen] = truth[chosen]
    return judge, human


def _scalar(value: object) -> float:
    """ppi_py answers with arrays of shape (1,) or (1, 1)."""
    return float(np.asarray(value).ravel()[0])


def _split(judge: np.ndarray, human: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    labelled = np.isfinite(human)
    return human[labelled], judge[labelled], judge[~labelled]


@pytest.mark.parametrize(
    ("seed", "total", "labelled", "pairwise"),
    [(1, 500, 60, True), (2, 2000, 200, True), (3, 300, 40, False), (4, 12, 2, True), (5, 40, 3, False)],
)
def test_matches_ppi_py_with_power_tuning(seed: int, total: int, labelled: int, pairwise: bool) -> None:
    judge, human = _sample(seed, total, labelled, pairwise=pairwise)
    y, f_labelled, f_unlabelled = _split(judge, human)
    found = anchor(judge, human)
    assert found is not None
    expected = _scalar(ppi_py.ppi_mean_pointestimate(y, f_labelled, f_unlabelled))
    low, high = ppi_py.ppi_mean_ci(y, f_labelled, f_unlabelled, alpha=0.05)
    assert found.corrected.value == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert found.corrected.low == pytest.approx(_scalar(low), rel=1e-10)
    assert found.corrected.high == pytest.approx(_scalar(high), rel=1e-10)
    # The tuned lambda is the one ppi_py uses: its fixed-lambda estimate reproduces the tuned one.
    lam = found.lambdas["all"]
    assert 0.0 <= lam <= 1.0
    fixed = _scalar(ppi_py.ppi_mean_pointestimate(y, f_labelled, f_unlabelled, lam=lam))
    assert fixed == pytest.approx(expected, rel=1e-12, abs=1e-12)
    human_low, human_high = ppi_py.classical_mean_ci(y, alpha=0.05)
    assert (found.human_only.low, found.human_only.high) == pytest.approx((human_low, human_high), rel=1e-10)
    assert found.judge_only.value == pytest.approx(judge.mean())
    assert found.labelled == labelled and found.unlabelled == total - labelled


@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0])
def test_fixed_lambda_matches_ppi_py(lam: float) -> None:
    judge, human = _sample(7, 400, 50)
    y, f_labelled, f_unlabelled = _split(judge, human)
    estimate, used = ppi_mean(y, f_labelled, f_unlabelled, lam=lam)
    low, high = ppi_py.ppi_mean_ci(y, f_labelled, f_unlabelled, alpha=0.05, lam=lam)
    assert used == lam
    assert estimate.value == pytest.approx(_scalar(ppi_py.ppi_mean_pointestimate(y, f_labelled, f_unlabelled, lam=lam)))
    assert (estimate.low, estimate.high) == pytest.approx((_scalar(low), _scalar(high)), rel=1e-10)


def test_effective_labels_is_the_variance_ratio_worked_by_hand() -> None:
    judge, human = _sample(8, 1000, 100)
    y, f_labelled, f_unlabelled = _split(judge, human)
    found = anchor(judge, human)
    assert found is not None
    low, high = ppi_py.ppi_mean_ci(y, f_labelled, f_unlabelled, alpha=0.05)
    ppi_variance = ((_scalar(high) - _scalar(low)) / (2 * Z_95)) ** 2
    human_variance = float(np.var(y)) / y.size
    assert found.effective_labels == pytest.approx(100 * human_variance / ppi_variance, rel=1e-8)
    assert found.effective_labels > 100  # this judge helps


def test_stratified_estimate_combines_ppi_py_per_stratum_by_stratum_share() -> None:
    rng = np.random.default_rng(9)
    judge_parts, human_parts, names = [], [], []
    for name, size, labelled, mean in (("small", 60, 30, 0.8), ("large", 540, 30, 0.3)):
        truth = (rng.random(size) < mean).astype(float)
        judge = np.where(rng.random(size) < 0.7, truth, 1.0)
        human = np.full(size, np.nan)
        chosen = rng.choice(size, size=labelled, replace=False)
        human[chosen] = truth[chosen]
        judge_parts.append(judge)
        human_parts.append(human)
        names += [name] * size
    judge, human = np.concatenate(judge_parts), np.concatenate(human_parts)
    found = anchor(judge, human, names)
    assert found is not None
    value = variance = human_value = 0.0
    for part_judge, part_human in zip(judge_parts, human_parts, strict=True):
        weight = part_judge.size / judge.size
        y, f_labelled, f_unlabelled = _split(part_judge, part_human)
        value += weight * _scalar(ppi_py.ppi_mean_pointestimate(y, f_labelled, f_unlabelled))
        low, high = ppi_py.ppi_mean_ci(y, f_labelled, f_unlabelled, alpha=0.05)
        variance += weight**2 * ((_scalar(high) - _scalar(low)) / (2 * Z_95)) ** 2
        human_value += weight * y.mean()
    assert found.corrected.value == pytest.approx(value, rel=1e-10)
    assert found.corrected.variance == pytest.approx(variance, rel=1e-8)
    assert found.human_only.value == pytest.approx(human_value)
    assert set(found.lambdas) == {"small", "large"}


# -- edges -------------------------------------------------------------------------------------


def test_no_or_one_labelled_item_gives_no_estimate() -> None:
    judge = np.array([1.0, 0.0, 0.5, 1.0])
    assert anchor(judge, np.full(4, np.nan)) is None
    assert anchor(judge, np.array([1.0, np.nan, np.nan, np.nan])) is None
    with pytest.raises(ValueError, match="at least 2"):
        ppi_mean(np.array([1.0]), np.array([1.0]), judge)
    # Stratified: one stratum with a single label is enough to refuse the whole estimate.
    assert anchor(judge, np.array([1.0, 0.0, 1.0, np.nan]), ["x", "x", "y", "y"]) is None


def test_two_labelled_items_match_ppi_py() -> None:
    judge = np.array([1.0, 0.0, 1.0, 0.5, 0.0, 1.0])
    human = np.array([1.0, 0.5, np.nan, np.nan, np.nan, np.nan])
    found = anchor(judge, human)
    assert found is not None
    y, f_labelled, f_unlabelled = _split(judge, human)
    low, high = ppi_py.ppi_mean_ci(y, f_labelled, f_unlabelled, alpha=0.05)
    assert (found.corrected.low, found.corrected.high) == pytest.approx((_scalar(low), _scalar(high)))


def test_all_labels_equal_leave_the_judge_out_and_the_interval_closed() -> None:
    judge = np.array([1.0, 0.0, 0.5, 1.0, 0.0, 1.0])
    human = np.array([1.0, 1.0, 1.0, np.nan, np.nan, np.nan])
    found = anchor(judge, human)
    assert found is not None
    assert found.lambdas["all"] == 0.0  # no covariance with a constant human value
    assert (found.corrected.value, found.corrected.low, found.corrected.high) == (1.0, 1.0, 1.0)
    assert found.effective_labels == 3.0  # neither side has spread: the judge adds nothing


def test_a_constant_judge_gives_the_humans_alone() -> None:
    judge = np.full(8, 1.0)  # always "A"
    human = np.array([1.0, 0.0, 0.5, 0.0, np.nan, np.nan, np.nan, np.nan])
    found = anchor(judge, human)
    assert found is not None
    assert found.lambdas["all"] == 0.0
    assert found.corrected == found.human_only.__class__(
        value=found.human_only.value, variance=found.human_only.variance, n=8
    )
    assert found.effective_labels == pytest.approx(4.0)
    assert power_tuned_lambda(np.array([1.0, 0.0]), np.array([1.0, 1.0]), np.array([1.0])) == 0.0


def test_every_item_labelled_is_the_plain_human_mean() -> None:
    judge = np.array([1.0, 0.0, 1.0])
    human = np.array([1.0, 0.5, 0.0])
    found = anchor(judge, human)
    assert found is not None
    assert found.lambdas["all"] == 0.0
    assert found.corrected.value == pytest.approx(0.5)
    assert found.corrected.variance == pytest.approx(plain_mean(human).variance)


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="aligned"):
        anchor([1.0, 0.0], [1.0])
    with pytest.raises(ValueError, match="finite judge value"):
        anchor([1.0, np.nan], [1.0, 0.0])
    with pytest.raises(ValueError, match="finite judge value"):
        anchor([], [])


# -- coverage by simulation ---------------------------------------------------------------------

REPEATS = 400
# Within about 3.5 binomial standard deviations of 95% over 400 repeats (sd 1.1 points).
COVERAGE_BAND = (0.91, 0.99)


def _coverage(truth: float, draws: np.ndarray, humans: np.ndarray) -> tuple[float, float, float]:
    """Coverage of the corrected, the judge-only and the human-only intervals over the repeats."""
    corrected = judge_only = human_only = 0
    for judge, human in zip(draws, humans, strict=True):
        found = anchor(judge, human)
        assert found is not None
        corrected += found.corrected.low <= truth <= found.corrected.high
        judge_only += found.judge_only.low <= truth <= found.judge_only.high
        human_only += found.human_only.low <= truth <= found.human_only.high
    return corrected / len(draws), judge_only / len(draws), human_only / len(draws)


def _labels(rng: np.random.Generator, truth: np.ndarray, labelled: int) -> np.ndarray:
    """Keep the human value of `labelled` random items per repeat, NaN elsewhere."""
    keys = rng.random(truth.shape)
    cut = np.sort(keys, axis=1)[:, labelled - 1 : labelled]
    return np.where(keys <= cut, truth, np.nan)


def test_coverage_with_a_judge_that_prefers_the_first_answer() -> None:
    rng = np.random.default_rng(2024)
    total, labelled = 1000, 100
    outcomes, shares = np.array([0.0, 0.5, 1.0]), np.array([0.5, 0.1, 0.4])
    truth_value = float(outcomes @ shares)  # the human win rate of A: 0.45
    truth = rng.choice(outcomes, size=(REPEATS, total), p=shares)
    # The judge agrees with the humans 70% of the time and otherwise prefers A, shown first.
    judge = np.where(rng.random((REPEATS, total)) < 0.7, truth, 1.0)
    corrected, judge_only, human_only = _coverage(truth_value, judge, _labels(rng, truth, labelled))
    assert COVERAGE_BAND[0] <= corrected <= COVERAGE_BAND[1]
    assert COVERAGE_BAND[0] <= human_only <= COVERAGE_BAND[1]
    assert judge_only < 0.05  # about 16 points too high: its interval misses


def test_coverage_with_a_judge_that_scores_one_point_high() -> None:
    rng = np.random.default_rng(7)
    total, labelled = 800, 80
    truth = rng.integers(1, 11, size=(REPEATS, total)).astype(float)  # mean 5.5
    judge = np.clip(truth + 1 + rng.normal(0.0, 1.0, size=truth.shape), 1, 10)
    corrected, judge_only, _ = _coverage(5.5, judge, _labels(rng, truth, labelled))
    assert COVERAGE_BAND[0] <= corrected <= COVERAGE_BAND[1]
    assert judge_only < 0.05


def test_the_corrected_interval_is_narrower_than_the_humans_alone_with_a_good_judge() -> None:
    rng = np.random.default_rng(11)
    truth = rng.choice([0.0, 1.0], size=(50, 2000))
    judge = np.where(rng.random(truth.shape) < 0.9, truth, 1.0 - truth)  # right 90% of the time, unbiased
    humans = _labels(rng, truth, 100)
    ratios = []
    for row_judge, row_human in zip(judge, humans, strict=True):
        found = anchor(row_judge, row_human)
        assert found is not None
        ratios.append(found.corrected.variance / found.human_only.variance)
    # With agreement 0.9 the judge explains about 64% of the humans' variance: the best
    # variance ratio is near 1 - 0.64 * N / (n + N), i.e. about 0.39.
    assert 0.3 < float(np.median(ratios)) < 0.5


def test_stratified_coverage_with_an_oversampled_small_category() -> None:
    rng = np.random.default_rng(5)
    small, large = 100, 900
    names = np.array(["small"] * small + ["large"] * large)
    base = np.concatenate([np.full(small, 0.85), np.full(large, 0.35)])
    truth = (rng.random((REPEATS, small + large)) < base).astype(float)
    truth_value = float(base.mean())
    # Its bias differs by category: the judge says "A" more often on the small one.
    says_a = np.concatenate([np.full(small, 0.05), np.full(large, 0.4)])
    judge = np.where(rng.random(truth.shape) < says_a, 1.0, truth)
    humans = np.concatenate([_labels(rng, truth[:, :small], 40), _labels(rng, truth[:, small:], 40)], axis=1)
    stratified = pooled = 0
    for row_judge, row_human in zip(judge, humans, strict=True):
        weighted = anchor(row_judge, row_human, names)
        naive = anchor(row_judge, row_human)
        assert weighted is not None and naive is not None
        stratified += weighted.corrected.low <= truth_value <= weighted.corrected.high
        pooled += naive.corrected.low <= truth_value <= naive.corrected.high
    assert COVERAGE_BAND[0] <= stratified / REPEATS <= COVERAGE_BAND[1]
    assert pooled / REPEATS < 0.5  # ignoring the oversampling is biased
