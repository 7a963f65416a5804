"""The one error whose message is written for a person: every layer may raise it.

It lives at the bottom so that ``db`` (a backup that cannot be read) can speak to the user
without importing the use-case layer; ``handlers.errors`` builds its kinds of refusal on it.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a refused request: the message is shown to the user, nothing changed."""

    exit_code = 1

    def __init__(self, message: str, *, hints: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.hints = hints
