"""Demo invoices rendered as documents (PDFs in several layouts and languages, Factur-X, UBL, scans) with the
exact extraction each should give: documents for `make demo` to show and answers for the benchmark."""

from demo.documents.model import DemoInvoice, DemoLine, Party, Truth, truth_fields, truth_lines, truth_of
from demo.documents.sets import RenderedDocument, render_benchmark_set

__all__ = [
    "DemoInvoice",
    "DemoLine",
    "Party",
    "RenderedDocument",
    "Truth",
    "render_benchmark_set",
    "truth_fields",
    "truth_lines",
    "truth_of",
]
