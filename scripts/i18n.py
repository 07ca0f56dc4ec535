#!/usr/bin/env python3
"""Translation catalogues: one per feature (ktc/<feature>/translations), merged by Flask-Babel.

    python scripts/i18n.py update [FEATURE ...]  extract messages, update sv and en catalogues
    python scripts/i18n.py compile               compile every catalogue to .mo
    python scripts/i18n.py check                 fail if a message has no Swedish translation, or two
    python scripts/i18n.py missing [FEATURE ...] list the messages that still need Swedish
    python scripts/i18n.py fill FILE.json        set Swedish texts from {"English": "Svenska", ...}

English is the source language: the en catalogues hold the same text, so both stay complete.
"""
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "ktc"
TEMPLATES = ROOT / "templates"
KEYWORDS = {
    "_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
    "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None,
}
JINJA_OPTIONS = {"extensions": "jinja2.ext.do", "trimmed": "true"}
COMMON = "_common"


def features():
    return sorted(p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists())


def sources(feature):
    """Files whose messages belong to a feature's catalogue (COMMON: everything else)."""
    feats = features()
    if feature == COMMON:
        files = [p for p in PKG.glob("*.py")]
        files += [p for p in TEMPLATES.glob("*.html")]
        files += [p for d in TEMPLATES.iterdir() if d.is_dir() and d.name not in feats + ["emails"]
                  for p in d.rglob("*.html")]
        return files
    files = list((PKG / feature).rglob("*.py"))
    tdir = TEMPLATES / feature
    if tdir.exists():
        files += [p for p in tdir.rglob("*") if p.suffix in {".html", ".txt", ".ics"}]
    if feature == "mail" and (TEMPLATES / "emails").exists():
        files += [p for p in (TEMPLATES / "emails").rglob("*") if p.suffix in {".html", ".txt"}]
    return files


def catalogue_dir(feature):
    return PKG / "translations" if feature == COMMON else PKG / feature / "translations"


def extract(feature):
    template = Catalog(fuzzy=False)
    for path in sorted(sources(feature)):
        method = "python" if path.suffix == ".py" else "jinja2.ext:babel_extract"
        options = {} if path.suffix == ".py" else JINJA_OPTIONS
        for lineno, message, comments, context in extract_from_file(
            method, str(path), keywords=KEYWORDS, options=options, strip_comment_tags=True
        ):
            template.add(message, None, [(str(path.relative_to(ROOT)), lineno)], auto_comments=comments,
                         context=context)
    return template


def _po_path(feature, locale):
    return catalogue_dir(feature) / locale / "LC_MESSAGES" / "messages.po"


def _load(path, locale):
    if path.exists():
        with path.open("rb") as fh:
            return read_po(fh, locale=locale)
    return Catalog(locale=locale)


def update(feature_names):
    # Texts translated before this update, so that a message moved between catalogues keeps its text.
    known = known_translations()
    for feature in feature_names:
        template = extract(feature)
        if not len(template) and not _po_path(feature, "sv").exists():
            continue
        for locale in ("sv", "en"):
            path = _po_path(feature, locale)
            catalog = _load(path, locale)
            created = catalog.creation_date
            catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
            # Kept as it was: a date that moved with every update made every catalogue conflict on merge.
            catalog.creation_date = created
            catalog.obsolete.clear()
            for message in catalog:
                if not message.id:
                    continue
                if locale == "en":
                    message.string = message.id
                message.flags.discard("fuzzy")
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as fh:
                write_po(fh, catalog, width=100, sort_output=True, omit_header=False, include_lineno=False)
        print(f"updated {feature}: {len(template)} messages")
    # A text already translated in one catalogue is reused in the others.
    fill(texts={**known, **known_translations()})


def compile_all():
    count = 0
    for po in PKG.glob("**/translations/*/LC_MESSAGES/messages.po"):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        with po.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog)
        count += 1
    print(f"compiled {count} catalogues")


def _translated(message):
    if isinstance(message.string, (list, tuple)):
        return all(message.string)
    return bool(message.string)


def missing(feature_names=None):
    """(feature, locale, msgid) for every extracted message without a translation."""
    gaps = []
    for feature in feature_names or all_catalogues():
        template = extract(feature)
        for locale in ("sv", "en"):
            catalog = _load(_po_path(feature, locale), locale)
            for message in template:
                if not message.id:
                    continue
                found = catalog.get(message.id, context=message.context)
                if found is None or not _translated(found) or found.fuzzy:
                    gaps.append((feature, locale, message.id))
    return gaps


def known_translations():
    """Every Swedish text already written in any catalogue, by msgid."""
    texts = {}
    for feature in all_catalogues():
        path = _po_path(feature, "sv")
        if path.exists():
            for message in _load(path, "sv"):
                if message.id and _translated(message) and not message.fuzzy:
                    key = message.id if isinstance(message.id, str) else message.id[0]
                    texts[key] = list(message.string) if isinstance(message.string, tuple) else message.string
    return texts


def fill(json_path=None, texts=None):
    """Fill empty Swedish strings in every catalogue from a JSON map of msgid to Swedish text."""
    import json

    if texts is None:
        texts = json.loads(Path(json_path).read_text(encoding="utf-8"))
    for feature in all_catalogues():
        path = _po_path(feature, "sv")
        if not path.exists():
            continue
        catalog = _load(path, "sv")
        changed = 0
        for message in catalog:
            key = message.id if isinstance(message.id, str) else message.id[0]
            if message.id and not _translated(message) and key in texts:
                value = texts[key]
                message.string = tuple(value) if isinstance(message.id, tuple) else value
                changed += 1
        if changed:
            with path.open("wb") as fh:
                write_po(fh, catalog, width=100, sort_output=True, include_lineno=False)
            print(f"{feature}: {changed} filled")


def conflicts():
    """(locale, msgid, {feature: text}) for every message that catalogues translate differently.

    Flask-Babel merges the catalogues into one: of two translations of the same text only one is
    shown, on every page that asks for it. A text with two meanings needs a message of its own (or
    a context); one meaning needs one translation.
    """
    found = []
    for locale in ("sv", "en"):
        texts = {}
        for feature in all_catalogues():
            path = _po_path(feature, locale)
            if not path.exists():
                continue
            for message in _load(path, locale):
                if not message.id or not _translated(message) or message.fuzzy:
                    continue
                key = (message.context, message.id if isinstance(message.id, str) else message.id[0])
                value = message.string if isinstance(message.string, str) else tuple(message.string)
                texts.setdefault(key, {})[feature] = value
        for (_context, msgid), by_feature in sorted(texts.items(), key=lambda item: str(item[0])):
            if len(set(by_feature.values())) > 1:
                found.append((locale, msgid, by_feature))
    return found


def all_catalogues():
    return [COMMON] + features()


def main(argv):
    if not argv:
        print(__doc__)
        return 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "update":
        update(rest or all_catalogues())
    elif cmd == "fill":
        fill(rest[0])
    elif cmd == "compile":
        compile_all()
    elif cmd in ("check", "missing"):
        gaps = missing(rest or None)
        for feature, locale, msgid in gaps:
            print(f"{feature} [{locale}]: {msgid!r}")
        if cmd == "check":
            if gaps:
                print(f"{len(gaps)} messages lack a translation; run `python scripts/i18n.py update` and translate")
                return 1
            clashes = conflicts()
            for locale, msgid, by_feature in clashes:
                print(f"[{locale}] {msgid!r} is translated differently: {by_feature}")
            if clashes:
                print(f"{len(clashes)} messages have two translations; the merged catalogue shows only one")
                return 1
            print("translations complete")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
