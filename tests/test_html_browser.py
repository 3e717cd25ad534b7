"""The HTML reports opened in headless Chromium with its network cut off, as a reader would.

Checked on each page: no console error (a failed load, a CSP violation or a script error would
be one), no network request at all, the summary's numbers in the rendered text, a screenshot
that is not blank; on the pairwise page, hostile answers shown as text and never run, and the
item table's search, filters, sorting and row opening; light, dark and narrow layouts.

These tests need Debian's chromium and chromium-driver (`.ci/run` installs them). Without them
they skip, unless JUDGEKIT_REQUIRE_BROWSER=1 (set by `.ci/run`), where they fail instead.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from judgekit.reporting.html import write_comparison_report, write_run_report
from judgekit.testing.browser import Browser
from tests import report_runs
from tests.browsers import headless_browser
from tests.test_html_report import comparison

PWNED_CHECK = "return [document.title, window.judgekitPwned === undefined ? null : window.judgekitPwned];"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with headless_browser() as opened:
        opened.emulate(width=1280)  # a 1280 x 900 viewport from the first test on (the window's is smaller)
        yield opened


@pytest.fixture(scope="module")
def pairwise(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A pairwise run and its report (made once for the module)."""
    run_dir, summary = report_runs.shared_run("pairwise", tmp_path_factory.getbasetemp())
    return write_run_report(run_dir, tmp_path_factory.mktemp("pages") / "pairwise.html"), summary


@pytest.fixture
def page(browser: Browser) -> Iterator[Browser]:
    """The shared browser, reset to a desktop-sized light screen after each test."""
    yield browser
    browser.emulate(width=1280, dark=False)


def open_clean(browser: Browser, path: Path) -> None:
    browser.open(path)
    assert browser.errors() == [], "the page logged console errors"
    resources = browser.run("return performance.getEntriesByType('resource').map(e => e.name);")
    assert resources == [], f"the page requested {resources}"


def check_screenshot(browser: Browser, path: Path) -> None:
    from PIL import Image

    browser.screenshot(path)
    with Image.open(path) as image:
        assert image.size == (1280, 900)
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 50, "the screenshot looks blank"
    keep = os.environ.get("JUDGEKIT_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / path.name).write_bytes(path.read_bytes())


def card_text(browser: Browser, key: str) -> dict[str, str]:
    script = """
        const card = document.querySelector(`.card[data-key="${arguments[0]}"]`);
        const out = {};
        for (const part of card.children) out[part.className] = part.innerText;
        return out;
    """
    result: dict[str, str] = browser.run(script, key)
    return result


def check_card(browser: Browser, key: str, estimate: dict[str, Any], *, percent: bool, digits: int = 3) -> None:
    value, interval = report_runs.expected_estimate(estimate, percent=percent, digits=digits)
    card = card_text(browser, key)
    assert card["card-value"] == value, key
    assert card["card-ci"] == f"95% CI {interval}", key
    assert card["card-n"] == f"n = {estimate['n']}", key


def shown_ids(browser: Browser) -> list[str]:
    ids: list[str] = browser.run(
        "return [...document.querySelectorAll('#item-table tbody.item')]"
        ".filter(b => !b.hidden).map(b => b.rows[0].cells[1].innerText);"
    )
    return ids


def wait_for(browser: Browser, script: str, expected: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        value = browser.run(script)
        if value == expected or time.monotonic() > deadline:
            assert value == expected
            return
        time.sleep(0.05)


def test_the_harness_sees_network_use_and_script_execution(page: Browser, tmp_path: Path) -> None:
    """The checks below can fail: a page that reaches out or runs injected script is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><title>clean</title><img src='http://judgekit-test.invalid/pixel.png'>"
        "<script>document.title = 'changed'; window.judgekitPwned = 1; undefinedFunction();</script>",
        encoding="utf-8",
    )
    page.open(bad)
    errors = page.errors()
    assert any("undefinedFunction" in error for error in errors), errors
    assert any("judgekit-test.invalid" in error for error in errors), errors
    assert page.run(PWNED_CHECK) == ["changed", 1]


def test_pairwise_report_in_a_browser(page: Browser, pairwise: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    report, summary = pairwise
    open_clean(page, report)
    title = "judgekit report · pairwise · openai/judge-1"
    assert page.run(PWNED_CHECK) == [title, None]
    check_card(page, "win_rate", summary["pairwise"]["win_rate"], percent=True)
    check_card(page, "agreement", summary["human"]["agreement"], percent=True)
    check_card(page, "kappa", summary["human"]["kappa"], percent=False)
    check_card(page, "p_first", summary["bias"]["p_first"], percent=True)
    check_card(page, "flip_rate", summary["bias"]["flip_rate"], percent=True)
    check_card(page, "p_longer", summary["bias"]["p_longer"], percent=True)
    text = page.text()
    assert "1 of 14 items are unscored" in text  # the summary's warning
    # Three models: a win rate per model (from the summary's leaderboard where the run has one).
    for figure in ("outcomes", "by_category", "by_model, #figure-leaderboard", "confusion", "bias", "length"):
        box = page.run(
            f"return document.querySelector('#figure-{figure}').querySelector('svg').getBoundingClientRect().width;"
        )
        assert box > 200, f"figure {figure} is not drawn at a readable size"
    check_screenshot(page, tmp_path / "pairwise-top.png")

    # The hostile item: opened, every hostile text is visible as written, and nothing ran.
    assert report_runs.SCRIPT_ANSWER not in page.text()  # closed rows hide their texts
    page.type("#item-search", "PWNED by an answer")
    wait_for(page, "return document.getElementById('item-count').innerText;", "1 of 14 items")
    assert shown_ids(page) == [report_runs.HOSTILE_ID]
    page.click("tbody.item:not([hidden]) button.expand")
    detail = page.run("return document.querySelector('tbody.item:not([hidden]) tr.detail').innerText;")
    for hostile in (
        report_runs.SCRIPT_ANSWER,
        report_runs.IMG_ANSWER,
        report_runs.HOSTILE_QUESTION,
        report_runs.JUDGE_SCRIPT,
    ):
        assert hostile in detail, hostile
    row = page.run("return document.querySelector('tbody.item:not([hidden]) tr.summary-row').innerText;")
    for hostile in (report_runs.HOSTILE_ID, report_runs.HOSTILE_CATEGORY, report_runs.HOSTILE_MODEL):
        assert hostile in row, hostile
    assert page.run(PWNED_CHECK) == [title, None]
    assert page.run("return document.querySelectorAll('script, img, i, b[onclick]').length;") == 1
    check_screenshot(page, tmp_path / "pairwise-hostile.png")

    # Filters: the unscored item; sorting: by length difference, numerically, both ways.
    page.type("#item-search", "")
    page.run("const s = document.querySelector('select[data-filter=status]'); s.value = 'unscored';"
             "s.dispatchEvent(new Event('change'));")  # fmt: skip
    assert shown_ids(page) == ["no-verdict"]
    page.run("const s = document.querySelector('select[data-filter=status]'); s.value = '';"
             "s.dispatchEvent(new Event('change'));")  # fmt: skip
    assert len(shown_ids(page)) == 14
    page.run("const s = document.querySelector('select[data-filter=agrees]'); s.value = 'no';"
             "s.dispatchEvent(new Event('change'));")  # fmt: skip
    assert shown_ids(page) == ["item-05"]  # the one item where the humans disagree with the judge
    page.run("const s = document.querySelector('select[data-filter=agrees]'); s.value = '';"
             "s.dispatchEvent(new Event('change'));")  # fmt: skip
    column = page.run(
        "return [...document.querySelectorAll('#item-table thead button.sort')].findIndex("
        "b => b.innerText.startsWith('length'));"
    )
    lengths_script = (
        "return [...document.querySelectorAll('#item-table tbody.item')]"
        f".map(b => Number(b.rows[0].cells[{column + 1}].innerText));"
    )
    before = page.run(lengths_script)
    assert before != sorted(before), "the data should not already be in length order"
    page.click(f"#item-table thead th:nth-child({column + 2}) button.sort")
    assert page.run(lengths_script) == sorted(before)
    page.click(f"#item-table thead th:nth-child({column + 2}) button.sort")
    assert page.run(lengths_script) == sorted(before, reverse=True)


def test_pairwise_report_in_dark_mode_and_on_a_phone(
    page: Browser, pairwise: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    open_clean(page, pairwise[0])
    colours = "return [getComputedStyle(document.body).backgroundColor, getComputedStyle(document.querySelector('svg.plot text')).fill];"
    light = page.run(colours)
    page.emulate(dark=True)
    dark = page.run(colours)
    assert light == ["rgb(255, 255, 255)", "rgb(28, 33, 40)"]
    assert dark == ["rgb(15, 20, 25)", "rgb(230, 237, 243)"]  # plot text follows the theme
    check_screenshot(page, tmp_path / "pairwise-dark.png")
    page.emulate(width=390, dark=False)
    overflow = page.run("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
    assert overflow <= 0, "the page scrolls sideways on a phone"
    card = page.run("return document.querySelector('.card').getBoundingClientRect().width;")
    assert 300 <= card <= 390  # cards stack one per line
    assert page.errors() == []


def test_pointwise_report_with_human_scores_in_a_browser(
    page: Browser, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    run_dir, summary = report_runs.shared_run("pointwise", tmp_path_factory.getbasetemp())
    report = write_run_report(run_dir, tmp_path / "pointwise.html")
    open_clean(page, report)
    check_card(page, "mean", summary["pointwise"]["mean"], percent=False, digits=2)
    for name in ("spearman", "kendall", "pearson"):
        check_card(page, name, summary["human"][name], percent=False)
    text = page.text()
    assert "Judge score against human score" in text
    assert "Mean score by model" in text and "model-x" in text
    cross = page.run(
        "return [...document.querySelectorAll('table.data')].find(t => t.rows[0].cells[0].innerText === "
        "'human \\\\ judge').innerText;"
    )
    assert "human \\ judge" in cross
    check_screenshot(page, tmp_path / "pointwise-top.png")


def test_comparison_report_in_a_browser(page: Browser, tmp_path: Path) -> None:
    report = write_comparison_report(comparison(), tmp_path / "comparison.html")
    open_clean(page, report)
    text = page.text()
    assert "The best row is not significantly better than the runner-up (paired bootstrap, p = 0.41)." in text
    first = page.run("return document.querySelector('table.data tbody tr').innerText;")
    assert first.split("\t")[:3] == ["<b>mine</b>.jinja · anthropic/big", "1", "81.0% [76.0,\u00a086.0]"]
    assert card_text(page, "best")["card-value"] == "81.0%"
    assert page.run("return document.querySelectorAll('svg.plot').length;") == 2
    check_screenshot(page, tmp_path / "comparison-top.png")
