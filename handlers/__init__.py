"""Platform-neutral use-cases: no Slack or Teams imports live here."""
