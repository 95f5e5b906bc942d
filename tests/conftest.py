"""Test-suite wiring shared by every kind of test: the session-scoped local stack fixtures."""

pytest_plugins = ["tests.helpers.stack_fixtures"]
