"""Render a `Page` to one self-contained HTML document.

The CSS, the script and every plot are inline, so the file opens offline, from a mail or a CI
artifact. A Content-Security-Policy in the page allows no network request at all and only the
page's own script (by its hash): even if some text escaped escaping, it could neither run
script nor load anything.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from judgekit.errors import UsageError
from judgekit.reporting.html.view import Page
from judgekit.version import __version__

if TYPE_CHECKING:
    from jinja2 import Environment


def asset(name: str) -> str:
    return (files("judgekit.reporting.html") / "assets" / name).read_text(encoding="utf-8")


@cache
def html_environment() -> Environment:
    from jinja2 import Environment, StrictUndefined

    return Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_page(page: Page) -> str:
    from markupsafe import Markup

    script = asset("report.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    template = html_environment().from_string(asset("page.html.jinja"))
    for section in page.sections:
        for figure in section.figures:
            figure.svg = Markup(figure.svg)  # matplotlib's output: labels inside are escaped by it
    html = template.render(
        page=page,
        css=Markup(asset("report.css")),
        script=Markup(script),
        script_hash=f"sha256-{digest}",
        version=__version__,
    )
    return str(html).lstrip()


def check_target(path: str | Path) -> Path:
    """The report's path, checked before any work is done: a file name in an existing folder."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"--html {target}: is a directory; give a file name such as report.html")
    if not target.parent.is_dir():
        raise UsageError(f"--html {target}: the folder {target.parent} does not exist")
    return target


def write_html(html: str, path: str | Path) -> Path:
    """Write the page atomically, so a reader never opens half a report."""
    from judgekit.redact import redact

    target = check_target(path)
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        temporary.write_text(redact(html), encoding="utf-8")  # a report is shared: no credentials in it
        temporary.replace(target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise UsageError(f"--html {target}: cannot write the report ({exc.strerror or exc})") from None
    return target
