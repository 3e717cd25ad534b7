"""Intervals that never claim certainty they lack: exact proportions, guarded bootstraps, at the edges."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats
from scipy.special import gammaln
from statsmodels.stats.proportion import proportion_confint

from judgekit.stats import agreement, correlation
from judgekit.stats.intervals import (
    MIN_BOOTSTRAP_ITEMS,
    Estimate,
    mean_estimate,
    paired_estimate,
    percentile_interval,
)
from judgekit.stats.proportions import clopper_pearson, proportion_estimate, share

COUNTS = [(0, 1), (1, 1), (0, 2), (1, 2), (2, 2), (0, 3), (3, 3), (1, 7), (5, 20), (20, 20), (0, 200), (137, 400)]


@pytest.mark.parametrize(("successes", "n"), COUNTS)
def test_clopper_pearson_matches_scipy_and_statsmodels(successes: int, n: int) -> None:
    ours = proportion_estimate(successes, n)
    assert ours is not None and ours.interval == "clopper-pearson" and ours.n == n
    # scipy finds the ends by root-finding on the binomial distribution; statsmodels reads beta quantiles.
    scipy_ci = scipy_stats.binomtest(successes, n).proportion_ci(confidence_level=0.95, method="exact")
    low, high = proportion_confint(successes, n, alpha=0.05, method="beta")
    assert ours.low == pytest.approx(scipy_ci.low, abs=1e-9) and ours.high == pytest.approx(scipy_ci.high, abs=1e-9)
    assert ours.low == pytest.approx(low if successes else 0.0, abs=1e-12)
    assert ours.high == pytest.approx(high if successes < n else 1.0, abs=1e-12)
    assert ours.low < ours.high  # never zero width, even at 0% and 100%


def test_exact_bounds_worked_by_hand_at_all_and_none() -> None:
    # x = n: P(all n | p) = p^n = 2.5% at the lower end; x = 0 mirrors it.
    for n in (1, 2, 3, 20, 200):
        assert clopper_pearson(n, n) == pytest.approx((0.025 ** (1 / n), 1.0))
        assert clopper_pearson(0, n) == pytest.approx((0.0, 1 - 0.025 ** (1 / n)))
    assert clopper_pearson(3, 3)[0] == pytest.approx(0.2924, abs=5e-5)  # "3 of 3" from the issue: 29%, not 100%
    assert proportion_estimate(0, 0) is None and share([]) is None
    with pytest.raises(ValueError):
        clopper_pearson(4, 3)


def test_win_rate_with_ties_uses_the_half_count_and_stays_exact_without_ties() -> None:
    verdicts = ["A"] * 7 + ["tie"] * 3 + ["B"] * 5
    estimate = agreement.win_rate(verdicts)
    low, high = proportion_confint(7 + 1.5, 15, alpha=0.05, method="beta")  # beta quantiles take a half count
    assert estimate is not None and estimate.value == pytest.approx(8.5 / 15)
    assert (estimate.low, estimate.high) == (pytest.approx(low), pytest.approx(high))
    no_ties = agreement.win_rate(["A"] * 3)
    assert no_ties is not None and (no_ties.low, no_ties.high) == pytest.approx((0.025 ** (1 / 3), 1.0))
    single_tie = agreement.win_rate(["tie"])
    assert single_tie is not None and single_tie.low is not None and single_tie.high is not None
    assert single_tie.low < 0.5 < single_tie.high
    with pytest.raises(ValueError):
        share([0.25])


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 12])
def test_win_rate_interval_covers_the_true_rate_with_ties(n: int) -> None:
    """Exact coverage over every outcome of n items: neither end misses more than 2.5% of the time."""
    wins, ties = (grid.ravel() for grid in np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij"))
    keep = wins + ties <= n
    wins, ties = wins[keep], ties[keep]
    losses = n - wins - ties
    bounds = np.array([clopper_pearson(w + t / 2, n) for w, t in zip(wins, ties, strict=True)])
    log_ways = gammaln(n + 1) - gammaln(wins + 1) - gammaln(ties + 1) - gammaln(losses + 1)
    for p_win in np.linspace(0.02, 0.98, 17):
        for p_tie in np.linspace(0.0, 1.0 - p_win, 9):
            p_loss = max(0.0, 1.0 - p_win - p_tie)
            with np.errstate(divide="ignore", invalid="ignore"):
                log_p = (
                    log_ways
                    + wins * np.log(p_win)
                    + np.where(ties > 0, ties * np.log(p_tie), 0.0)
                    + np.where(losses > 0, losses * np.log(p_loss), 0.0)
                )
            probability = np.exp(log_p)
            rate = p_win + p_tie / 2
            assert probability[bounds[:, 0] > rate].sum() <= 0.025 + 1e-9
            assert probability[bounds[:, 1] < rate].sum() <= 0.025 + 1e-9


def test_proportions_from_the_issue_get_exact_intervals() -> None:
    flips = share([0.0] * 200)
    assert flips is not None and flips.low == 0.0 and flips.high == pytest.approx(1 - 0.025 ** (1 / 200))
    agreeing = agreement.agreement(["A"] * 20, ["A"] * 20)
    assert agreeing is not None and agreeing.low == pytest.approx(0.025 ** (1 / 20)) and agreeing.high == 1.0
    one = agreement.agreement(["A"], ["B"])
    assert one is not None and (one.low, one.high) == pytest.approx((0.0, 0.975))


def test_mean_without_spread_or_items_has_no_interval_and_says_why() -> None:
    assert mean_estimate([]) is None
    single = mean_estimate([4.0])
    assert single is not None and single.low is None and single.no_interval is not None and "n=1" in single.no_interval
    two = mean_estimate([3.0, 5.0])
    assert two is not None and two.value == 4.0 and two.low is None and "needs 10" in str(two.no_interval)
    constant = mean_estimate([5.0] * 40)
    assert constant is not None and constant.value == 5.0 and (constant.low, constant.high) == (None, None)
    assert constant.no_interval == "all 40 values are equal (no spread to resample)"
    spread = mean_estimate([1.0, 2.0, 3.0, 4.0, 5.0] * 2)
    assert spread is not None and spread.interval == "bootstrap" and spread.low is not None and spread.high is not None
    assert spread.low < 3.0 < spread.high
    assert mean_estimate([0.0, 1.0, 0.5] * 5, seed=3) == mean_estimate([0.0, 1.0, 0.5] * 5, seed=3)


def test_correlation_on_few_systems_or_perfect_ranks_is_never_one_to_one() -> None:
    # The issue's system-level Spearman over 4 systems: 1.000 with no interval, and the reason.
    systems = ["s1", "s2", "s3", "s4"] * 5
    judge = [1.0, 2.0, 3.0, 4.0] * 5
    human = [2.0, 3.0, 5.0, 9.0] * 5
    rho = correlation.system_level("spearman", judge, human, systems)
    assert rho is not None and rho.value == pytest.approx(1.0) and rho.low is None
    assert rho.no_interval == "n=4 is too few for a bootstrap interval (needs 10 systems)"
    # Perfect rank agreement on plenty of items: every resample gives 1, so there is no interval.
    perfect = correlation.item_level("spearman", list(range(30)), [x * x for x in range(30)])
    assert perfect is not None and perfect.value == pytest.approx(1.0) and perfect.low is None
    assert perfect.no_interval is not None and "same value" in perfect.no_interval
    # Constant input: no coefficient at all (the summary's notes say why).
    assert correlation.item_level("pearson", [3.0] * 20, list(range(20))) is None
    assert correlation.item_level("spearman", [1.0], [2.0]) is None
    assert correlation.item_level("spearman", [], []) is None


def test_kappa_on_constant_labels_is_undefined_not_perfect() -> None:
    from sklearn.metrics import cohen_kappa_score

    assert np.isnan(agreement.cohen_kappa_value(["A"] * 12, ["A"] * 12))
    with pytest.warns(Warning):
        assert np.isnan(cohen_kappa_score(["A"] * 12, ["A"] * 12))
    assert agreement.cohen_kappa(["A"] * 12, ["A"] * 12) is None


def test_a_zero_width_interval_is_never_reported() -> None:
    guarded = Estimate(value=1.0, low=1.0, high=1.0, n=50)
    assert guarded.low is None and guarded.high is None and guarded.no_interval is not None
    draws = np.full(2000, 0.7)
    flat = percentile_interval(0.7, draws, 50, resamples=2000)
    assert flat.low is None and flat.no_interval is not None and "same value" in flat.no_interval
    undefined = percentile_interval(0.7, np.full(2000, np.nan), 50, resamples=2000)
    assert undefined.low is None and "no value" in str(undefined.no_interval)
    few = percentile_interval(0.7, np.linspace(0, 1, 2000), MIN_BOOTSTRAP_ITEMS - 1, resamples=2000)
    assert few.low is None and "too few" in str(few.no_interval)


def test_paired_bootstrap_matches_an_independent_one_on_ordinary_data() -> None:
    rng = np.random.default_rng(8)
    human = rng.integers(1, 6, 150).astype(float)
    judge = human + rng.normal(0, 1.5, 150)
    ours = paired_estimate(lambda a, b: scipy_stats.pearsonr(a, b).statistic, [judge, human], resamples=3000, seed=2)
    other = np.random.default_rng(77)
    picks = other.integers(0, 150, size=(3000, 150))
    draws = [np.corrcoef(judge[p], human[p])[0, 1] for p in picks]
    low, high = np.quantile(draws, [0.025, 0.975])
    assert ours is not None and ours.interval == "bootstrap"
    assert ours.low == pytest.approx(low, abs=0.02) and ours.high == pytest.approx(high, abs=0.02)


def test_a_bootstrap_interval_always_contains_its_estimate() -> None:
    import numpy as np

    from judgekit.stats.intervals import percentile_interval

    draws = np.linspace(-0.352, -0.309, 2000)  # every resample below the estimate, as a biased statistic can give
    estimate = percentile_interval(-0.300, draws, 40, resamples=2000)
    assert estimate.low is not None and estimate.high is not None
    assert estimate.low <= estimate.value <= estimate.high == -0.300
