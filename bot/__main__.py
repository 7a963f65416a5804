"""`python -m bot` is `crb`."""

from bot.cli import main

main()
