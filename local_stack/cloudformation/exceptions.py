"""CloudFormation errors the local stack reports at start-up, each naming where it is."""

from __future__ import annotations


class TemplateError(ValueError):
    """The template cannot be read into a stack: a bad parameter, an unknown reference, ..."""


class UnsupportedFeatureError(TemplateError):
    """The template uses a feature whose behaviour the local stack does not reproduce."""
