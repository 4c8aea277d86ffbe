"""Prefect flows and their tasks: thin, each step calls a service (services/); nothing else imports this package."""
