"""--swap-audit: a seeded share of adaptive's sure items judged in both orders, and the estimate of
how many of full swap's verdicts the run kept (`metrics.adaptive.kept_estimate`)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from scipy.stats import beta

from judgekit.metrics.adaptive import AdaptiveRule, adaptive_info, kept_estimate, kept_warning
from judgekit.metrics.items import ItemOutcome
from judgekit.schema import Judgment
from judgekit.testing.judges import QualityJudge
from judgekit.testing.server import FakeProvider
from tests.helpers import rows_of, run, write_jsonl
from tests.test_adaptive import JUDGE, LOGPROBS, quality_rows


def clopper_pearson(k: int, n: int) -> tuple[float, float]:
    """The exact interval from scipy's beta quantiles (independent of judgekit.stats)."""
    low = 0.0 if k == 0 else float(beta.ppf(0.025, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(0.975, k + 1, n - k))
    return low, high


def test_kept_by_hand() -> None:
    """100 items, 50 sure ones judged once, 10 audited of which 2 changed: 1 - 0.5 x 2/10 = 0.9."""
    estimate = kept_estimate(items=100, sure_once=50, audited=10, changed=2)
    assert estimate is not None
    low, high = clopper_pearson(2, 10)
    assert estimate.value == pytest.approx(0.9)
    assert (estimate.low, estimate.high) == (pytest.approx(1 - 0.5 * high), pytest.approx(1 - 0.5 * low))
    assert estimate.n == 10 and estimate.interval == "clopper-pearson"


def test_kept_at_the_edges() -> None:
    assert kept_estimate(0, 0, 0, 0) is None  # n = 0
    exact = kept_estimate(items=5, sure_once=0, audited=2, changed=1)  # every item has swap's verdict
    assert exact is not None and (exact.value, exact.low, exact.high) == (1.0, None, None) and exact.no_interval
    assert kept_estimate(items=5, sure_once=3, audited=0, changed=0) is None  # nothing tells: no number
    none_changed = kept_estimate(items=10, sure_once=4, audited=1, changed=0)
    assert none_changed is not None and none_changed.value == 1.0
    assert none_changed.low == pytest.approx(1 - 0.4 * 0.975) and none_changed.high == 1.0  # one audit: wide
    all_changed = kept_estimate(items=10, sure_once=4, audited=2, changed=2)
    assert all_changed is not None and all_changed.value == pytest.approx(0.6)
    assert all_changed.low == pytest.approx(0.6) and all_changed.high is not None
    assert all_changed.high == pytest.approx(1 - 0.4 * clopper_pearson(2, 2)[0])


def test_audit_draw_is_a_fair_share_independent_of_the_order_coin() -> None:
    rule = AdaptiveRule(threshold=0.75, audit=0.2, seed=3)
    ids = [f"item-{index}" for index in range(4000)]
    audited = [rule.audited(key) for key in ids]
    assert 0.2 * 4000 - 4 * 25.3 < sum(audited) < 0.2 * 4000 + 4 * 25.3  # binomial sd sqrt(4000*0.2*0.8)
    swapped = [rule.first_call(key) == "BA" for key in ids]
    among_swapped = sum(a for a, s in zip(audited, swapped, strict=True) if s) / sum(swapped)
    among_kept = sum(a for a, s in zip(audited, swapped, strict=True) if not s) / (len(ids) - sum(swapped))
    assert abs(among_swapped - among_kept) < 0.05
    assert not any(AdaptiveRule(audit=0.0).audited(key) for key in ids[:200])
    assert all(AdaptiveRule(audit=1.0).audited(key) for key in ids[:200])
    assert [rule.audited(key) for key in ids[:50]] == audited[:50]  # a function of (seed, id) alone


def _row(item_id: str, call: str, verdict: str, p: float) -> Judgment:
    probabilities = {verdict: p, ("B" if verdict == "A" else "A"): 1 - p}
    return Judgment(
        item_id=item_id,
        call=call,
        judge="j",
        request_hash="h",
        status="ok",
        verdict=verdict,
        probabilities=probabilities,
        method="logprobs",
    )


def test_info_counts_audited_sure_items_by_hand() -> None:
    """Four items: unsure (both orders), sure and audited (changed), sure and audited (kept), sure once."""
    rule = AdaptiveRule(threshold=0.75, audit=0.5, seed=0)
    first = {key: rule.first_call(key) for key in "abcd"}
    other = {key: "BA" if call == "AB" else "AB" for key, call in first.items()}
    rows = [
        {first["a"]: _row("a", first["a"], "A", 0.6), other["a"]: _row("a", other["a"], "B", 0.9)},
        {first["b"]: _row("b", first["b"], "A", 0.9), other["b"]: _row("b", other["b"], "B", 0.99)},
        {first["c"]: _row("c", first["c"], "A", 0.9), other["c"]: _row("c", other["c"], "A", 0.9)},
        {first["d"]: _row("d", first["d"], "B", 0.95)},
    ]
    outcomes = [
        ItemOutcome("a", "ok", verdict="B", flipped=True),
        ItemOutcome("b", "ok", verdict="B", flipped=True),
        ItemOutcome("c", "ok", verdict="A", flipped=False),
        ItemOutcome("d", "ok", verdict="B"),
    ]
    info = adaptive_info(rows, outcomes, rule)
    assert (info.items, info.both_orders, info.calls, info.audited, info.audit_changed) == (4, 3, 7, 2, 1)
    assert info.kept is not None and info.kept.value == pytest.approx(1 - 0.25 * 0.5)
    warning = kept_warning(info)
    assert warning is not None and "1 of 2 audited" in warning and "--swap-below (now 0.75)" in warning


def test_the_kept_interval_covers_the_truth() -> None:
    """Seeded simulation: sure items whose other order would change them with probability 0.1; the
    audit's 95% interval covers the realised kept share in at least ~95% of 400 repeats."""
    rng = random.Random(11)
    covered, repeats = 0, 400
    for repeat in range(repeats):
        rule = AdaptiveRule(threshold=0.75, audit=0.15, seed=repeat)
        items, unsure = 300, 90
        sure = [f"r{repeat}-{index}" for index in range(items - unsure)]
        would_change = {key: rng.random() < 0.1 for key in sure}
        audited = [key for key in sure if rule.audited(key)]
        once = [key for key in sure if not rule.audited(key)]
        estimate = kept_estimate(items, len(once), len(audited), sum(would_change[key] for key in audited))
        truth = 1 - sum(would_change[key] for key in once) / items
        assert estimate is not None and estimate.low is not None and estimate.high is not None
        covered += estimate.low <= truth <= estimate.high
    assert covered / repeats >= 0.93


@pytest.fixture
def overconfident(judge: Callable[..., FakeProvider]) -> FakeProvider:
    return judge(QualityJudge(bias=1.0, sharpness=3.0))


GAPS = [0.2 * index for index in range(1, 25)]


def summary(run_dir: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((Path(run_dir) / "summary.json").read_text())
    return data


def test_audit_end_to_end(overconfident: FakeProvider, tmp_path: Path) -> None:
    """An overconfident judge: its sure verdicts change when audited; calls = items + second orders."""
    data = write_jsonl(tmp_path / "d.jsonl", quality_rows(GAPS))
    args = [*LOGPROBS, "--positions", "adaptive", "--swap-audit", "1", "-q", "--out", "run", "--format", "json"]
    result = run("eval", data, "-j", JUDGE, *args)
    assert result.exit_code == 0, result.output
    info = summary("run")["adaptive"]
    second_orders = sum(1 for row in rows_of("run") if row["call"] in ("AB", "BA")) - len(GAPS)
    assert overconfident.count() == len(GAPS) + second_orders
    assert second_orders == len(GAPS)  # an audit share of 1 sends every item to both orders
    assert info["audit"] == 1.0 and info["audited"] > 0 and info["kept"]["value"] == 1.0  # exact: all swapped
    swap = run("eval", data, "-j", JUDGE, *LOGPROBS, "--positions", "swap", "-q", "--out", "swap")
    assert swap.exit_code == 0
    verdicts = {row["item_id"]: row["verdict"] for row in rows_of("run", "outcomes.jsonl")}
    assert verdicts == {row["item_id"]: row["verdict"] for row in rows_of("swap", "outcomes.jsonl")}


CLOSE = [0.1, 0.2, 0.3, 0.4] * 6
"""Close pairs: under a bias of 1 reported three times too surely, a sure first verdict is often
the bias speaking, and the other order changes it."""


def test_partial_audit_estimates_and_warns_offline_the_same(overconfident: FakeProvider, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", quality_rows(CLOSE))
    args = [*LOGPROBS, "--positions", "adaptive", "--swap-audit", "0.5", "-q", "--out", "run"]
    result = run("eval", data, "-j", JUDGE, *args)
    assert result.exit_code == 0, result.output
    info = summary("run")["adaptive"]
    assert 0 < info["audited"] < len(CLOSE) and info["audit_changed"] > 0
    kept = info["kept"]
    assert kept is not None and kept["low"] <= kept["value"] < 0.95 and kept["value"] <= kept["high"]
    assert any("kept an estimated" in warning for warning in summary("run")["warnings"])
    calls = overconfident.count()
    report = run("report", "run", "--format", "json")
    assert report.exit_code == 0, report.output
    assert json.loads(report.stdout)["adaptive"] == info
    assert overconfident.count() == calls


@pytest.mark.parametrize("command", ["eval", "compare"])
def test_audit_without_adaptive_is_refused(overconfident: FakeProvider, tmp_path: Path, command: str) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", quality_rows(GAPS[:2]))
    result = run(command, data, "-j", JUDGE, "--positions", "swap", "--swap-audit", "0.1", "-q")
    assert result.exit_code == 2, result.output
    assert "--swap-audit" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert overconfident.count() == 0


def test_resume_keeps_the_audit(overconfident: FakeProvider, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", quality_rows(GAPS[:3]))
    args = [*LOGPROBS, "--positions", "adaptive", "--swap-audit", "0.3", "-q", "--out", "run"]
    assert run("eval", data, "-j", JUDGE, *args).exit_code == 0
    changed = run("eval", "--resume", "run", "--swap-audit", "0.5", "-q")
    assert changed.exit_code == 2 and "swap-audit 0.3 -> 0.5" in changed.stderr


def test_panel_and_compare_members_audit(overconfident: FakeProvider, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", quality_rows(CLOSE[:8]))
    args = [*LOGPROBS, "--positions", "adaptive", "--swap-audit", "1", "-q"]
    panel = run("eval", data, "-j", JUDGE, "-j", "openai/other-model", *args, "--out", "panel")
    assert panel.exit_code == 0, panel.output
    compared = run("compare", data, "-j", JUDGE, *args, "--out", "cmp")
    assert compared.exit_code == 0, compared.output
    members = [*Path("panel").rglob("summary.json"), *Path("cmp").rglob("summary.json")]
    members = [path for path in members if json.loads(path.read_text()).get("adaptive")]
    assert len(members) == 3  # two panel judges and one compared judge
    for path in members:
        info = json.loads(path.read_text())["adaptive"]
        assert (info["audit"], info["both_orders"], info["kept"]["value"]) == (1.0, 8, 1.0)
