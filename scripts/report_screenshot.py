"""Make docs/report.png, the README's picture of an HTML report.

Usage: python scripts/report_screenshot.py [OUT.png]

It judges the bundled MT-Bench sample with the offline mock judge (mock/random, both orders),
writes the HTML report, opens it in headless Chromium (network off) and keeps two parts of the
page: the header with the headline numbers, and the bias section with its two plots. Needs
Debian's chromium and chromium-driver.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDTH = 1100
SHOWN_WIDTH = 900


def main(out: Path) -> int:
    from PIL import Image

    from judgekit.testing.browser import Browser

    with tempfile.TemporaryDirectory() as work:
        report = Path(work) / "report.html"
        command = [
            sys.executable, "-m", "judgekit", "eval", "datasets/mt_bench_human_200.jsonl",
            "--judge", "mock/random", "--positions", "swap", "--out", str(Path(work) / "run"),
            "--no-cache", "-q", "--html", str(report),
        ]  # fmt: skip
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        with Browser(width=WIDTH, height=900) as browser:
            browser.open(report)
            errors = browser.errors()
            if errors:
                print("console errors:", *errors, sep="\n  ", file=sys.stderr)
                return 1
            full = Path(work) / "full.png"
            browser.screenshot(full, full_page=True)
            parts = browser.run(
                """
                const box = (el) => { const r = el.getBoundingClientRect();
                    return [Math.floor(r.top + scrollY), Math.ceil(r.bottom + scrollY)]; };
                const summary = document.getElementById('summary');
                return [[0, box(summary.querySelector('.cards'))[1] + 12], box(document.getElementById('bias'))];
                """
            )
        with Image.open(full) as image:
            crops = [image.convert("RGB").crop((0, top, WIDTH, bottom)) for top, bottom in parts]
    height = sum(crop.height for crop in crops)
    sheet = Image.new("RGB", (WIDTH, height), "white")
    y = 0
    for crop in crops:
        sheet.paste(crop, (0, y))
        y += crop.height
    shown = sheet.resize((SHOWN_WIDTH, round(height * SHOWN_WIDTH / WIDTH)), Image.Resampling.LANCZOS)
    shown.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(out, optimize=True)
    print(f"{out}: {shown.width}x{shown.height}, {out.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "report.png"))
