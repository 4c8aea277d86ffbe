"""The marketplace database vendors upload invoices to: read-only, pulled incrementally."""

from connectors.marketplace.source import MarketplaceCursor, MarketplaceSource, PulledPage

__all__ = ["MarketplaceCursor", "MarketplaceSource", "PulledPage"]
