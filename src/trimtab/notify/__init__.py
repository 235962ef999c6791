"""Telling a portfolio's owner what the bot did: messages composed from the run loop's events, sent
through apprise (Telegram, e-mail, Discord, Slack, ntfy, webhooks ...)."""
