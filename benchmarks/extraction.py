"""Document extraction: per-field exact-match accuracy per engine and set, speed on one core, peak
memory, and 100 uploaded text-layer documents through the extract-documents flow.

Sets: the rendered demo set (invented invoices in four layouts and four languages: text-layer PDFs,
Factur-X PDFs, UBL files, scans), whose truth is exact, and the invoice2data comparison set (ten real
invoices with imperfect labels; the wrong labels are listed in benchmarks.extraction_accuracy and
not counted). Each engine is measured in a child process pinned to one core.
"""

import json
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.extraction_accuracy import (
    INVOICE2DATA_LABEL_ERRORS,
    Accuracy,
    Answers,
    answers_of,
    demo_truth,
    field_accuracy,
    invoice2data_truth,
)
from benchmarks.poll_backlog import prefect_harness
from connectors.documents import detect_kind
from connectors.store.migrate import upgrade
from demo.documents import render_benchmark_set
from flows.extract import ExtractParameters, extract_documents
from services.document_intake import IncomingFile, UploadDetails, Uploader
from services.extraction import ExtractionPolicy, extract
from services.extraction_config import extraction_policy
from services.runtime import services_for
from settings import REPO_ROOT, Settings, get_settings

INVOICE2DATA = REPO_ROOT.parent / "shared" / "datasets" / "invoice2data-compare"
RENDERED = 96  # 48 text-layer PDFs, 12 Factur-X, 12 UBL, 24 scans
FLOW_DOCUMENTS = 100
MAX_PEAK_MB = 1024
ENGINE_OF_KIND = {"text_pdf": "text_layer", "facturx_pdf": "einvoice", "xml": "einvoice", "scan": "ocr"}
TARGETS = {  # (set, engine) → (header fields, line items)
    ("rendered", "einvoice"): (1.0, 1.0),
    ("rendered", "text_layer"): (0.97, 0.95),
    ("rendered", "ocr"): (0.90, None),
    ("invoice2data", "text_layer"): (0.90, None),
}


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        rendered = Path(folder) / "rendered"
        started = time.perf_counter()
        documents = render_benchmark_set(rendered, count=RENDERED)
        print(f"rendered {len(documents)} documents with their truth in {time.perf_counter() - started:.0f} s")
        cases: dict[str, list[tuple[Path, Answers, set[str]]]] = defaultdict(list)
        for document in documents:
            cases[ENGINE_OF_KIND[document.kind]].append((document.path, demo_truth(document.truth), set()))
        for engine in ("einvoice", "text_layer", "ocr"):
            _report("rendered", engine, _measure_on_one_core(cases[engine]))
        if INVOICE2DATA.exists():
            labelled = [
                (pdf, invoice2data_truth(_labels(pdf)), set(INVOICE2DATA_LABEL_ERRORS.get(pdf.stem, {})))
                for pdf in sorted(INVOICE2DATA.glob("*.pdf"))
                if pdf.with_suffix(".json").exists()
            ]
            _report("invoice2data", "text_layer", _measure_on_one_core(labelled))
            for stem, errors in INVOICE2DATA_LABEL_ERRORS.items():
                print(f"  label error, not counted: {stem}: " + "; ".join(f"{k} ({v})" for k, v in errors.items()))
        flow_figures(Path(folder))


def _labels(pdf: Path) -> dict[str, Any]:
    labels: list[dict[str, Any]] = json.loads(pdf.with_suffix(".json").read_text())
    return labels[0]


def _measure_on_one_core(cases: list[tuple[Path, Answers, set[str]]]) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")  # a fresh process: its peak memory is the engine's
    with context.Pool(1) as pool:
        result: dict[str, Any] = pool.apply(_measure, (cases,))
    return result


def _measure(cases: list[tuple[Path, Answers, set[str]]]) -> dict[str, Any]:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    os.environ["OMP_THREAD_LIMIT"] = "1"
    policy: ExtractionPolicy = extraction_policy(Settings(_env_file=None))
    results: list[tuple[Answers, Answers]] = []
    skip: list[set[str]] = []
    per_page: list[float] = []
    engines: dict[str, int] = defaultdict(int)
    for path, truth, skipped in cases:
        data = path.read_bytes()
        kind = detect_kind(data[:4096], file_name=path.name)
        started = time.perf_counter()
        extraction = extract(data, kind, policy)
        elapsed = time.perf_counter() - started
        engines[extraction.engine.value] += 1
        per_page.append(elapsed / max(extraction.pages, 1))
        results.append((answers_of(extraction), truth))
        skip.append(skipped)
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "accuracy": field_accuracy(results, skip),
        "documents": len(cases),
        "engines": dict(engines),
        "per_page": per_page,
        "peak_mb": max(peak_self, peak_children),
    }


def _report(set_name: str, engine: str, measured: dict[str, Any]) -> None:
    accuracy: Accuracy = measured["accuracy"]
    per_page = sorted(measured["per_page"])
    header_target, items_target = TARGETS.get((set_name, engine), (None, None))
    p50 = statistics.median(per_page) if per_page else 0.0
    p95 = per_page[int(0.95 * (len(per_page) - 1))] if per_page else 0.0
    items = f", line items {accuracy.items_rate:.1%}" if accuracy.items[1] else ""
    targets = f"target ≥ {header_target:.0%}" if header_target is not None else ""
    if items_target is not None and accuracy.items[1]:
        targets += f" / ≥ {items_target:.0%}"
    print(
        f"{set_name} · {engine}: {measured['documents']} documents (engines used {measured['engines']}): "
        f"header fields {accuracy.header_rate:.1%}{items} ({targets}); "
        f"{p50 * 1000:.0f} ms a page median, {p95 * 1000:.0f} ms p95, one core; peak {measured['peak_mb']:.0f} MB "
        f"(target ≤ {MAX_PEAK_MB} MB)"
    )
    weakest = sorted(
        [(right / counted, name) for name, (right, counted) in accuracy.header.items()]
        + [(right / counted, f"lines.{name}") for name, (right, counted) in accuracy.lines.items()]
    )[:4]
    print("  weakest fields: " + ", ".join(f"{name} {rate:.0%}" for rate, name in weakest))


def flow_figures(folder: Path) -> None:
    """100 text-layer documents uploaded, then one extract-documents run over them (SQLite)."""
    documents = render_benchmark_set(folder / "flow", count=FLOW_DOCUMENTS, seed=16, kinds=("text_pdf",))
    process_url = f"sqlite:///{folder / 'process.db'}"
    upgrade(process_url)
    os.environ.update(PROCESS_DB_URL=process_url, DOCUMENTS_DIR=str(folder / "stored"))
    get_settings.cache_clear()
    services_for.cache_clear()
    services = services_for(get_settings())
    uploader = Uploader(actor="user:bench", vendor_id=None)
    started = time.perf_counter()
    for start in range(0, len(documents), 20):
        files = [IncomingFile(d.path.name, [d.path.read_bytes()]) for d in documents[start : start + 20]]
        services.documents.upload(files, UploadDetails(), uploader)
    uploaded = time.perf_counter() - started
    with prefect_harness():
        started = time.perf_counter()
        report = extract_documents(ExtractParameters())
        seconds = time.perf_counter() - started
    print(
        f"extract-documents: {report.claimed} uploaded text-layer documents ({sum(d.path.stat().st_size for d in documents) // 1024} kB, "
        f"uploaded in {uploaded:.1f} s) extracted in one run in {seconds:.1f} s "
        f"({report.by_status}; {get_settings().extraction_concurrency} at once; target ≤ 30 s)"
    )
    services.close()
    services_for.cache_clear()
    for name in ("PROCESS_DB_URL", "DOCUMENTS_DIR"):
        os.environ.pop(name, None)
    get_settings.cache_clear()
