"""The pieces a report page is made of, as plain data for the Jinja templates.

Every string here is plain text; the templates escape it. Only `Figure.svg` is markup, and it
comes from matplotlib, which escapes the (untrusted) labels it draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from judgekit.stats.intervals import Estimate


@dataclass
class Card:
    """A headline number."""

    label: str
    value: str
    interval: str | None = None
    """The 95% CI as "[low, high]"."""
    n: int | None = None
    note: str | None = None
    key: str = ""
    """A stable name tests and scripts can find the card by (data-key)."""


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str | None = None
    row_headers: bool = True
    """Whether the first cell of each row names the row."""
    sticky: bool = False
    """Keep the first column in view while the table scrolls sideways (wide tables on narrow screens)."""


@dataclass
class Figure:
    key: str
    title: str
    svg: str
    caption: str = ""
    table: Table | None = None
    """The plotted numbers as a table (under a disclosure), for reading exact values."""


@dataclass
class Section:
    key: str
    title: str
    intro: str = ""
    cards: list[Card] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Cell:
    text: str
    sort: str = ""
    """The value the column sorts by (a number for numeric columns; empty sorts last)."""
    css: str = ""


@dataclass
class Column:
    title: str
    numeric: bool = False
    optional: bool = False
    """Hidden on narrow screens."""


@dataclass
class Call:
    """One judge call of an item, shown when its row is expanded."""

    name: str
    status: str
    outcome: str
    detail: str
    texts: list[str]
    reason: str | None = None


@dataclass
class ItemRow:
    id: str
    cells: list[Cell]
    status: str
    filters: dict[str, str]
    """data-* values the page's filter menus match on."""
    turns: list[tuple[str, str]]
    answers: list[tuple[str, str]]
    extras: list[tuple[str, str]]
    calls: list[Call]


@dataclass
class Filter:
    name: str
    label: str
    options: list[tuple[str, str]]


@dataclass
class ItemTable:
    columns: list[Column]
    rows: list[ItemRow]
    filters: list[Filter]
    note: str = ""
    """What a reader needs to read the columns (the human and judge score scales)."""


@dataclass
class Page:
    title: str
    subtitle: list[tuple[str, str]]
    kind: str
    status: str
    cards: list[Card]
    warnings: list[str]
    sections: list[Section]
    banner: str | None = None
    """A caveat over the whole page, shown prominently at its top (a mock judge's made-up numbers)."""
    items: ItemTable | None = None
    manifest: Table | None = None
    raw: list[tuple[str, str]] = field(default_factory=list)
    """(title, pretty JSON) blocks shown collapsed at the end: run.json, unknown summary fields."""


def split_estimate(estimate: Estimate | None, *, percent: bool = False, digits: int = 3) -> tuple[str, str | None]:
    """("52.0%", "[45.1%, 58.9%]"): an estimate's value and interval as the console prints them."""
    if estimate is None:
        return "–", None
    text = estimate.format(percent=percent, digits=digits)
    value, _, interval = text.partition(" ")
    return value, interval or None


def estimate_card(
    key: str, label: str, estimate: Estimate | None, *, percent: bool = False, digits: int = 3, note: str | None = None
) -> Card:
    value, interval = split_estimate(estimate, percent=percent, digits=digits)
    if estimate is not None and estimate.low is None and estimate.no_interval:
        reason = f"no CI: {estimate.no_interval}"
        note = f"{note}; {reason}" if note else reason
    return Card(label, value, interval, estimate.n if estimate else None, note, key)


def estimate_rows(estimates: dict[str, Estimate], *, percent: bool, digits: int = 3) -> list[list[str]]:
    rows = []
    for name, estimate in estimates.items():
        value, interval = split_estimate(estimate, percent=percent, digits=digits)
        rows.append([name, value, interval or "–", str(estimate.n)])
    return rows
