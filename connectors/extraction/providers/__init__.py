"""Cloud and LLM extraction engines, off unless configured: Azure Document Intelligence
`prebuilt-invoice`, Google Gemini and any OpenAI-compatible chat endpoint, all through httpx."""

from connectors.extraction.providers.azure import INVOICE_MODEL as AZURE_INVOICE_MODEL
from connectors.extraction.providers.base import ProviderConfig, ProviderError, ProviderPrices
from connectors.extraction.providers.extract import extract_with_provider
from connectors.extraction.providers.invoice_schema import INVOICE_SCHEMA

__all__ = [
    "AZURE_INVOICE_MODEL",
    "INVOICE_SCHEMA",
    "ProviderConfig",
    "ProviderError",
    "ProviderPrices",
    "extract_with_provider",
]
