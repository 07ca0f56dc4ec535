"""Free text for the learning network: no e-mail addresses, phone numbers or people's names."""
import re
from functools import lru_cache

REDACTED = "[…]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Swedish and international numbers start with 0 or +; dates (2024-05-12) and doses do not.
_PHONE = re.compile(r"(?<![\w+])(?:\+|0)[\d\s\-()/]{5,}\d")
_RUNS = re.compile(re.escape(REDACTED) + r"(?:[\s,\-]+" + re.escape(REDACTED) + r")+")


def _phone(match):
    digits = sum(ch.isdigit() for ch in match.group(0))
    return REDACTED if digits >= 7 else match.group(0)


def name_patterns(names):
    """One regex that finds the given full names and every part of them (first and last names)."""
    words = set()
    for name in names:
        name = (name or "").strip()
        if not name:
            continue
        words.add(name)
        words.update(part for part in re.split(r"\s+", name) if len(part) >= 2)
        words.update(part for part in re.split(r"[\s\-]+", name) if len(part) >= 2)
    if not words:
        return None
    # Longest first so that "Anna Berg" is replaced whole before "Anna".
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(r"(?<!\w)(?:" + alternatives + r")(?!\w)", re.IGNORECASE)


def scrub(text, names=()):
    """The text with e-mail addresses, phone numbers and the given names replaced by "[…]"."""
    if not text:
        return ""
    # The network view scrubs thousands of answers per request: each pattern only runs on a
    # text that has the character it cannot match without.
    if "@" in text:
        text = _EMAIL.sub(REDACTED, text)
    if "0" in text or "+" in text:
        text = _PHONE.sub(_phone, text)
    pattern = _cached_name_patterns(frozenset(names))
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    if REDACTED in text:
        text = _RUNS.sub(REDACTED, text)
    return text.strip()


@lru_cache(maxsize=2048)
def _cached_name_patterns(names):
    # The network view scrubs many answers from the same session: build each session's regex once.
    return name_patterns(names)
