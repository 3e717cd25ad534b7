"""Read report pages back without a browser: headline cards, tables, script tags, references."""

from __future__ import annotations

from html.parser import HTMLParser


class PageReader(HTMLParser):
    """Collects the cards (by data-key), the tables (rows of cell texts) and every script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cards: dict[str, dict[str, str]] = {}
        self.tables: list[list[list[str]]] = []
        self.scripts: list[str] = []
        self.references: list[str] = []
        self._card: str | None = None
        self._card_depth = 0
        self._part: str | None = None
        self._cell: list[str] | None = None
        self._script: list[str] | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name in ("src", "href", "action", "data", "poster", "xlink:href"):
            if attributes.get(name):
                self.references.append(str(attributes[name]))
        if tag == "script":
            self._script = []
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        if tag == "div":
            self._depth += 1
            classes = (attributes.get("class") or "").split()
            if "card" in classes:
                self._card = str(attributes.get("data-key"))
                self._card_depth = self._depth
                self.cards[self._card] = {}
            elif self._card is not None and classes:
                self._part = classes[0]
                self.cards[self._card][self._part] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append("".join(self._script))
            self._script = None
        if tag in ("td", "th") and self._cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "div":
            if self._card is not None and self._depth == self._card_depth:
                self._card = None
            self._part = None
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._card is not None and self._part is not None:
            self.cards[self._card][self._part] += data.strip()


def read_page(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    reader.close()
    return reader


def table_starting_with(reader: PageReader, first_header: str) -> list[list[str]]:
    """The table whose first row starts with `first_header` (as rows of cell texts)."""
    for table in reader.tables:
        if table and table[0] and table[0][0] == first_header:
            return table
    raise AssertionError(f"no table starts with {first_header!r}")
