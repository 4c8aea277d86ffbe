"""Prefect flows and tasks wiring connectors and rules together."""
