"""The pages' message catalogs (chalicelib/i18n/locale), kept with Babel.

    python -m infra.catalogs update   extract the ids (babel.cfg), merge them into every .po,
                                      compile every .mo
    python -m infra.catalogs check    exit 1, saying why, if a catalog is out of date,
                                      incomplete or not compiled

English is a catalog too (each id translated as itself), so every language is read the same
way. New ids land in the German and French catalogs with an empty msgstr: ``check`` (and
tests/unit/test_i18n.py) fails until someone translates them. The .mo files are committed:
the Lambda package, the dev server and the tests read them without Babel.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from chalicelib.i18n import DEFAULT_LANGUAGE, LANGUAGES
from chalicelib.i18n.catalogs import DOMAIN, LOCALE

ROOT = Path(__file__).resolve().parents[1]


def extract() -> Catalog:
    """Every message id of the Python code and the templates."""
    with open(ROOT / "babel.cfg") as file:
        method_map, options_map = parse_mapping_cfg(file)
    template = Catalog(project="oidc-provider", version="1", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(ROOT, method_map, options_map):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(language: str) -> Catalog:
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=language, project="oidc-provider", version="1", fuzzy=False)
    with open(path, "rb") as file:
        return read_po(file, locale=language)


def update() -> None:
    for language in LANGUAGES:
        catalog = read(language)
        # A template of its own: Catalog.update shares the template's messages with the catalog.
        catalog.update(extract(), no_fuzzy_matching=True)
        catalog.obsolete.clear()
        if language == DEFAULT_LANGUAGE:
            for message in catalog:
                if message.id:
                    message.string = message.id
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as file:
            write_po(file, catalog, width=120, no_location=True, omit_header=False, sort_output=True)
        with open(path.with_suffix(".mo"), "wb") as file:
            write_mo(file, catalog)


def problems() -> list[str]:
    """What is wrong with the committed catalogs (nothing: an empty list)."""
    wanted = {_key(message) for message in extract() if message.id}
    found = []
    for language in LANGUAGES:
        catalog = read(language)
        ids = {_key(message) for message in catalog if message.id}
        found += [f"{language}: new id {key!r} (run python -m infra.catalogs update)" for key in sorted(wanted - ids)]
        found += [
            f"{language}: obsolete id {key!r} (run python -m infra.catalogs update)" for key in sorted(ids - wanted)
        ]
        found += [f"{language}: untranslated {_key(m)!r}" for m in catalog if m.id and not _translated(m)]
        found += [f"{language}: fuzzy {_key(m)!r}" for m in catalog if m.id and m.fuzzy]
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        mo = po_path(language).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compiled.getvalue():
            found.append(f"{language}: {mo.name} is not compiled from its .po (run python -m infra.catalogs update)")
    return found


def _key(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return bool(strings) and all(strings)


def main(argv: list[str]) -> int:
    if argv == ["update"]:
        update()
        return 0
    if argv == ["check"]:
        found = problems()
        print("\n".join(found) or "the catalogs are complete and up to date")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
