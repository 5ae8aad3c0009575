"""Normalise the Dutch catalogue after an edit: Babel's own layout (width 100), the header not
fuzzy (``pybabel compile`` skips a fuzzy catalogue), and the compiled ``.mo`` beside it for a
source checkout (wheels compile it in setup.py). Run: ``python scripts/catalogue.py``."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PO = Path(__file__).parent.parent / "flexdiag" / "locale" / "nl" / "LC_MESSAGES" / "flexdiag.po"


def main() -> None:
    with PO.open("rb") as f:
        catalog = read_po(f)
    catalog.fuzzy = False
    with PO.open("wb") as f:
        write_po(f, catalog, width=100)
    with PO.with_suffix(".mo").open("wb") as f:
        write_mo(f, catalog)


if __name__ == "__main__":
    main()
