"""Fixtures shared by the booking tests."""
import pytest


@pytest.fixture
def world(make):
    """One municipal unit with its manager and four staff (test modules with richer needs define their own)."""
    kommun = make.organisation("municipal", name="Eksjö kommun")
    unit = make.unit(kommun, name="Hemsjukvården")
    manager = make.manager(unit)
    staff = [make.participant(unit, name=f"Undersköterska {i}") for i in range(4)]
    return type("World", (), locals())
