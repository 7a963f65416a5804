"""Errors whose message is written for the person who caused them."""

from __future__ import annotations

from db.errors import UserError

__all__ = ["Forbidden", "MinutesError", "NotFound", "NotLinked", "UserError"]


class NotLinked(UserError):
    """The caller is not a linked board member."""


class Forbidden(UserError):
    """The caller may not do this."""


class NotFound(UserError):
    """Nothing matches what the caller named."""


class MinutesError(UserError):
    """A minutes document could not be read."""
