"""The offline labelling page driven by key presses in headless Chromium, as a labeller would.

Labels a few items of a planned sample with 1 / 2 / 3, reloads the page and finds them kept,
closes the tab and finds them in a new one, exports with `e`, merges the download with
`judgekit labels merge` and gets the same labels back, mapped to the data's A / B although the
page showed the answers in a shuffled order. Where the browser keeps nothing (no IndexedDB, a
full quota) the page says so and the export still holds every label.

These tests need Debian's chromium and chromium-driver (`.ci/run` installs them). Without them
they skip, unless JUDGEKIT_REQUIRE_BROWSER=1, where they fail instead.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


def _open(browser: Browser, page: Path, downloads: Path, *, storage: str = "saved") -> None:
    browser.driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    browser.open(page)
    assert _settled(browser) == storage
    assert browser.errors() == [], "the page logged console errors"
    assert browser.run("return performance.getEntriesByType('resource').length;") == 0


def _settled(browser: Browser) -> str:
    """The page's storage state once no write is pending: "saved", or "off" where the browser keeps nothing.

    The page marks a label saved only when its IndexedDB transaction completes; a person closing
    the tab sees "saving…" turn to "saved" first, and the test waits for the same sign.
    """
    for _ in range(300):
        state = str(browser.run("return document.body.dataset.storage;"))
        if state in ("saved", "off"):
            return state
        time.sleep(0.1)
    raise AssertionError(f"the page is still {state!r}: {browser.text()}")


def _saved_note(browser: Browser) -> str:
    return str(browser.run("return document.getElementById('current-saved').textContent;"))


def _download(folder: Path, name: str) -> Path:
    target = folder / name
    for _ in range(100):  # the browser writes the file a moment after the key press
        if target.is_file() and not list(folder.glob("*.crdownload")):
            return target
        time.sleep(0.1)
    raise AssertionError(f"no {name} in {sorted(p.name for p in folder.iterdir())}")


def _pairwise_plan(tmp_path: Path, topic: str = "") -> tuple[Path, Path]:
    """A plan of 6 of 8 items; another topic gives other texts, so a page of its own in the browser's storage."""
    rows = [
        {
            "id": f"q{index}",
            "question": f"Question {index}? {topic}{HOSTILE}",
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

    # Reload once the page says every label is saved (its IndexedDB transactions completed).
    assert _settled(browser) == "saved"
    browser.driver.refresh()  # a reloaded tab keeps the labels and the place
    assert _settled(browser) == "saved"
    state = _state(browser)
    assert (state["progress"], state["position"]) == ("4 of 6 labelled", "item 5 of 6")
    _press(browser, "k")  # back to item 4: its label came back from the browser's storage
    assert _saved_note(browser) == "saved"
    _press(browser, "x")  # ...and clear it
    assert _state(browser)["progress"] == "3 of 6 labelled"
    last = _state(browser)["question"].split("?")[0].removeprefix("Question ")
    del expected[f"q{last}"]
    assert _settled(browser) == "saved"

    # Close the tab and open the page in a new one (same browser, same profile): nothing is lost.
    first_tab = browser.driver.current_window_handle
    browser.driver.switch_to.new_window("tab")
    second_tab = browser.driver.current_window_handle
    browser.driver.switch_to.window(first_tab)
    browser.driver.close()
    browser.driver.switch_to.window(second_tab)
    _open(browser, page, downloads)
    state = _state(browser)
    assert (state["progress"], state["position"]) == ("3 of 6 labelled", "item 4 of 6")
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
    assert _settled(browser) == "saved"
    browser.driver.refresh()
    assert _settled(browser) == "saved"
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


@contextmanager
def _own_tab(browser: Browser) -> Iterator[None]:
    """A new tab for one test (scripts injected into it stay there), closed afterwards."""
    home = browser.driver.current_window_handle
    browser.driver.switch_to.new_window("tab")
    own = browser.driver.current_window_handle
    try:
        yield
    finally:
        browser.driver.switch_to.window(own)
        browser.driver.close()
        browser.driver.switch_to.window(home)


def _page(tmp_path: Path) -> tuple[Path, Path, Path]:
    _, plan = _pairwise_plan(tmp_path, topic=tmp_path.name)
    page = tmp_path / "labels.html"
    assert runner.invoke(app, ["labels", "page", str(plan), "-o", str(page)]).exit_code == 0
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    return plan, page, downloads


def _exported_labels(downloads: Path) -> list[str | None]:
    rows = map(json.loads, _download(downloads, "plan.labelled.jsonl").read_text().splitlines())
    return [row["human_label"] for row in rows]


def test_without_storage_the_page_warns_and_still_exports(browser: Browser, tmp_path: Path) -> None:
    _, page, downloads = _page(tmp_path)
    with _own_tab(browser):
        denied = "IDBFactory.prototype.open = () => { throw new DOMException('denied here', 'SecurityError'); };"
        browser.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": denied})
        _open(browser, page, downloads, storage="off")
        assert "This browser is not keeping your labels (SecurityError: denied here)" in browser.text()
        _press(browser, "3", "k")
        assert _state(browser)["current"] == "tie" and _saved_note(browser) == "not saved in this browser"
        _press(browser, "e")
        assert _exported_labels(downloads) == ["tie"] + [None] * 5


def test_a_write_the_browser_refuses_is_shown_not_saved(tmp_path: Path) -> None:
    _, page, downloads = _page(tmp_path)
    # A browser of its own: Chromium applies a quota set before the profile first opens the store.
    with headless_browser() as browser:
        quota = {"origin": "file://", "quotaSize": 1}  # a real QuotaExceededError from the browser
        browser.driver.execute_cdp_cmd("Storage.overrideQuotaForOrigin", quota)
        _open(browser, page, downloads)  # opening and reading need no room
        _press(browser, "3")
        assert _settled(browser) == "off"
        assert "This browser is not keeping your labels (its storage for this page is full)" in browser.text()
        _press(browser, "k")
        assert _saved_note(browser) == "not saved in this browser"
        _press(browser, "e")
        assert _exported_labels(downloads) == ["tie"] + [None] * 5
        assert browser.errors() == []


def _leave_in_local_storage(browser: Browser, tmp_path: Path, key: str, value: str) -> None:
    """What an older page left in localStorage, set from a blank page of the same (file://) origin.

    localStorage confirms no write: a document loaded just after `setItem` may still read the
    store without it (Chromium under load, the very gap the page left localStorage for), so the
    blank page is reloaded until a fresh document sees the value.
    """
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><title>blank</title>", encoding="utf-8")
    browser.open(blank)
    browser.run("localStorage.setItem(arguments[0], arguments[1]);", key, value)
    for _ in range(100):
        browser.driver.refresh()
        if browser.run("return localStorage.getItem(arguments[0]);", key) == value:
            return
        time.sleep(0.1)
    raise AssertionError("a fresh document never saw the localStorage value")


def test_labels_an_older_page_kept_in_local_storage_move_over_once(browser: Browser, tmp_path: Path) -> None:
    plan, page, downloads = _page(tmp_path)
    done = runner.invoke(app, ["labels", "page", str(plan), "-o", str(page), "--format", "json"])
    key = json.loads(done.stdout)["storage_key"]
    ids = [json.loads(line)["id"] for line in plan.read_text().splitlines()]
    with _own_tab(browser):
        old = {"labels": {ids[0]: "B", ids[1]: "tie"}, "at": 2}
        _leave_in_local_storage(browser, tmp_path, key, json.dumps(old))
        _open(browser, page, downloads)
        assert (_state(browser)["progress"], _state(browser)["position"]) == ("2 of 6 labelled", "item 3 of 6")
        assert browser.run("return localStorage.getItem(arguments[0]);", key) is None  # moved, not copied
        browser.driver.refresh()
        assert _settled(browser) == "saved" and _state(browser)["progress"] == "2 of 6 labelled"
        _press(browser, "e")
        assert _exported_labels(downloads) == ["B", "tie"] + [None] * 4


# Holds a write transaction on the labels' store from another tab, so the page's own writes wait
# behind it (IndexedDB runs overlapping readwrite transactions one after the other).
HOLD_THE_STORE = """
const done = arguments[arguments.length - 1];
const request = indexedDB.open("judgekit-labels", 1);
request.onsuccess = () => {
  const store = request.result.transaction(["labels", "places"], "readwrite").objectStore("labels");
  const keepBusy = () => { if (!window.released) store.get(0).onsuccess = keepBusy; };
  keepBusy();
  done("held");
};
request.onerror = () => done(String(request.error));
"""


def test_a_label_reads_saved_only_once_its_write_completes(browser: Browser, tmp_path: Path) -> None:
    plan = write_jsonl(
        tmp_path / "plan.jsonl",
        [{"id": index, "question": "Held?", "answer": f"answer {index}", "human_score": None} for index in range(3)],
    )
    page = tmp_path / "held.html"
    assert runner.invoke(app, ["labels", "page", str(plan), "-o", str(page)]).exit_code == 0
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    _open(browser, page, downloads)  # loaded (its read would wait behind the held store too)
    home = browser.driver.current_window_handle
    with _own_tab(browser):
        holder = browser.driver.current_window_handle
        _open(browser, page, downloads)
        assert browser.driver.execute_async_script(HOLD_THE_STORE) == "held"
        browser.driver.switch_to.window(home)
        _press(browser, "7", "\ue007", "k")
        assert browser.run("return document.body.dataset.storage;") == "saving"
        assert _saved_note(browser) == "saving…" and "saving…" in browser.text()
        _press(browser, "j", "4", ".")  # a score half typed while the first write waits...
        browser.driver.switch_to.window(holder)
        browser.run("window.released = true;")
        browser.driver.switch_to.window(home)
        assert _settled(browser) == "saved"  # ...is still there when the write completes
        _press(browser, "5", "\ue007", "k")
        assert _settled(browser) == "saved" and _saved_note(browser) == "saved"
        assert _state(browser)["current"] == "4.5"
