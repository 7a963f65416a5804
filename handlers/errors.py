"""Errors whose message is written for the person who caused them."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a refused request: the message is shown to the user, nothing changed."""

    exit_code = 1

    def __init__(self, message: str, *, hints: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.hints = hints


class NotLinked(UserError):
    """The caller is not a linked board member."""


class Forbidden(UserError):
    """The caller may not do this."""


class NotFound(UserError):
    """Nothing matches what the caller named."""


class Stale(UserError):
    """The action changed after the page that sent the form showed it: nothing was changed."""


class MinutesError(UserError):
    """A minutes document could not be read."""
