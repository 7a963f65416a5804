"""The local console: the chat commands in a terminal, acting as a chosen member."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console as RichConsole

from bot.render_text import render
from bot.runtime import Runtime
from handlers.boards import choose_board
from handlers.identity import Account, find_member
from handlers.reply import Reply
from handlers.run import run_command
from scheduler.clock import wall_clock

PROMPT = "crb> "
INTRO = (
    "Type a command as you would in Slack (help, mine, outstanding, done 04-CR, …).\n"
    "“as XX” acts as another member; “quit” or Ctrl-D leaves."
)


class Console:
    def __init__(
        self,
        runtime: Runtime,
        initials: str | None,
        fixed_now: datetime | None = None,
        board: str | None = None,
    ):
        self.runtime = runtime
        self.initials = initials.upper() if initials else None
        self.fixed_now = fixed_now
        self.board = board  # a short code; None: the only board
        self.screen = RichConsole(highlight=False, markup=False, emoji=False)

    def now(self) -> datetime:
        return self.fixed_now or wall_clock()

    def run(self, text: str) -> Reply:
        account = Account.console(self.initials)
        return run_command(self.runtime.sessions, account, text, self.now(), board=self.board)

    def check_board(self) -> None:
        """Raises ``BoardNeeded`` (several boards, none named) or ``NotFound`` (no such board)."""
        with self.runtime.sessions() as session:
            choose_board(session, self.board)

    def whoami(self) -> str:
        with self.runtime.sessions() as session:
            board = choose_board(session, self.board)
            member = find_member(session, board, Account.console(self.initials))
            if member is None:
                return "You are not acting as any member: only “help” works. Type “as XX”."
            return f"You are {member.name} ({member.initials}, {member.role})."

    def loop(self) -> None:
        self.screen.print(INTRO)
        self.screen.print(self.whoami())
        while True:
            try:
                text = input(PROMPT).strip()
            except (EOFError, KeyboardInterrupt):
                self.screen.print()
                return
            if text.lower() in ("quit", "exit", ":q"):
                return
            if text.lower().startswith("as "):
                self.initials = text[3:].strip().upper() or None
                self.screen.print(self.whoami())
            elif text:
                self.screen.print(render(self.run(text)))
