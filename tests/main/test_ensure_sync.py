"""Flask asks on every request whether each view and hook is a coroutine function; KTC keeps the
answer per function (ktc.web.App.ensure_sync). The answer must stay Flask's own."""
import pytest
from flask import Flask

from ktc import web


def test_a_sync_function_is_itself_and_an_async_one_is_treated_as_flask_treats_it(app):
    def view():
        return "ok"

    async def coroutine_view():
        return "ok"

    assert app.ensure_sync(view) is view
    assert app.ensure_sync(view) is view
    try:
        expected = Flask.ensure_sync(app, coroutine_view)
    except RuntimeError as flask_error:  # Flask without its async extra
        with pytest.raises(RuntimeError, match=str(flask_error)[:30]):
            app.ensure_sync(coroutine_view)
    else:
        assert callable(expected) and app.ensure_sync(coroutine_view) is not coroutine_view


def test_the_kept_answers_are_bounded(app, monkeypatch):
    monkeypatch.setattr(web, "SYNC_CACHE_SIZE", 3)
    functions = [lambda i=i: i for i in range(10)]
    for function in functions:
        assert app.ensure_sync(function) is function
    assert len(app.__dict__["_ktc_sync"]) <= 3
