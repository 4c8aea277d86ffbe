"""Extraction engines: e-invoice XML, text layer, OCR, cloud and LLM providers."""
