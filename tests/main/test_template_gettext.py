"""Templates translate with KTC's one-call `_()` (ktc.i18n._template_gettext) instead of Jinja's
three nested calls: it must give exactly what Jinja's newstyle gettext gives, in the user's
language, escaped where the template escapes and never where it does not (plain-text e-mails)."""
import pytest
from flask_babel import force_locale, get_translations
from jinja2 import Environment

CASES = [
    "{{ _('Log out') }}",
    "{{ gettext('Log out') }}",
    # Variables are escaped in HTML, translations are trusted text.
    "{{ _('%(name)s is already on the list.', name='<b>Åsa & co</b>') }}",
    "{{ _('%(n)s waiting', n=3) }}",
    # Always a format string: %% is a percent sign, with or without variables.
    "{{ _('100%% sure') }}",
    "{{ _('%(n)s%% done', n=5) }}",
    "{{ _('A string with no translation & an ampersand') }}",
    "{% set s = _('Log out') %}{{ s ~ '<i>' }}",
]


def _jinja_reference(autoescape):
    """Jinja's own newstyle callables, over the same catalogue."""
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=autoescape)
    translations = get_translations()
    env.install_gettext_callables(
        gettext=translations.ugettext, ngettext=translations.ungettext, newstyle=True)
    return env


@pytest.mark.parametrize("language, logged_out", [("sv", "Logga ut"), ("en", "Log out")])
@pytest.mark.parametrize("autoescape", [True, False])
def test_templates_translate_as_jinjas_newstyle_gettext_does(app, language, logged_out, autoescape):
    with app.test_request_context(), force_locale(language):
        reference = _jinja_reference(autoescape)
        for source in CASES:
            wrapped = source if autoescape else "{% autoescape false %}" + source + "{% endautoescape %}"
            ours = app.jinja_env.from_string(wrapped).render()
            assert ours == reference.from_string(source).render(), source
        assert app.jinja_env.from_string("{{ _('Log out') }}").render() == logged_out


def test_escaping_follows_the_template(app):
    with app.test_request_context(), force_locale("en"):
        html = app.jinja_env.from_string("{{ _('%(name)s is already on the list.', name='<b>') }}").render()
        text = app.jinja_env.from_string(
            "{% autoescape false %}{{ _('%(name)s is already on the list.', name='<b>') }}{% endautoescape %}"
        ).render()
    assert html == "&lt;b&gt; is already on the list."
    assert text == "<b> is already on the list."


def test_a_forced_language_inside_a_request_is_used_and_then_left(app):
    """An e-mail rendered in its recipient's language in the middle of a page (force_locale) must
    not leave that language behind for the rest of the page, nor take the page's."""
    template = app.jinja_env.from_string("{{ _('Log out') }}")
    with app.test_request_context(), force_locale("sv"):
        assert template.render() == "Logga ut"
        with force_locale("en"):
            assert template.render() == "Log out"
        assert template.render() == "Logga ut"
