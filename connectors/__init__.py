"""Every outside system: the marketplace source, the ERP gateway, the process store, SMTP and signed webhooks."""
