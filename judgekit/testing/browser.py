"""Open pages in headless Chromium with its network cut off, for tests and screenshots.

Uses Debian's `chromium` and `chromedriver` (packages chromium and chromium-driver) through
selenium, given both paths so that Selenium Manager never tries to download a driver.
`JUDGEKIT_CHROMIUM` and `JUDGEKIT_CHROMEDRIVER` point elsewhere. Every request the browser
might make goes to a proxy on a closed local port and every host name fails to resolve, so a
page that needs the network shows it as console errors, which `Browser.errors` returns.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
DRIVER_NAMES = ("chromedriver",)
OFFLINE_FLAGS = (
    "--proxy-server=http://127.0.0.1:9",  # the discard port: nothing listens there
    "--proxy-bypass-list=<-loopback>",  # ...and not even loopback addresses skip the proxy
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pings",
)


def find_browser() -> tuple[str, str] | None:
    """(chromium, chromedriver) paths, or None when either is missing."""
    chromium = os.environ.get("JUDGEKIT_CHROMIUM") or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    driver = os.environ.get("JUDGEKIT_CHROMEDRIVER") or next(filter(None, map(shutil.which, DRIVER_NAMES)), None)
    if not chromium or not driver:
        return None
    return chromium, driver


class Browser:
    """One headless Chromium window. Use as a context manager, or call `close()`."""

    def __init__(self, *, width: int = 1280, height: int = 900) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        found = find_browser()
        if found is None:
            raise RuntimeError("chromium and chromedriver are needed: apt-get install chromium chromium-driver")
        chromium, driver = found
        self._profile = tempfile.mkdtemp(prefix="judgekit-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in (
            "--headless=new",
            "--no-sandbox",  # tests and CI run as root, where Chromium's sandbox cannot start
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--user-data-dir={self._profile}",
            f"--window-size={width},{height}",
            *OFFLINE_FLAGS,
        ):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver: Any = webdriver.Chrome(options=options, service=Service(executable_path=driver))

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self._profile, ignore_errors=True)

    def open(self, path: Path) -> None:
        """Load a local file and drop console messages left from earlier pages."""
        self.console()
        self.driver.get(Path(path).resolve().as_uri())

    def console(self) -> list[dict[str, Any]]:
        """Console messages since the last call (each a dict with level and message)."""
        entries: list[dict[str, Any]] = self.driver.get_log("browser")
        return entries

    def errors(self) -> list[str]:
        """Console errors since the last call: failed loads, CSP violations, uncaught exceptions."""
        return [entry["message"] for entry in self.console() if entry.get("level") == "SEVERE"]

    def run(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def text(self) -> str:
        """The page's rendered text (what a reader sees: hidden elements are left out)."""
        return str(self.run("return document.body.innerText;"))

    def click(self, selector: str) -> None:
        from selenium.webdriver.common.by import By

        self.driver.find_element(By.CSS_SELECTOR, selector).click()

    def type(self, selector: str, text: str) -> None:
        from selenium.webdriver.common.by import By

        element = self.driver.find_element(By.CSS_SELECTOR, selector)
        element.clear()
        element.send_keys(text)

    def emulate(self, *, width: int | None = None, height: int = 900, dark: bool | None = None) -> None:
        """Emulate a screen width (a phone: 390) and light or dark mode for the current tab."""
        if width is not None:
            self.driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 700},
            )
        if dark is not None:
            scheme = "dark" if dark else "light"
            self.driver.execute_cdp_cmd(
                "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
            )

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        """A PNG of the viewport, or of the whole page."""
        import base64

        options: dict[str, Any] = {"format": "png"}
        if full_page:
            metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
            size = metrics["cssContentSize"]
            options.update(
                captureBeyondViewport=True,
                clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
            )
        data = self.driver.execute_cdp_cmd("Page.captureScreenshot", options)["data"]
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)
