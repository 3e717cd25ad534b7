"""The HTML report without a browser: derived statistics, SVG handling, page content, CLI options.

(tests/test_html_browser.py opens the same pages in headless Chromium.)
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import Field
from typer.testing import CliRunner

from judgekit.cli import app
from judgekit.metrics.items import ItemFacts, ItemOutcome
from judgekit.reporting.html import render_comparison_report, render_run_report
from judgekit.reporting.html.compare_json import from_compare_json
from judgekit.reporting.html.comparison import ComparedRow, ComparisonReport, Metric
from judgekit.reporting.html.derive import Bootstrap, cross_tab, equal_count_bins, model_win_rates
from judgekit.reporting.html.svg import PALETTE, inline_svg
from judgekit.stats.intervals import Estimate
from judgekit.summary import BiasMetrics, PairwiseMetrics, Summary
from judgekit.testing.server import FakeProvider
from tests import report_runs
from tests.helpers import write_jsonl
from tests.html_pages import read_page, table_starting_with

runner = CliRunner()


def facts(model_a: str | None, model_b: str | None, length_a: int = 0, length_b: int = 0) -> ItemFacts:
    return ItemFacts(
        id="x", kind="pairwise", human_label=None, human_score=None, category=None, model=None,
        model_a=model_a, model_b=model_b, length_a=length_a, length_b=length_b,
    )  # fmt: skip


# Derived statistics ----------------------------------------------------------------------------


def test_model_win_rates_count_each_model_in_every_pair_it_took_part_in() -> None:
    pairs = [
        ("x", "y", "A"), ("x", "y", "A"), ("y", "x", "tie"), ("x", "z", "B"),
        ("z", "y", "A"), ("y", "z", "B"), ("x", "x", "A"), (None, "y", "A"), ("x", "y", None),
    ]  # fmt: skip
    item_facts = [facts(a, b) for a, b, _ in pairs]
    outcomes = [ItemOutcome("x", "ok" if v else "unscored", verdict=v) for _, _, v in pairs]  # type: ignore[arg-type]
    rates = model_win_rates(item_facts, outcomes, Bootstrap(200, 0))
    # By hand, over the pairs naming two different models with a verdict:
    # x: won 2 vs y, tie vs y (0.5), lost to z -> 2.5 / 4; y: 0, 0, 0.5, 0 (vs z), 0 (vs z) -> 0.5 / 5
    # z: won vs x, won vs y (A = z), won vs y (B = z) -> 3 / 3
    assert list(rates) == ["z", "x", "y"]
    assert rates["x"].value == pytest.approx(2.5 / 4) and rates["x"].n == 4
    assert rates["y"].value == pytest.approx(0.5 / 5) and rates["y"].n == 5
    assert rates["z"].value == pytest.approx(1.0) and rates["z"].n == 3
    for estimate in rates.values():
        assert estimate.low is not None and estimate.high is not None
        assert estimate.low <= estimate.value <= estimate.high


def test_equal_count_bins_cut_the_sorted_points_into_nearly_equal_parts() -> None:
    rng = np.random.default_rng(3)
    xs = rng.normal(0, 300, size=95)
    ys = rng.integers(0, 3, size=95) / 2
    bins = equal_count_bins(list(zip(xs.tolist(), ys.tolist(), strict=True)), Bootstrap(200, 0))
    order = np.argsort(xs, kind="stable")
    expected = np.array_split(order, 6)  # numpy's own equal split of the sorted indices
    assert len(bins) == 6
    for b, indices in zip(bins, expected, strict=True):
        assert b.estimate.n == len(indices)
        assert b.estimate.value == pytest.approx(float(ys[indices].mean()))
        assert b.x == pytest.approx(float(np.median(xs[indices])))
        assert (b.low_edge, b.high_edge) == (pytest.approx(xs[indices].min()), pytest.approx(xs[indices].max()))
    # Too few points for six bins of ten: fewer bins; any points at all: at least one bin.
    assert len(equal_count_bins([(float(i), 1.0) for i in range(25)], Bootstrap(200, 0))) == 2
    assert len(equal_count_bins([(1.0, 1.0), (2.0, 0.0)], Bootstrap(200, 0))) == 1
    assert equal_count_bins([], Bootstrap(200, 0)) == []


def test_cross_tab_counts_match_pandas() -> None:
    rng = np.random.default_rng(5)
    human = rng.integers(1, 6, size=80).astype(float)
    judge = np.clip(human * 2 + rng.integers(-2, 3, size=80), 1, 10).astype(float)
    judge[3] = 7.5  # a probability-weighted score
    table = cross_tab(list(zip(human.tolist(), judge.tolist(), strict=True)))
    assert table is not None
    reference = pd.crosstab(human, judge)
    assert table.rows == [f"{value:g}" for value in reference.index]
    assert table.columns == [f"{value:g}" for value in reference.columns]
    assert table.counts == reference.to_numpy().tolist()
    many = [(float(i), float(i)) for i in range(30)]
    assert cross_tab(many) is None  # too many distinct scores for a table: the page draws a scatter


# SVG -------------------------------------------------------------------------------------------


def test_inline_svgs_have_unique_ids_resolving_references_and_no_fixed_colours() -> None:
    from judgekit.reporting.html import plots

    estimates = [Estimate(value=0.4, low=0.3, high=0.5, n=40), Estimate(value=0.7, low=0.6, high=0.8, n=30)]
    first = plots.estimate_chart("one", ["a", "b"], estimates, title="One", axis_label="x", percent=True)
    second = plots.estimate_chart("two", ["a", "b"], estimates, title="Two", axis_label="x", percent=True)
    ids_first = re.findall(r'\bid="([^"]+)"', first)
    ids_second = re.findall(r'\bid="([^"]+)"', second)
    assert ids_first and not set(ids_first) & set(ids_second)
    for svg, ids in ((first, ids_first), (second, ids_second)):
        assert svg.startswith("<svg") and "<?xml" not in svg and "<metadata" not in svg
        referenced = re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', svg)
        assert referenced and all((a or b) in ids for a, b in referenced)
        assert not any(colour in svg for colour in PALETTE)  # every placeholder became a CSS variable
        assert "var(--plot-fg)" in svg and "var(--plot-accent)" in svg
        assert 'role="img"' in svg and "<title>" in svg


def test_plot_labels_from_data_are_escaped_text_not_math_or_markup() -> None:
    from judgekit.reporting.html import plots

    svg = plots.count_bars("c", ["<script>x</script>", "$a^2$ & b"], [1, 2], title="T")
    assert "<script>" not in svg and "&lt;script&gt;x&lt;/script&gt;" in svg
    assert "$a^2$ &amp; b" in svg  # shown as written: no math-text rendering


def test_inline_svg_rejects_a_document_without_a_size() -> None:
    with pytest.raises(ValueError):
        inline_svg('<svg xmlns="http://www.w3.org/2000/svg"></svg>', prefix="p", label="l")


# Run pages -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pairwise(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    return report_runs.shared_run("pairwise", tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def pointwise(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    return report_runs.shared_run("pointwise", tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def pairwise_html(pairwise: tuple[Path, dict[str, Any]]) -> str:
    return render_run_report(pairwise[0])


def check_self_contained(html: str) -> None:
    page = read_page(html)
    assert html.startswith("<!DOCTYPE html>")
    assert len(page.scripts) == 1, "the page's own script is its only script"
    script_hash = base64.b64encode(hashlib.sha256(page.scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{script_hash}'" in html and "default-src 'none'" in html
    # Nothing to fetch: every reference is in-page (#anchor) or inline data.
    assert page.references and all(ref.startswith(("#", "data:")) for ref in page.references), page.references
    assert not re.search(r"url\((?!#)", html), "no CSS url() other than in-page references"
    assert "@import" not in html


def check_cards(html: str, expected: dict[str, tuple[dict[str, Any] | None, bool, int]]) -> None:
    """Each card shows its summary.json estimate, formatted independently of the renderer."""
    cards = read_page(html).cards
    for key, (estimate, percent, digits) in expected.items():
        assert estimate is not None, key
        value, interval = report_runs.expected_estimate(estimate, percent=percent, digits=digits)
        assert cards[key]["card-value"] == value, key
        assert cards[key]["card-ci"] == f"95% CI {interval}", key
        assert cards[key]["card-n"] == f"n = {estimate['n']}", key


def test_pairwise_page_shows_the_summary_numbers_and_every_text_escaped(pairwise: tuple[Path, dict[str, Any]]) -> None:
    run_dir, summary = pairwise
    result = runner.invoke(app, ["report", str(run_dir), "--html", "report.html", "--format", "json"])
    summary = json.loads(result.stdout)  # rebuilt by `report`, as the page shows it
    assert result.exit_code == 0, result.output
    assert "HTML report: report.html" in result.stderr
    html = Path("report.html").read_text(encoding="utf-8")
    check_self_contained(html)
    check_cards(
        html,
        {
            "win_rate": (summary["pairwise"]["win_rate"], True, 1),
            "agreement": (summary["human"]["agreement"], True, 1),
            "agreement_without_ties": (summary["human"]["agreement_without_ties"], True, 1),
            "kappa": (summary["human"]["kappa"], False, 3),
            "p_first": (summary["bias"]["p_first"], True, 1),
            "flip_rate": (summary["bias"]["flip_rate"], True, 1),
            "p_longer": (summary["bias"]["p_longer"], True, 1),
        },
    )
    page = read_page(html)
    counts = summary["counts"]
    assert page.cards["scored"]["card-value"] == f"{counts['scored']} of {counts['items']}"
    assert page.cards["scored"]["card-note"] == f"{counts['unscored']} unscored, {counts['errors']} failed"
    confusion = summary["human"]["confusion"]
    matrix = table_starting_with(page, "human \\ judge")
    assert matrix[0] == ["human \\ judge", "A", "B", "tie", "total"]
    # The humans never called a tie (report_runs labels A or B): no all-zero "tie" row.
    assert [row[0] for row in matrix[1:]] == ["A", "B"]
    assert "The human labels hold no tie, so the matrix has no tie row." in html
    for row in matrix[1:]:
        expected = [confusion[row[0]][label] for label in ("A", "B", "tie")]
        assert row[1:] == [str(value) for value in [*expected, sum(expected)]]
    outcomes = dict(table_starting_with(page, "outcome")[1:])
    pairwise_summary = summary["pairwise"]
    assert outcomes["A wins"] == str(pairwise_summary["wins_a"]) and outcomes["ties"] == str(pairwise_summary["ties"])
    assert outcomes["unscored"] == str(counts["unscored"]) == "1"
    # One row per item, including the unscored one, in the table.
    assert html.count('<tbody class="item') == counts["items"]
    # Hostile texts appear only escaped: no tag from the data reaches the page as markup.
    for hostile in (
        report_runs.SCRIPT_ANSWER,
        report_runs.IMG_ANSWER,
        report_runs.HOSTILE_QUESTION,
        report_runs.HOSTILE_ID,
        report_runs.HOSTILE_CATEGORY,
        report_runs.HOSTILE_MODEL,
        report_runs.JUDGE_SCRIPT,
    ):
        assert hostile not in html
    assert "&lt;script&gt;document.title" in html
    assert "judgekitPwned" in html  # the texts are there, as text
    assert "<img" not in html and "<i>" not in html and "<b " not in html
    # The judge's raw explanation is in the page (escaped).
    assert "The first answer is right. &lt;script&gt;window.judgekitPwned = 6&lt;/script&gt;" in html
    # The manifest names the judge, the template hash and the seed.
    manifest = dict(row for row in table_starting_with(page, "run id") if len(row) == 2)
    run_json = json.loads((run_dir / "run.json").read_text())
    assert manifest["template hash"] == run_json["template"]["hash"]
    assert manifest["judge"] == "openai/judge-1" and manifest["seed"] == "0" and manifest["positions"] == "swap"
    assert manifest["prompt tokens"] == f"{counts['prompt_tokens']:,}"
    assert "sk-test" not in html


def test_pairwise_page_has_category_model_bias_and_length_figures(
    pairwise: tuple[Path, dict[str, Any]], pairwise_html: str
) -> None:
    _, summary = pairwise
    html = pairwise_html
    for key in ("outcomes", "by_category", "confusion", "bias", "length"):
        assert f'id="figure-{key}"' in html, key
    # Three models: a win rate per model (from the summary's leaderboard where the run has one).
    assert 'id="figure-by_model"' in html or 'id="figure-leaderboard"' in html
    page = read_page(html)
    by_category = {row[0]: row[1:] for row in page.tables[1][1:]}
    for name, estimate in summary["pairwise"]["by_category"].items():
        value, interval = report_runs.expected_estimate(estimate, percent=True)
        assert by_category[name] == [value, interval, str(estimate["n"])]


def test_pointwise_page_with_human_scores(pointwise: tuple[Path, dict[str, Any]]) -> None:
    run_dir, summary = pointwise
    html = render_run_report(run_dir)
    check_self_contained(html)
    check_cards(
        html,
        {
            "mean": (summary["pointwise"]["mean"], False, 2),
            "spearman": (summary["human"]["spearman"], False, 3),
            "kendall": (summary["human"]["kendall"], False, 3),
            "pearson": (summary["human"]["pearson"], False, 3),
        },
    )
    page = read_page(html)
    # The score distribution covers the whole 1-10 scale, zeros included.
    distribution = dict(table_starting_with(page, "score")[1:])
    assert list(distribution) == [str(score) for score in range(1, 11)]
    for score, count in summary["pointwise"]["distribution"].items():
        assert distribution[score] == str(count)
    assert sum(int(v) for v in distribution.values()) == summary["counts"]["scored"]
    # The human x judge table, counted here from the run's own files.
    human = {json.loads(line)["id"]: json.loads(line)["human_score"] for line in (run_dir / "items.jsonl").open()}
    judged = Counter()
    for line in (run_dir / "judgments.jsonl").open():
        row = json.loads(line)
        judged[(f"{human[row['item_id']]:g}", f"{row['score']:g}")] += 1
    table = table_starting_with(page, "human \\ judge")
    columns = table[0][1:]
    for row in table[1:]:
        for column, value in zip(columns, row[1:], strict=True):
            assert int(value) == judged[(row[0], column)]
    for key in ("distribution", "by_category", "by_model", "scores_vs_human", "length"):
        assert f'id="figure-{key}"' in html, key


def test_eval_writes_the_report_and_checks_its_path_before_judging(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server = fake_provider(report_runs.pairwise_judge)
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-report-0123456789")
    rows = [{k: v for k, v in row.items() if k != "label"} for row in report_runs.pairwise_rows(6)]
    data = write_jsonl(tmp_path / "pairs.jsonl", rows)
    base = ["eval", str(data), "--judge", "openai/judge-1", "-q"]
    missing = runner.invoke(app, [*base, "--html", "no/such/folder/report.html"])
    assert missing.exit_code == 2
    assert missing.stderr.strip().splitlines() == [
        "judgekit: error: --html no/such/folder/report.html: the folder no/such/folder does not exist"
    ]
    assert server.count() == 0, "a bad report path must stop the run before any call"
    result = runner.invoke(app, [*base, "--html", "out.html"])
    assert result.exit_code == 0, result.output
    assert "HTML report: out.html" in result.stderr
    assert "judgekit report · pairwise · openai/judge-1" in Path("out.html").read_text(encoding="utf-8")
    directory = runner.invoke(app, ["report", "runs", "--html", "."])
    assert directory.exit_code == 2 and "is a directory" in directory.stderr


BUNDLED = Path(__file__).resolve().parents[1] / "datasets"


def test_a_run_without_any_verdict_still_gets_a_clear_page() -> None:
    result = runner.invoke(
        app, ["eval", str(BUNDLED / "demo" / "pairwise.jsonl"), "-j", "mock/unparseable", "-q", "--html", "r.html"]
    )
    assert result.exit_code == 3, result.output  # no verdict at all: never exit 0, but the page is written
    html = Path("r.html").read_text(encoding="utf-8")
    page = read_page(html)
    assert page.cards["win_rate"]["card-value"] == "–" and "card-ci" not in page.cards["win_rate"]
    assert page.cards["scored"]["card-value"] == "0 of 20"
    assert "20 of 20 items are unscored" in html
    assert "No item has both a human label and a judge verdict yet." in html
    assert "No decisive verdict yet: nothing to measure." in html
    items = table_starting_with(page, "open")
    summary_rows = [row for row in items[1:] if len(row) == len(items[0])]  # not the opened-row details
    assert len(summary_rows) == 20 and {row[-1] for row in summary_rows} == {"unscored"}


def test_a_stopped_run_counts_the_items_not_judged() -> None:
    data = str(BUNDLED / "demo" / "pointwise.jsonl")
    result = runner.invoke(app, ["eval", data, "-j", "mock/first", "-q", "--max-calls", "5", "--html", "r.html"])
    assert result.exit_code == 3  # stopped by the budget; the report is written all the same
    page = read_page(Path("r.html").read_text(encoding="utf-8"))
    distribution = dict(table_starting_with(page, "score")[1:])
    assert distribution["10"] == "5" and distribution["not judged"] == "35"
    assert page.cards["scored"]["card-note"] == "0 unscored, 0 failed, 35 not judged"


def test_report_html_on_a_missing_run_is_one_line_and_exit_2() -> None:
    result = runner.invoke(app, ["report", "nowhere", "--html", "r.html"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "judgekit: error: nowhere: not a judgekit run directory (no run.json)"
    ]
    assert not Path("r.html").exists()


LENGTH_CONTROLLED = {  # the shape of summary.pairwise.length_controlled (judgekit.stats.length_control)
    "win_rate": {"value": 0.4321, "low": 0.31, "high": 0.55, "n": 13},
    "length_coefficient": {"value": -0.75, "low": -1.5, "high": 0.1, "n": 13},
    "intercept": -0.2738,
    "length_sd": 20.0,
    "feature": "tanh((len_a - len_b) / sd), lengths in characters",
    "n": 13,
}
LEADERBOARD = {  # the shape of summary.leaderboard (judgekit.metrics.leaderboard)
    "systems": 3,
    "comparisons": 13,
    "baseline": None,
    "ranked_by": "strength",
    "rows": [
        {"system": "model-z", "rank": 1, "comparisons": 9, "wins": 6, "losses": 2, "ties": 1,
         "win_rate": {"value": 0.7222, "low": 0.44, "high": 0.94, "n": 9},
         "strength": {"value": 0.61, "low": -0.2, "high": 1.5, "n": 13}},
        {"system": "<b>x</b>", "rank": 2, "comparisons": 9, "wins": 4, "losses": 5, "ties": 0,
         "win_rate": {"value": 0.4444, "low": 0.11, "high": 0.78, "n": 9}, "strength": None},
        {"system": "model-y", "rank": 3, "comparisons": 8, "wins": 2, "losses": 5, "ties": 1,
         "win_rate": {"value": 0.3125, "low": 0.06, "high": 0.62, "n": 8}, "strength": None},
    ],
    "notes": ["a note from the leaderboard"],
}  # fmt: skip


def test_fields_from_later_features_appear_when_present(pairwise: tuple[Path, dict[str, Any]]) -> None:
    """A length-controlled fit, a leaderboard, an unknown Estimate, a new breakdown and unknown data all show."""
    run_dir, _ = pairwise
    data = json.loads((run_dir / "summary.json").read_text())
    data["leaderboard"] = LEADERBOARD
    data["gates"] = [{"metric": "win_rate", "threshold": 0.6, "passed": False}]
    summary = Summary.model_validate(data)

    class LaterPairwise(PairwiseMetrics):  # as the summary holds it once length control has landed
        length_controlled: dict[str, Any] | None = None

    class LaterBias(BiasMetrics):
        position_consistency: Estimate | None = None
        flip_rate_by_category: dict[str, Estimate] = Field(default_factory=dict)

    assert summary.pairwise is not None and summary.bias is not None
    summary.pairwise = LaterPairwise.model_validate(
        {**summary.pairwise.model_dump(), "length_controlled": LENGTH_CONTROLLED}
    )
    summary.bias = LaterBias(
        **summary.bias.model_dump(),
        position_consistency=Estimate(value=0.875, low=0.75, high=1.0, n=13),
        flip_rate_by_category={"even": Estimate(value=0.25, low=0.0, high=0.5, n=7)},
    )
    html = render_run_report(run_dir, summary)
    page = read_page(html)
    cards = page.cards
    assert cards["length_controlled"]["card-value"] == "43.2%"
    assert cards["length_controlled"]["card-ci"] == "95% CI [31.0, 55.0]"
    assert cards["length_controlled"]["card-note"] == "length coefficient -0.750 [-1.500, 0.100]"
    assert "length-controlled fit" in html  # the fitted curve's legend in the length plot
    assert cards["bias.position_consistency"]["card-value"] == "87.5%"
    assert 'id="figure-bias-flip_rate_by_category"' in html
    assert "summary.json: gates" in html and "&#34;threshold&#34;: 0.6" in html
    assert "summary.json: leaderboard" not in html  # known: shown as its own section, not as raw JSON
    board = table_starting_with(page, "rank")
    assert board[1] == ["1", "model-z", "9", "6 / 2 / 1", "72.2% [44.0, 94.0]", "0.610 [-0.200, 1.500]"]
    assert board[2][:2] == ["2", "<b>x</b>"] and board[2][5] == "–"
    assert 'id="figure-leaderboard"' in html and 'id="figure-by_model"' not in html
    assert "a note from the leaderboard" in html and "<b>x" not in html


def test_length_controlled_curve_is_the_fitted_logistic_model() -> None:
    from judgekit.reporting.html.optional import LengthControl

    fit = LengthControl(
        win_rate=Estimate(value=0.4321, n=13),
        coefficient=Estimate(value=-0.75, n=13),
        intercept=-0.2738,
        length_sd=20.0,
    )
    curve = dict(fit.curve(-40.0, 40.0, points=5))
    assert list(curve) == [-40.0, -20.0, 0.0, 20.0, 40.0]
    assert curve[0.0] == pytest.approx(0.4319, abs=1e-4)  # expit(intercept): the length-controlled win rate
    assert curve[20.0] == pytest.approx(1 / (1 + np.exp(0.2738 + 0.75 * np.tanh(1.0))))
    assert curve[-40.0] > curve[0.0] > curve[40.0]  # a negative coefficient: the shorter answer is favoured
    assert LengthControl(win_rate=None).curve(-1.0, 1.0) == []


# Comparison page -------------------------------------------------------------------------------


def comparison() -> ComparisonReport:
    def estimate(value: float, n: int = 200) -> Estimate:
        return Estimate(value=value, low=value - 0.05, high=value + 0.05, n=n)

    rows = [
        ComparedRow(prompt="pairwise/verdict", judge="openai/mini", metrics={"agreement": estimate(0.74), "kappa": estimate(0.52)}, cost_usd=0.12),
        ComparedRow(prompt="pairwise/verdict", judge="anthropic/big", metrics={"agreement": estimate(0.79), "kappa": estimate(0.6)}, cost_usd=1.9),
        ComparedRow(prompt="<b>mine</b>.jinja", judge="openai/mini", metrics={"agreement": estimate(0.70), "kappa": estimate(0.45)}),
        ComparedRow(prompt="<b>mine</b>.jinja", judge="anthropic/big", metrics={"agreement": estimate(0.81), "kappa": estimate(0.63)}, tokens=12345),
        ComparedRow(prompt="broken", judge="openai/mini", metrics={"kappa": estimate(0.1)}),
    ]  # fmt: skip
    return ComparisonReport(
        title="Judges against MT-Bench experts",
        dataset="datasets/mt_bench_human_200.jsonl",
        rows=rows,
        metrics=[
            Metric(key="agreement", label="agreement with humans", percent=True),
            Metric(key="kappa", label="Cohen's kappa"),
        ],
        primary="agreement",
        significance="The best row is not significantly better than the runner-up (paired bootstrap, p = 0.41).",
    )


def test_comparison_page_ranks_rows_and_shows_the_grid_and_significance_note() -> None:
    html = render_comparison_report(comparison())
    check_self_contained(html)
    page = read_page(html)
    quality, cost = [table for table in page.tables if table[0][0] == "prompt · judge"][:2]  # then the plots' tables
    assert quality[0] == ["prompt · judge", "rank", "agreement with humans", "Cohen's kappa", "items"]
    assert [row[:2] for row in quality[1:]] == [
        ["<b>mine</b>.jinja · anthropic/big", "1"],
        ["pairwise/verdict · anthropic/big", "2"],
        ["pairwise/verdict · openai/mini", "3"],
        ["<b>mine</b>.jinja · openai/mini", "4"],
        ["broken · openai/mini", "5"],  # no agreement at all: ranked last
    ]
    assert quality[1][2:] == ["81.0% [76.0, 86.0]", "0.630 [0.580, 0.680]", "200"]
    assert quality[5][2] == "–"
    # No verdict counts and no bias metric: no bias table; cost and time have their own.
    assert cost[0] == ["prompt · judge", "cost (USD)", "tokens", "time (s)"]
    assert cost[2][1] == "1.9000" and cost[1][2] == "12,345"
    assert '<table class="data  sticky">' in html  # the name column stays in view when a table scrolls
    grid = table_starting_with(page, "prompt \\ judge")
    assert grid[0] == ["prompt \\ judge", "openai/mini", "anthropic/big"]
    assert grid[1] == ["pairwise/verdict", "74.0% [69.0, 79.0]", "79.0% [74.0, 84.0]"]
    assert grid[3] == ["broken", "–", "–"]
    assert page.cards["best"]["card-label"] == "Best agreement with humans: <b>mine</b>.jinja · anthropic/big"
    assert page.cards["best"]["card-value"] == "81.0%"
    assert "paired bootstrap, p = 0.41" in html
    assert "<b>mine" not in html and "&lt;b&gt;mine&lt;/b&gt;" in html
    assert 'id="figure-metric0"' in html and 'id="figure-metric1"' in html


def test_comparison_defaults_to_every_metric_and_the_first_as_primary() -> None:
    plain = ComparisonReport(rows=[row.model_copy(update={"cost_usd": None}) for row in comparison().rows])
    assert [metric.key for metric in plain.metric_list()] == ["agreement", "kappa"]
    assert plain.primary_metric() is not None and plain.primary_metric().key == "agreement"  # type: ignore[union-attr]
    lower_better = ComparisonReport(
        rows=comparison().rows, metrics=[Metric(key="kappa", label="k", higher_is_better=False)]
    )
    assert lower_better.ranked()[0].prompt == "broken"


def compare_json() -> dict[str, Any]:
    """A compare.json as `judgekit compare` saves it (judgekit.compare.statistics.Comparison), rows ranked."""

    def estimate(value: float, n: int = 200) -> dict[str, Any]:
        return {"value": value, "low": value - 0.04, "high": value + 0.04, "n": n}

    def row(name: str, rank: int | None, agreement: float | None, **extra: Any) -> dict[str, Any]:
        prompt, judge = name.split(" · ")
        return {
            "name": name, "rank": rank, "prompt": prompt, "judge": judge, "run_dir": f"runs/cmp/{rank}",
            "items": 200, "scored": 198, "unscored": 2, "errors": 0, "human_n": 198,
            "agreement": estimate(agreement) if agreement is not None else None,
            "agreement_without_ties": estimate(0.8), "kappa": estimate(0.5), "spearman": None,
            "position_consistency": estimate(0.87), "p_first": estimate(0.52, 396), "p_longer": estimate(0.6),
            "unscored_rate": estimate(0.01), "calls": 400, "prompt_tokens": 1000, "completion_tokens": 234,
            "cost_usd": None, "wall_s": 12.5, "future_field": {"anything": 1}, **extra,
        }  # fmt: skip

    return {
        "version": 1,
        "kind": "pairwise",
        "dataset": "datasets/mt_bench_human_200.jsonl",
        "ranked_by": "agreement",
        "level": "item",
        "rows": [
            row(
                "pairwise/verdict · openai/big",
                1,
                0.66,
                cost_usd=1.25,
                wins_a=120,
                wins_b=60,
                ties=18,
                win_rate=estimate(0.665),
            ),
            row("pairwise/scores · openai/big", 2, 0.71, wins_a=100, wins_b=80, ties=18),  # compare's own order
            row("pairwise/verdict · <i>mock</i>", None, None),
        ],
        "best_vs_runner_up": {
            "metric": "agreement",
            "best": "pairwise/verdict · openai/big",
            "runner_up": "pairwise/scores · openai/big",
            "statement": "pairwise/verdict · openai/big is not significantly better than pairwise/scores · openai/big "
            "on agreement (McNemar exact test on 198 shared items: difference -0.050 [-0.110, +0.010], p = 0.21)",
        },
        "panels": [
            {
                "judges": ["openai/big", "openai/small"],
                "items": 190,
                "method": "cohen",
                "kappa": estimate(0.61),
                "pairs": [{"first": "openai/big", "second": "openai/small", "kappa": 0.61}],
            }
        ],
        "warnings": ["one judge belongs to the same family as a candidate"],
    }


def test_compare_json_becomes_a_comparison_page_through_judgekit_report(tmp_path: Path) -> None:
    folder = tmp_path / "compare-out"
    folder.mkdir()
    (folder / "compare.json").write_text(json.dumps(compare_json()), encoding="utf-8")
    report = from_compare_json(compare_json())
    assert [row.prompt for row in report.ranked()] == ["pairwise/verdict", "pairwise/scores", "pairwise/verdict"]
    assert report.metric_list()[0].key == "agreement" and report.rows[0].tokens == 1234
    result = runner.invoke(app, ["report", str(folder), "--html", "cmp.html"])
    assert result.exit_code == 0, result.output
    assert "HTML report: cmp.html" in result.stderr
    html = Path("cmp.html").read_text(encoding="utf-8")
    check_self_contained(html)
    page = read_page(html)
    quality, bias, cost = [table for table in page.tables if table[0][0] == "prompt · judge"][:3]
    assert quality[0] == [
        "prompt · judge", "rank", "agreement with humans", "agreement, ties left out", "Cohen's kappa", "items"
    ]  # fmt: skip
    assert quality[1][:3] == ["pairwise/verdict · openai/big", "1", "66.0% [62.0, 70.0]"]
    assert quality[2][2] == "71.0% [67.0, 75.0]" and quality[3][2] == "–"
    assert bias[0] == [
        "prompt · judge", "A / B / ties", "win rate of A", "position consistency", "P(first shown preferred)",
        "P(longer wins)",
    ]  # fmt: skip
    assert bias[1][1:3] == ["120 / 60 / 18", "66.5% [62.5, 70.5]"]  # the counts the console prints
    assert bias[3][1] == "–"  # a row of an older compare.json without counts
    assert cost[0] == ["prompt · judge", "unscored", "cost (USD)", "tokens", "time (s)"]
    assert cost[1][1:] == ["1.0% [-3.0, 5.0]", "1.2500", "1,234", "12.5"]
    assert "McNemar exact test on 198 shared items" in html
    assert "one judge belongs to the same family as a candidate" in html
    assert "Agreement between the judges of a panel (openai/big, openai/small): cohen kappa 0.610" in html
    assert "&lt;i&gt;mock&lt;/i&gt;" in html and "<i>" not in html
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "compare.json").write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["report", str(broken), "--html", "x.html"])
    assert result.exit_code == 2 and "cannot read the comparison" in result.stderr


def test_cli_start_does_not_import_matplotlib_or_jinja() -> None:
    probe = (
        "import sys, judgekit.cli; print(sorted(m for m in ('matplotlib', 'jinja2', 'selenium') if m in sys.modules))"
    )
    output = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"
