"""Reminder planning, the quarterly calendar, the ledger and the clock that drives them."""
