"""Shared services that the HTTP API, the chat bot and the scheduled jobs all call."""
