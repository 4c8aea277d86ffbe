"""The ERP (Sampro) gateway: read-only access through editable query files."""

from connectors.erp.gateway import ErpGateway, ErpSnapshot
from connectors.erp.queries import CONTRACTS, ErpQueryError, load_queries

__all__ = ["CONTRACTS", "ErpGateway", "ErpQueryError", "ErpSnapshot", "load_queries"]
