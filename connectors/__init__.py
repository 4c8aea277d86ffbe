"""Every outside system: marketplace source, ERP gateway, the process store, demo data."""
