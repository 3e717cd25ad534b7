"""Honest labels in the reports, without a browser: mock-judge caveats, axis limits, heatmap
contrast worked out from report.css, score scales, plurals and call counts.

(tests/test_html_browser_reading.py measures the same pages in headless Chromium.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from judgekit.cli import app
from judgekit.compare.significance import SignificanceTest, without_claim
from judgekit.metrics.caveats import is_mock_judge, mock_judge_warning
from judgekit.metrics.items import ItemFacts
from judgekit.reporting.html import render_run_report, scales
from judgekit.reporting.html.derive import ScoreScales
from judgekit.reporting.html.manifest import _call_rows
from judgekit.reporting.html.run_page import plural
from judgekit.stats.intervals import Estimate
from tests import report_runs
from tests.html_pages import read_page, table_starting_with

runner = CliRunner()
CSS = Path(__file__).resolve().parents[1] / "judgekit" / "reporting" / "html" / "assets" / "report.css"


# Mock judges -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("judge", "mock"),
    [
        ("mock/random", True),
        ("Mock/first", True),
        (" mock/tie", True),
        ("mock", False),  # no behaviour: not a judge spec
        ("mock/", False),
        ("openai/mock-model", False),
        ("mockery/random", False),
        ("", False),
        (None, False),
    ],
)
def test_mock_judges_are_recognised_by_their_provider(judge: str | None, mock: bool) -> None:
    assert is_mock_judge(judge) is mock


def test_one_mock_warning_names_every_mock_judge_once() -> None:
    assert mock_judge_warning(["openai/gpt-4o", None]) is None
    warning = mock_judge_warning(["mock/random", "openai/x", "mock/first", "mock/random"])
    assert warning is not None and warning.startswith("mock judge (mock/first, mock/random): no model was called")


def test_a_mock_run_warns_in_summary_json_and_on_the_console() -> None:
    data = str(report_runs.BUNDLED / "demo" / "pairwise.jsonl")
    result = runner.invoke(app, ["eval", data, "-j", "mock/random", "--out", "run", "--html", "r.html"])
    assert result.exit_code == 0, result.output
    summary = json.loads(Path("run/summary.json").read_text())
    assert summary["warnings"][0] == mock_judge_warning(["mock/random"])
    assert "warning: mock judge (mock/random): no model was called" in " ".join(
        result.stdout.split()
    )  # the table's end
    page = read_page(Path("r.html").read_text(encoding="utf-8"))
    assert page.cards["win_rate"]["card-note"].endswith("ties")  # the page renders; the banner is checked in Chromium
    assert 'id="banner"' in Path("r.html").read_text(encoding="utf-8")


def test_a_real_judge_gets_no_mock_warning(tmp_path_factory: pytest.TempPathFactory) -> None:
    run_dir, summary = report_runs.shared_run("pairwise", tmp_path_factory.getbasetemp())
    assert not any(warning.startswith("mock judge") for warning in summary["warnings"])
    assert 'id="banner"' not in render_run_report(run_dir)


def significance(best: str, runner_up: str) -> SignificanceTest:
    return SignificanceTest(
        metric="agreement",
        best=best,
        runner_up=runner_up,
        units=200,
        difference=Estimate(value=0.125, low=0.05, high=0.2, n=200),
        p_value=0.00187,
        method="McNemar exact test",
        significant=True,
        statement=f"{best} is significantly better than {runner_up} on agreement (p = 0.00187)",
    )


def test_no_significance_is_claimed_between_mock_configurations() -> None:
    real = significance("p · openai/a", "p · openai/b")
    assert without_claim(real, {"q · mock/random"}) == real  # no mock row involved: unchanged
    both = without_claim(significance("p · mock/random", "q · mock/random"), {"p · mock/random", "q · mock/random"})
    assert both.significant is False and both.p_value == 0.00187  # the arithmetic is kept, the claim is not
    assert both.statement == (
        "p · mock/random ranks above q · mock/random on agreement, but both are mock judges, which call no model: "
        "their verdicts are made up, so no significance is claimed"
    )
    one = without_claim(significance("p · openai/a", "q · mock/first"), {"q · mock/first"})
    assert one.caveat is not None and one.caveat.startswith("q · mock/first is a mock judge")
    assert "significantly better" not in one.statement


# Axis limits and heatmap shading ----------------------------------------------------------------


def fixed(value: float, n: int = 50) -> Estimate:
    return Estimate(value=value, low=value, high=value, n=n)


def test_rate_axes_of_equal_values_stay_inside_0_and_100_percent() -> None:
    # Worked by hand: one point, padded by 2% of the range, widened to 10% of it, shifted inside.
    assert scales.value_limits([fixed(1.0), fixed(1.0)], scales.RATE) == pytest.approx((0.9, 1.0))
    assert scales.value_limits([fixed(0.0)], scales.RATE) == pytest.approx((0.0, 0.1))
    assert scales.value_limits([fixed(0.5)], scales.RATE) == pytest.approx((0.45, 0.55))
    assert scales.value_limits([fixed(0.0)], scales.CORRELATION) == pytest.approx((-0.1, 0.1))
    spread = [Estimate(value=0.2, low=0.1, high=0.3, n=9), Estimate(value=0.6, low=0.5, high=0.7, n=9)]
    assert scales.value_limits(spread, scales.RATE) == pytest.approx((0.1 - 0.048, 0.7 + 0.048))
    assert scales.value_limits([], scales.RATE) == scales.RATE


def test_axis_limits_always_hold_the_data_and_never_leave_the_bounds() -> None:
    rng = np.random.default_rng(3)
    for _ in range(500):
        bounds = scales.RATE if rng.random() < 0.5 else scales.CORRELATION
        values = rng.uniform(*bounds, size=int(rng.integers(1, 6)))
        if rng.random() < 0.3:
            values[:] = rng.choice([bounds[0], bounds[1], 0.5])  # all equal, often at an edge
        estimates = [fixed(float(v)) for v in values]
        low, high = scales.value_limits(estimates, bounds)
        assert bounds[0] <= low < high <= bounds[1]
        assert low <= values.min() and values.max() <= high
        assert high - low >= (bounds[1] - bounds[0]) * 0.1 - 1e-12


def test_nothing_to_show_is_equal_values_without_spread() -> None:
    assert scales.nothing_to_show([fixed(0.0), fixed(0.0)])
    assert not scales.nothing_to_show([fixed(0.0)])  # one row is still a row
    assert not scales.nothing_to_show([fixed(0.0), fixed(0.01)])
    assert not scales.nothing_to_show([Estimate(value=0.5, low=0.4, high=0.6, n=9), fixed(0.5)])


def css_colours() -> dict[str, dict[str, str]]:
    """The light and dark values of report.css's colour variables."""
    css = CSS.read_text(encoding="utf-8")
    light_block = css[css.index(":root {") : css.index("}", css.index(":root {"))]
    dark_start = css.index(":root {", css.index("prefers-color-scheme: dark"))
    dark_block = css[dark_start : css.index("}", dark_start)]
    pattern = re.compile(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})")
    return {"light": dict(pattern.findall(light_block)), "dark": dict(pattern.findall(dark_block))}


def relative_luminance(hex_colour: str | tuple[float, ...]) -> float:
    """WCAG 2.x relative luminance."""
    channels = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)] if isinstance(hex_colour, str) else list(hex_colour)
    linear = [(c / 255) / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(one: str | tuple[float, ...], two: str | tuple[float, ...]) -> float:
    a, b = sorted((relative_luminance(one), relative_luminance(two)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_every_heatmap_shade_keeps_its_number_at_aa_contrast_in_both_themes() -> None:
    opacities = sorted({scales.cell_opacity(count, 97) for count in range(98)})
    assert opacities[0] == scales.FAINTEST and opacities[-1] == scales.STRONGEST
    assert not any(scales.TEXT_SWITCH <= o < scales.STRONG for o in opacities)  # the unreadable band is skipped
    counts = [scales.cell_opacity(count, 10) for count in range(11)]
    assert counts == sorted(counts)  # more items, never a lighter cell
    for theme, colours in css_colours().items():
        heat = [int(colours["plot-heat"][i : i + 2], 16) for i in (1, 3, 5)]
        page = [int(colours["bg"][i : i + 2], 16) for i in (1, 3, 5)]
        for opacity in opacities:
            cell = tuple(opacity * h + (1 - opacity) * p for h, p in zip(heat, page, strict=True))
            text = colours["plot-on-heat"] if scales.on_strong_cell(opacity) else colours["plot-fg"]
            assert contrast_ratio(text, cell) >= 4.5, (theme, opacity)
        strongest = tuple(scales.STRONGEST * h + (1 - scales.STRONGEST) * p for h, p in zip(heat, page, strict=True))
        assert contrast_ratio(colours["plot-fg"], strongest) < 4.5  # why the text colour has to change


# Score scales, plurals, call counts ------------------------------------------------------------------


def human_facts(*scores: float) -> list[ItemFacts]:
    return [
        ItemFacts(str(i), "pointwise", None, score, None, None, None, None, 10, 0) for i, score in enumerate(scores)
    ]


def test_score_scales_put_judge_and_human_scores_on_one_range() -> None:
    summeval = ScoreScales.of((1.0, 10.0), human_facts(1.0, 2.33, 5.0))
    assert summeval.human == (1.0, 5.0) and not summeval.same and summeval.comparable
    # 4 on 1-10 is 3/9 of the way up; 1.33 on 1-5 is 0.33/4: the judge sits 25 points higher.
    assert summeval.gap(4.0, 1.33) == pytest.approx(3 / 9 - 0.33 / 4)
    assert (
        summeval.describe()
        == "Human scores run from 1 to 5 in this data, taken as their scale; the judge scores on 1–10."
    )
    one_scale = ScoreScales.of((1.0, 5.0), human_facts(2.0, 5.0))
    assert one_scale.same and one_scale.gap(4.0, 2.0) == 2.0
    assert "is in score points" in one_scale.describe_gap()
    constant = ScoreScales.of((1.0, 10.0), human_facts(3.0, 3.0))
    assert not constant.comparable and constant.gap(4.0, 3.0) is None  # a human range of zero width
    assert ScoreScales.of(None, human_facts(1.0, 5.0)).gap(4.0, 3.0) is None
    assert ScoreScales.of((1.0, 10.0), []).describe() == ""


def test_the_pointwise_item_table_states_both_scales_and_subtracts_shares(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    run_dir, _ = report_runs.shared_run("pointwise", tmp_path_factory.getbasetemp())
    html = render_run_report(run_dir)
    assert "Human scores run from 1 to 5 in this data, taken as their scale; the judge scores on 1–10." in html
    items = table_starting_with(read_page(html), "open")
    header = items[0]
    assert header[1:] == [
        "id", "category", "model", "score (1–10)", "human (1–5)", "judge − human (% of scale)", "length", "status"
    ]  # fmt: skip
    humans = {json.loads(line)["id"]: json.loads(line)["human_score"] for line in (run_dir / "items.jsonl").open()}
    judged = {json.loads(line)["item_id"]: json.loads(line)["score"] for line in (run_dir / "judgments.jsonl").open()}
    rows = [row for row in items[1:] if len(row) == len(header)]
    assert len(rows) == len(humans)
    for row in rows:
        expected = round(((judged[row[1]] - 1) / 9 - (humans[row[1]] - 1) / 4) * 100)
        assert row[6] == (f"{expected:+d}" if expected else "0"), row


def test_counts_read_as_a_person_says_them() -> None:
    assert [plural(1, "win"), plural(0, "loss"), plural(2, "tie"), plural(1, "loss")] == [
        "1 win",
        "0 losses",
        "2 ties",
        "1 loss",
    ]
    assert _call_rows(390, 10, 0, 392) == [
        ["judge calls", "400 (390 made, 10 from the cache)"],
        ["requests sent", "392 (the calls made, retries included)"],
    ]


def test_the_manifest_adds_cached_calls_to_the_calls_made(tmp_path: Path) -> None:
    data = str(report_runs.BUNDLED / "demo" / "pointwise.jsonl")
    for out in ("first", "second"):  # the second run finds every call in the cache
        result = runner.invoke(app, ["eval", data, "-j", "mock/first", "-q", "--out", out, "--html", f"{out}.html"])
        assert result.exit_code == 0, result.output
    manifest = dict(
        row for row in table_starting_with(read_page(Path("second.html").read_text()), "run id") if len(row) == 2
    )
    assert manifest["judge calls"] == "40 (0 made, 40 from the cache)"
    assert manifest["requests sent"] == "0 (the calls made, retries included)"


def test_an_all_unscored_run_shows_every_card_with_a_dash() -> None:
    data = str(report_runs.BUNDLED / "demo" / "pairwise.jsonl")
    result = runner.invoke(
        app, ["eval", data, "-j", "mock/unparseable", "--positions", "swap", "-q", "--html", "u.html"]
    )
    assert result.exit_code == 3, result.output  # no verdict at all: never exit 0, but the page is written
    cards: dict[str, Any] = read_page(Path("u.html").read_text()).cards
    for key in ("win_rate", "length_controlled", "agreement", "agreement_without_ties", "kappa", "p_first"):
        assert cards[key]["card-value"] == "–", key
    assert cards["flip_rate"]["card-value"] == "–" and cards["p_longer"]["card-value"] == "–"
    assert cards["win_rate"]["card-note"] == "0 wins, 0 losses, 0 ties"
    assert cards["length_controlled"]["card-note"] == "no scored item to fit"
