"""The feature packages, in the order the application factory registers their blueprints.

A module of its own so that the CLI and the scheduler can walk the features without importing
the application factory (which imports them).
"""
FEATURES = (
    "main",
    "accounts",
    "organisations",
    "skills",
    "stations",
    "sessions",
    "bookings",
    "records",
    "feedback",
    "network",
    "calendar",
    "mail",
    "api",
    "privacy",
    "audit",
    "notices",
    "meetings",
    "sso",
    "scim",
    "paths",
    "planning",
)
