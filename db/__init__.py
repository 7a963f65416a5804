"""The board's data: models, sessions, shared queries and migrations."""
