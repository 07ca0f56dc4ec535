"""`next` redirect targets, pinned down after mutation testing (issue 18, docs/MUTATION.md).

`is_safe_next` (ktc/security.py) decides whether login, the language switch, SSO and the booking
forms may send the browser on to a given address. The mutants named in each docstring passed
the rest of the suite.
"""
import pytest

from ktc.security import is_safe_next


@pytest.mark.parametrize("target", [
    "/",
    "/login?next=/account",
    "/sessions/12?q=Anna Berg",  # a space is not a control character: a search kept in the address
    "/api/v1/sessions?from=2026-12-01T09:00:00+01:00",
])
def test_local_paths_are_accepted(target):
    """Mutants: every path refused (`if target or …`, `"\\\\" not in target`, `!= 0x7F`, the
    last line's `and` turned around), or a space refused as if it were a control character
    (`< 0x20` → `<= 0x20`, `< 33`)."""
    assert is_safe_next(target) is True


@pytest.mark.parametrize("target", [
    None,
    "",
    "sessions/12",  # relative: not a path of this site
    "evil.example/login",
    "//evil.example/",
    "///evil.example/",  # a browser reads it as //evil.example
    "/\\evil.example",  # a browser reads the backslash as a slash
    "/sessions\x00",
    "/sessions\r\nSet-Cookie: x=1",  # would split the Location header
    "/sessions\x1f",
    "/sessions\x7f",
])
def test_anything_else_is_refused(target):
    """Mutants: a relative address accepted (`not target.startswith("/")` dropped or joined with
    `and`), `///host` or a backslash let through, control characters or DEL let through
    (`and` for `or`, `0x7F` → `128`, `return True`)."""
    assert is_safe_next(target) is False
