"""The one error of a PDF no engine can read: not a PDF, damaged, or needing a password."""


class UnreadablePdfError(ValueError):
    """The PDF is damaged, truncated or encrypted beyond reading (its text or its attachments)."""
