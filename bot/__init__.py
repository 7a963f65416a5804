"""Adapters and wiring: config, the CLI, the console, Slack, Teams and the renderers."""
