"""The translation catalogues: gather every string, fill translations, check nothing is missing.

    python -m lint.catalogue check                 makemessages, then fail on any Russian entry
                                                   untranslated or fuzzy, or a stale .mo file
    python -m lint.catalogue fill FRAGMENT.json..  makemessages, take translations from the
                                                   fragments, compile the .mo files

A fragment is a JSON object: msgid → the Russian text, or for a plural the list of the three
Russian forms (one, few, many); a msgctxt goes before the msgid, joined by "\\u0004".
The English catalogue is the source language: its entries translate to themselves.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
LANGUAGES = ("ru", "en")
# Where makemessages must not look: dependencies, generated files, the tests' own strings.
PLURAL_FORMS = 4
IGNORED = ("node_modules", "var", "tests", "bench", "build", "docs", "lint")


def makemessages() -> None:
    ignore = [f"--ignore={name}" for name in IGNORED]
    languages = [f"--locale={code}" for code in LANGUAGES]
    base = [sys.executable, "manage.py", "makemessages", *languages, *ignore]
    common = ["--no-obsolete", "--add-location=file", "--no-wrap"]
    subprocess.run([*base, *common], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        [*base, *common, "--domain=djangojs", "--extension=js"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def catalogues() -> list[tuple[str, Path]]:
    return [
        (code, LOCALE / code / "LC_MESSAGES" / f"{domain}.po")
        for code in LANGUAGES
        for domain in ("django", "djangojs")
        if (LOCALE / code / "LC_MESSAGES" / f"{domain}.po").exists()
    ]


def key_of(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}\u0004{entry.msgid}" if entry.msgctxt else entry.msgid


def missing(entry: polib.POEntry) -> bool:
    if entry.obsolete:
        return False
    if "fuzzy" in entry.flags:
        return True
    if entry.msgid_plural:
        return not all(entry.msgstr_plural.values())
    return not entry.msgstr


def fill_entry(entry: polib.POEntry, code: str, translations: dict) -> None:
    if code == "en":
        if entry.msgid_plural:
            entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
        else:
            entry.msgstr = entry.msgid
    elif key_of(entry) in translations:
        found = translations[key_of(entry)]
        if entry.msgid_plural:
            forms = found if isinstance(found, list) else [found] * 3
            # Django's Russian catalogue has a fourth form, for fractions: "1,5 часа".
            forms = [*forms, *[forms[min(1, len(forms) - 1)]] * (PLURAL_FORMS - len(forms))]
            entry.msgstr_plural = dict(enumerate(forms[:PLURAL_FORMS]))
        else:
            entry.msgstr = found if isinstance(found, str) else found[0]
    else:
        return
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None


def fill(fragments: list[Path]) -> None:
    translations: dict = {}
    for fragment in fragments:
        translations.update(json.loads(fragment.read_text(encoding="utf-8")))
    makemessages()
    for code, path in catalogues():
        catalogue = polib.pofile(str(path), wrapwidth=0)
        for entry in catalogue:
            if missing(entry) or code == "en":
                fill_entry(entry, code, translations)
        catalogue.save(str(path))
        catalogue.save_as_mofile(str(path.with_suffix(".mo")))


def problems() -> list[str]:
    found = []
    for _code, path in catalogues():
        catalogue = polib.pofile(str(path), wrapwidth=0)
        for entry in catalogue:
            if missing(entry):
                state = "fuzzy" if "fuzzy" in entry.flags else "untranslated"
                found.append(f"{path.relative_to(ROOT)}: {state}: {entry.msgid!r}")
        compiled = path.with_suffix(".mo")
        if not compiled.exists():
            found.append(f"{compiled.relative_to(ROOT)}: missing (python -m lint.catalogue fill)")
            continue
        shipped = {key_of(e): (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(compiled))}
        wanted = {
            key_of(e): (e.msgstr, e.msgstr_plural)
            for e in catalogue.translated_entries()
            if "fuzzy" not in e.flags
        }
        if shipped != wanted:
            found.append(f"{compiled.relative_to(ROOT)}: stale (python -m lint.catalogue fill)")
    return found


def checked() -> list[str]:
    """The problems makemessages would reveal; the catalogues on disk are left as they were."""
    kept = {path: path.read_bytes() for _, path in catalogues()}
    try:
        makemessages()
        return problems()
    finally:
        for path in {path for _, path in catalogues()} - set(kept):
            path.unlink()
        for path, content in kept.items():
            path.write_bytes(content)


def main(argv: list[str]) -> int:
    if argv[:1] == ["fill"]:
        fill([Path(name) for name in argv[1:]])
        return 0
    if argv[:1] == ["check"]:
        found = checked()
        for line in found:
            print(line)
        if found:
            print(f"{len(found)} catalogue problem(s): translate them (see lint/catalogue.py)")
            return 1
        print("translation catalogues complete")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
