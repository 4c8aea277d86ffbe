"""The extraction policy the settings describe: thresholds, OCR, and the paid provider if one is set."""

from connectors.extraction.providers import AZURE_INVOICE_MODEL, ProviderConfig, ProviderPrices
from domain.documents import Engine
from services.extraction import ExtractionPolicy
from settings import Settings


class ProviderSettingsError(ValueError):
    def __init__(self, variable: str, provider: str) -> None:
        super().__init__(f"{variable} must be set when EXTRACTION_PROVIDER is {provider}")


def extraction_policy(settings: Settings) -> ExtractionPolicy:
    return ExtractionPolicy(
        confidence=settings.extraction_confidence,
        max_pages=settings.documents_max_pages,
        max_pixels=settings.documents_max_pixels,
        ocr_languages=settings.ocr_languages,
        ocr_dpi=settings.ocr_dpi,
        provider=provider_config(settings),
        provider_always=settings.extraction_provider_when == "always",
    )


def provider_config(settings: Settings) -> ProviderConfig | None:
    """The configured provider, or None (offline engines only); raises when its address or key is missing."""
    chosen = settings.extraction_provider
    if chosen == "none":
        return None
    if chosen == "azure":
        engine, base_url, key, model = (
            Engine.AZURE,
            settings.azure_di_endpoint,
            settings.azure_di_key,
            AZURE_INVOICE_MODEL,
        )
        if base_url is None:
            raise ProviderSettingsError("AZURE_DI_ENDPOINT", chosen)
        if key is None:
            raise ProviderSettingsError("AZURE_DI_KEY", chosen)
    elif chosen == "gemini":
        engine, base_url, key, model = (
            Engine.GEMINI,
            settings.gemini_base_url,
            settings.gemini_api_key,
            settings.gemini_model,
        )
        if key is None:
            raise ProviderSettingsError("GEMINI_API_KEY", chosen)
    else:
        engine, base_url, key, model = (
            Engine.OPENAI,
            settings.openai_base_url,
            settings.openai_api_key,
            settings.openai_model,
        )
        if base_url is None:
            raise ProviderSettingsError("OPENAI_BASE_URL", chosen)
    price = next((price for price in settings.extraction_prices if price.model == model), None)
    prices = (
        ProviderPrices()
        if price is None
        else ProviderPrices(
            input_per_million_tokens=price.input_per_million,
            output_per_million_tokens=price.output_per_million,
            per_page=price.per_page,
        )
    )
    values: dict[str, object] = {
        "engine": engine,
        "base_url": base_url,
        "model": model,
        "timeout_seconds": settings.extraction_provider_timeout_seconds,
        "max_attempts": settings.extraction_provider_attempts,
        "prices": prices,
        "llm_confidence": settings.extraction_provider_confidence,
        "structured_output": settings.openai_structured_output,
    }
    if key is not None:
        values["api_key"] = key
    return ProviderConfig.model_validate(values)
