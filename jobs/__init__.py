"""Scheduled jobs run by the one `flask --app app jobs` process (issue #6)."""
