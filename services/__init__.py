"""The use cases, plain Python over connectors and rules, called by both the API and the flows. No Prefect, no FastAPI."""
