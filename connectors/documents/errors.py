"""Why an uploaded file is refused: each error names the file and carries a reason a person understands.

`UnsupportedTypeError` and `TooLargeError` refuse the upload itself (415, 413); an
`UnreadableDocumentError` is a file taken in whose document is `failed` with the reason.
All are `ValueError`s: they are about the input, never about the service.
"""


class DocumentIntakeError(ValueError):
    """A refused file. `file_name` is the safe name (see `clean_file_name`), `reason` the why without it."""

    def __init__(self, file_name: str, reason: str) -> None:
        super().__init__(f"{file_name}: {reason}")
        self.file_name = file_name
        self.reason = reason


class UnsupportedTypeError(DocumentIntakeError):
    """The content is not a PDF, PNG, JPEG, TIFF or XML e-invoice, whatever the file's name says (415)."""


class TooLargeError(DocumentIntakeError):
    """The file is larger than the configured limit (413)."""

    def __init__(self, file_name: str, limit_bytes: int) -> None:
        super().__init__(file_name, f"the file is larger than the {describe_size(limit_bytes)} limit")
        self.limit_bytes = limit_bytes


class UnreadableDocumentError(DocumentIntakeError):
    """The type is right but the content cannot be read as a document: the document is `failed` with the reason."""


def describe_size(size_bytes: int) -> str:
    """`20 MB`, `512 KB`, `100 bytes`: a limit as a person reads it (binary units, as upload limits usually are)."""
    for unit, factor in (("MB", 1 << 20), ("KB", 1 << 10)):
        if size_bytes >= factor:
            return f"{size_bytes / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size_bytes} bytes"
