"""Demo invoices rendered as documents (PDFs in several layouts and languages, Factur-X, UBL, scans) with the
exact extraction each should give: documents for `make demo` to show and answers for the benchmark."""

from demo.documents.from_demo import demo_drafts, demo_invoice
from demo.documents.model import DemoInvoice, DemoLine, Party, Truth, truth_fields, truth_lines, truth_of
from demo.documents.render import RenderedDocument
from demo.documents.sets import render_benchmark_set, render_demo_documents

__all__ = [
    "DemoInvoice",
    "DemoLine",
    "Party",
    "RenderedDocument",
    "Truth",
    "demo_drafts",
    "demo_invoice",
    "render_benchmark_set",
    "render_demo_documents",
    "truth_fields",
    "truth_lines",
    "truth_of",
]
