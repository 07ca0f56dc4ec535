"""The main menu is rendered once per role, language and page and then reused (ktc/web.py main_nav):
what a user sees must still be their role's menu, in their language, with their page marked."""
import re

from ktc.extensions import db


def _menu(client, path):
    html = client.get(path).get_data(as_text=True)
    return html[html.index('<nav aria-label='):html.index("</nav>")]


def _current(menu):
    return re.findall(r'<a href="([^"]+)" aria-current="page">', menu)


def test_each_role_keeps_its_own_menu_and_language_after_another_was_shown(client, login_as, make):
    admin, manager = make.user("admin"), make.manager(make.unit(make.organisation("municipal")))
    db.session.commit()
    login_as(admin)
    admin_menu = _menu(client, "/sessions/")
    assert ">Användare<" in admin_menu and ">Boka min personal<" not in admin_menu
    login_as(manager)
    manager_menu = _menu(client, "/sessions/")
    assert ">Användare<" not in manager_menu and ">Boka min personal<" in manager_menu
    client.post("/lang", data={"lang": "en", "next": "/sessions/"})
    english = _menu(client, "/sessions/")
    assert ">Book my team<" in english and ">Users<" not in english
    login_as(admin)
    assert _menu(client, "/sessions/") == admin_menu  # Swedish again: the admin's language is their own


def test_the_page_shown_is_the_one_marked_current(client, login_as, make):
    manager = make.manager(make.unit(make.organisation("municipal")))
    db.session.commit()
    login_as(manager)
    assert _current(_menu(client, "/sessions/")) == ["/sessions/"]
    assert _current(_menu(client, "/bookings/team/bookings")) == ["/bookings/team/bookings"]
    assert _current(_menu(client, "/sessions/")) == ["/sessions/"]
