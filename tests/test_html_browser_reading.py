"""The HTML reports as a person reads them, measured in headless Chromium (network cut off).

The pages of a pairwise run, a pointwise run with human scores, an all-unscored run and a
comparison, opened at 400 px and 1,400 px in light and dark mode: nothing sticks out sideways,
rate axes stay within 0-100%, every number on a heatmap cell has a 4.5:1 contrast computed from
the colours the browser rendered, mock runs carry a banner, and the item table's search and
stripes follow what is shown. (tests/test_html_browser.py covers content, escaping and controls.)
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from judgekit.reporting.html import write_compare_dir_report, write_comparison_report, write_run_report
from judgekit.reporting.html.comparison import ComparedRow, ComparisonReport, Metric
from judgekit.stats.intervals import Estimate
from judgekit.testing.browser import Browser
from tests import report_runs
from tests.browsers import headless_browser
from tests.test_html_report import compare_json

WIDTHS = (400, 1400)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with headless_browser(width=1400) as opened:
        yield opened


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The four kinds of page, written once for the module."""
    base = tmp_path_factory.getbasetemp()
    folder = tmp_path_factory.mktemp("reading")
    pairwise, _ = report_runs.shared_run("pairwise", base)
    pointwise, _ = report_runs.shared_run("pointwise", base)
    unscored = report_runs.mock_run(folder / "unscored", "mock/unparseable", positions="swap")
    mock = report_runs.mock_run(folder / "mock", "mock/random", positions="swap")
    compare_dir = folder / "compare"
    compare_dir.mkdir()
    (compare_dir / "compare.json").write_text(json.dumps(compare_json()), encoding="utf-8")
    return {
        "pairwise": write_run_report(pairwise, folder / "pairwise.html"),
        "pointwise": write_run_report(pointwise, folder / "pointwise.html"),
        "unscored": write_run_report(unscored, folder / "unscored.html"),
        "mock": write_run_report(mock, folder / "mock.html"),
        "comparison": write_compare_dir_report(compare_dir, folder / "comparison.html"),
        "mock-comparison": write_comparison_report(mock_comparison(), folder / "mock-comparison.html"),
    }


def mock_comparison() -> ComparisonReport:
    """Two mock configurations with rates at the very ends of the scale (100% and 0% with no spread)."""

    def fixed(value: float) -> Estimate:
        return Estimate(value=value, low=value, high=value, n=200)

    rows = [
        ComparedRow(
            prompt="pairwise/verdict", judge="mock/first", metrics={"p_first": fixed(1.0), "agree": fixed(0.0)}
        ),
        ComparedRow(
            prompt="pairwise/scores",
            judge="mock/random",
            metrics={"p_first": Estimate(value=0.98, low=0.95, high=1.0, n=200), "agree": fixed(0.01)},
        ),
    ]
    return ComparisonReport(
        rows=rows,
        metrics=[
            Metric(key="agree", label="agreement", percent=True),
            Metric(key="p_first", label="P(first)", percent=True, group="bias"),
        ],
        primary="agree",
        significance="pairwise/scores · mock/random is significantly better than pairwise/verdict · mock/first",
    )


def show(browser: Browser, path: Path, *, width: int, dark: bool) -> None:
    browser.open(path)
    browser.emulate(width=width, dark=dark)
    assert browser.errors() == [], f"{path.name}: console errors"
    resources = browser.run("return performance.getEntriesByType('resource').map(e => e.name);")
    assert resources == [], f"{path.name} requested {resources}"


OVERFLOW = """
    const doc = document.documentElement, problems = [];
    if (doc.scrollWidth > doc.clientWidth) problems.push(`page ${doc.scrollWidth} px in ${doc.clientWidth} px`);
    if (document.body.scrollWidth > doc.clientWidth) problems.push(`body ${document.body.scrollWidth} px`);
    for (const svg of document.querySelectorAll('svg.plot')) {
        const wrap = svg.closest('.plot-wrap'), box = svg.getBoundingClientRect(), room = wrap.getBoundingClientRect();
        if (box.right > room.right + 0.5 || wrap.scrollWidth > wrap.clientWidth)
            problems.push(`plot ${svg.closest('figure').id}: ${box.width} px in ${room.width} px`);
    }
    if (arguments[0]) {  // wide screens: no table scrolls sideways either
        for (const wrap of document.querySelectorAll('.table-wrap'))
            if (wrap.scrollWidth > wrap.clientWidth)
                problems.push(`table ${wrap.innerText.slice(0, 40)}: ${wrap.scrollWidth} px in ${wrap.clientWidth} px`);
    }
    return problems;
"""


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("name", ["pairwise", "pointwise", "unscored", "comparison"])
def test_nothing_sticks_out_sideways_at_400_and_1400_px(
    browser: Browser, pages: dict[str, Path], name: str, dark: bool, tmp_path: Path
) -> None:
    for width in WIDTHS:
        show(browser, pages[name], width=width, dark=dark)
        assert browser.run(OVERFLOW, width >= 1000) == [], f"{name} at {width} px"
        assert browser.run("return document.documentElement.clientWidth;") == width
        keep = os.environ.get("JUDGEKIT_SCREENSHOT_DIR")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            browser.screenshot(Path(keep) / f"{name}-{width}-{'dark' if dark else 'light'}.png", full_page=True)


def test_the_overflow_check_can_fail(browser: Browser, tmp_path: Path) -> None:
    wide = tmp_path / "wide.html"
    wide.write_text(
        "<!DOCTYPE html><meta name=viewport content='width=device-width'><div style='width:900px'>x</div>"
        "<div class='plot-wrap' style='width:300px;overflow-x:auto'><svg class='plot' width='600' height='10'></svg>"
        "</div><figure id='f'></figure>",
        encoding="utf-8",
    )
    browser.open(wide)
    browser.emulate(width=400)
    problems = browser.run(OVERFLOW.replace("svg.closest('figure').id", "'svg'"), False)
    assert any(p.startswith("page") for p in problems) and any(p.startswith("plot") for p in problems)


def test_a_phone_keeps_the_model_and_agreement_columns_rather_than_status(
    browser: Browser, pages: dict[str, Path]
) -> None:
    visible = (
        "return [...document.querySelectorAll('#item-table thead th:not(.toggle-col)')]"
        ".filter(th => getComputedStyle(th).display !== 'none').map(th => th.innerText.trim()).filter(Boolean);"
    )
    show(browser, pages["pairwise"], width=400, dark=False)
    assert browser.run(visible) == ["id", "models", "verdict", "human", "agrees"]
    show(browser, pages["pairwise"], width=1400, dark=False)
    assert browser.run(visible)[-1] == "status"
    show(browser, pages["pointwise"], width=400, dark=False)
    assert browser.run(visible) == ["id", "model", "score (1–10)", "human (1–5)"]


TICKS = """
    const out = [];
    for (const svg of document.querySelectorAll('svg.plot'))
        for (const text of svg.querySelectorAll('g[id*="tick_"] text'))
            out.push([svg.closest('figure').id, text.textContent.trim()]);
    return out;
"""


def percent_ticks(browser: Browser) -> dict[str, list[float]]:
    ticks: dict[str, list[float]] = {}
    for figure, label in browser.run(TICKS):
        if label.endswith("%"):
            ticks.setdefault(figure, []).append(float(label[:-1].replace("−", "-")))
    return ticks


@pytest.mark.parametrize("name", ["pairwise", "mock", "comparison", "mock-comparison"])
def test_rate_axes_stay_within_0_and_100_percent(browser: Browser, pages: dict[str, Path], name: str) -> None:
    show(browser, pages[name], width=1400, dark=False)
    ticks = percent_ticks(browser)
    assert ticks, "the page has rate plots"
    for figure, values in ticks.items():
        assert min(values) >= 0 and max(values) <= 100, f"{figure}: {values}"
    if name == "mock-comparison":
        # 100% for one configuration, 98% [95, 100] for the other: the axis ends at 100%, not 104%.
        assert max(ticks["figure-metric1"]) == 100
        assert "agreement: 0.0% for" not in browser.text()  # 0% and 1%: still something to show


def test_the_flip_rate_has_its_own_axis_with_0_percent_marked_ideal(browser: Browser, pages: dict[str, Path]) -> None:
    show(browser, pages["mock"], width=1400, dark=False)
    legends = browser.run(
        "return Object.fromEntries(['figure-bias', 'figure-flip_rate'].map(id => [id, "
        "[...document.getElementById(id).querySelectorAll('g[id*=legend] text')].map(t => t.textContent)]));"
    )
    assert legends == {
        "figure-bias": ["50%: no preference (ideal)"],
        "figure-flip_rate": ["0%: ideal (the same verdict in both orders)"],
    }
    rows = browser.run(
        "return [...document.querySelectorAll('#figure-bias g[id*=ytick] text')].map(t => t.textContent);"
    )
    assert not any("Flip" in row for row in rows)
    # The legend is under the plot, not over its bars: below the x axis's tick labels.
    below = browser.run(
        """
        const figure = document.getElementById('figure-bias');
        const legend = figure.querySelector('g[id*=legend]').getBoundingClientRect();
        const ticks = [...figure.querySelectorAll('g[id*=xtick] text')].map(t => t.getBoundingClientRect().bottom);
        const bars = [...figure.querySelectorAll('path[style*="fill: var(--plot-accent)"]')]
            .map(p => p.getBoundingClientRect().bottom);
        return [legend.top, Math.max(...ticks), Math.max(...bars), bars.length];
        """
    )
    assert below[0] >= below[1] >= below[2] and below[3] == 2, below


def luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG 2 relative luminance of an sRGB colour (0-255 channels)."""

    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: tuple[float, float, float], two: tuple[float, float, float]) -> float:
    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def rgb(css: str) -> tuple[float, float, float]:
    numbers = [float(x) for x in re.findall(r"[\d.]+", css)[:3]]
    return numbers[0], numbers[1], numbers[2]


HEATMAP = """
    const page = getComputedStyle(document.body).backgroundColor, out = [];
    for (const label of document.querySelectorAll('svg.plot g[id*="heat-text-"]')) {
        const cell = document.getElementById(label.id.replace('heat-text-', 'heat-')).querySelector('path');
        const style = getComputedStyle(cell);
        out.push([label.id, label.textContent.trim(), style.fill, Number(style.opacity),
                  getComputedStyle(label.querySelector('text')).fill, getComputedStyle(document.body).color, page]);
    }
    return out;
"""


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_heatmap_numbers_have_aa_contrast_on_their_rendered_cells(
    browser: Browser, pages: dict[str, Path], dark: bool
) -> None:
    weakest_page_text = 21.0
    for name in ("pairwise", "pointwise", "mock"):
        show(browser, pages[name], width=1400, dark=dark)
        cells = browser.run(HEATMAP)
        assert cells, f"{name}: the page has a count matrix"
        for key, number, fill, opacity, text, page_text, page in cells:
            background = rgb(page)
            shade = tuple(opacity * f + (1 - opacity) * b for f, b in zip(rgb(fill), background, strict=True))
            ratio = contrast(rgb(text), shade)  # type: ignore[arg-type]
            assert ratio >= 4.5, f"{name} {key} ({number}): {ratio:.2f}:1"
            weakest_page_text = min(weakest_page_text, contrast(rgb(page_text), shade))  # type: ignore[arg-type]
    # The check has teeth: the page's own text colour would fail on the strongest cells.
    assert weakest_page_text < 4.5


def test_mock_runs_carry_a_banner_and_claim_no_winner(browser: Browser, pages: dict[str, Path]) -> None:
    banner = (
        "const b = document.getElementById('banner');"
        "return [b ? b.innerText : null, b ? b.getBoundingClientRect().top : null];"
    )
    for name in ("mock", "unscored"):
        for width in WIDTHS:
            show(browser, pages[name], width=width, dark=False)
            text, top = browser.run(banner)
            assert text.startswith("Not a real evaluation. Mock judge (mock/"), text
            assert "no model was called" in text and top < 60  # the first thing on the page
    show(browser, pages["pairwise"], width=1400, dark=False)
    assert browser.run(banner) == [None, None]  # a real judge: no banner
    show(browser, pages["mock-comparison"], width=1400, dark=True)
    text, _ = browser.run(banner)
    assert "mock/first, mock/random" in text
    labels = browser.run("return [...document.querySelectorAll('.card-label')].map(l => l.innerText);")
    assert labels[0].startswith("Ranked first (mock judge)") and not any(label.startswith("Best") for label in labels)
    assert "Mock judges call no model: no difference between them means anything." in browser.text()


def visible_rows(browser: Browser) -> list[list[str]]:
    rows: list[list[str]] = browser.run(
        "return [...document.querySelectorAll('#item-table tbody.item')].filter(b => !b.hidden).map(b => "
        "[b.rows[0].cells[1].innerText, b.querySelector('td[class*=verdict]')?.innerText ?? '', "
        "getComputedStyle(b.rows[0]).backgroundColor]);"
    )
    return rows


def search(browser: Browser, text: str) -> None:
    """Type into the search box as a reader would (an emptied box fires `input` too)."""
    browser.run(
        "const box = document.getElementById('item-search'); box.value = arguments[0];"
        "box.dispatchEvent(new Event('input'));",
        text,
    )


def wait_for_count(browser: Browser, expected: str) -> None:
    deadline = time.monotonic() + 5
    while browser.run("return document.getElementById('item-count').innerText;") != expected:
        assert time.monotonic() < deadline, expected
        time.sleep(0.05)


def alternate(colours: list[str]) -> bool:
    return all(one != two for one, two in itertools.pairwise(colours))


def test_search_matches_the_items_not_the_labels_and_stripes_follow_the_rows_shown(
    browser: Browser, pages: dict[str, Path]
) -> None:
    show(browser, pages["mock"], width=1400, dark=False)
    run_dir = pages["mock"].parent / "mock" / "run"
    summary = json.loads((run_dir / "summary.json").read_text())
    texts: dict[str, str] = {}
    for line in (run_dir / "items.jsonl").open():
        item = json.loads(line)
        texts[item["id"]] = json.dumps(item).lower()
    for line in (run_dir / "judgments.jsonl").open():
        row = json.loads(line)
        texts[row["item_id"]] += json.dumps((row.get("completion") or {}).get("texts")).lower()
    rows = visible_rows(browser)
    ties = {item for item, verdict, _ in rows if verdict == "tie"}
    assert len(ties) == summary["pairwise"]["ties"] > 0
    search(browser, "tie")
    expected = ties | {item for item, text in texts.items() if "tie" in text}
    wait_for_count(browser, f"{len(expected)} of {len(rows)} items")
    assert {item for item, _, _ in visible_rows(browser)} == expected
    search(browser, "shown first")  # every item's call headings say "A shown first"
    wait_for_count(browser, f"0 of {len(rows)} items")
    search(browser, "")
    wait_for_count(browser, f"{len(rows)} items")
    assert alternate([colour for _, _, colour in visible_rows(browser)])
    browser.run(
        "const s = document.querySelector('select[data-filter=verdict]'); s.value = 'B';"
        "s.dispatchEvent(new Event('change'));"
    )
    shown = visible_rows(browser)
    assert len(shown) == summary["pairwise"]["wins_b"] > 2 and {verdict for _, verdict, _ in shown} == {"B"}
    assert alternate([colour for _, _, colour in shown]), "two shaded rows together after filtering"
    browser.click("#item-table thead th:nth-child(2) button.sort")
    assert alternate([colour for _, _, colour in visible_rows(browser)]), "two shaded rows together after sorting"
