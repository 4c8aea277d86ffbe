"""Page images: the first render of a page (cold cache) and a cached read, through the service in this
process and through GET /api/v1/documents/{id}/pages/{page} of the API under uvicorn (`python -m api`, its
own process, one worker, a clerk's session cookie), over rendered demo PDFs and scans.

Targets: first render ≤ 300 ms, cached read ≤ 20 ms (median and p95).
"""

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import sqlalchemy as sa

from api.security import SESSION_COOKIE
from benchmarks.api_server import api_process
from connectors.documents import DocumentStorage
from connectors.erp.demo_schema import metadata as erp_metadata
from connectors.marketplace.schema import metadata as marketplace_metadata
from connectors.store import ProcessStore
from connectors.store.document_reads import DocumentRecord
from connectors.store.migrate import upgrade
from demo.documents import render_benchmark_set
from domain.documents import Engine, Extraction, PageTurn
from services.page_images import PageImages

PORT = 8771
PASSWORD = "page images benchmark 2026"
TEXT_PDFS, SCANS = 16, 6
CACHED_READS = 5  # per page
FIRST_TARGET_MS, CACHED_TARGET_MS = 300.0, 20.0
MAX_PIXELS = 60_000_000


def run() -> None:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        text_pdfs = [doc.path for doc in render_benchmark_set(folder / "pdf", count=TEXT_PDFS, kinds=("text_pdf",))]
        scan_files = [doc.path for doc in render_benchmark_set(folder / "scan", count=SCANS, kinds=("scan",))]
        urls = {name: f"sqlite:///{folder / f'{name}.db'}" for name in ("marketplace", "erp", "process")}
        for name, metadata in (("marketplace", marketplace_metadata), ("erp", erp_metadata)):
            engine = sa.create_engine(urls[name])
            metadata.create_all(engine)
            engine.dispose()
        upgrade(urls["process"])
        store = ProcessStore.from_url(urls["process"])
        store.accounts.create_user("bench.clerk", PASSWORD, "clerk")
        documents_dir = folder / "documents"
        with api_process(
            marketplace_url=urls["marketplace"],
            erp_url=urls["erp"],
            process_url=urls["process"],
            port=PORT,
            environment={"DOCUMENTS_DIR": str(documents_dir)},
        ) as (base_url, _server):
            clerk = _signed_in(base_url)
            scans = set(_uploaded(clerk, scan_files))
            records = [store.documents.get(document_id) for document_id in [*_uploaded(clerk, text_pdfs), *scans]]
            pages = [(record, number) for record in records for number in range(1, (record.pages or 1) + 1)]
            groups = {
                "text PDFs": [(record, n) for record, n in pages if record.id not in scans],
                "scans": [(record, n) for record, n in pages if record.id in scans],
            }
            # As OCR would have it: a scan straightened by 1.5° before it was read, so its image is turned too.
            groups["scans straightened"] = [(_straightened(record, n), n) for record, n in groups["scans"]]
            service = PageImages(DocumentStorage(documents_dir), folder / "service-cache", max_pixels=MAX_PIXELS)
            for label, group in groups.items():
                first = [_timed(_reader(service, record, number)) for record, number in group]
                cached = [_timed(_reader(service, record, n)) for record, n in group for _ in range(CACHED_READS)]
                _print(f"service, {label}", len(group), first, cached)
            for label in ("text PDFs", "scans"):
                group = groups[label]
                first = [_timed(_getter(clerk, record.id, number)) for record, number in group]
                cached = [
                    _timed(_getter(clerk, record.id, number)) for record, number in group for _ in range(CACHED_READS)
                ]
                _print(f"HTTP route, {label}", len(group), first, cached)
            clerk.close()
        store.close()


def _signed_in(base_url: str) -> httpx.Client:
    answer = httpx.post(
        f"{base_url}/api/v1/auth/login", json={"username": "bench.clerk", "password": PASSWORD}, timeout=60
    )
    answer.raise_for_status()
    return httpx.Client(base_url=base_url, timeout=60, cookies={SESSION_COOKIE: answer.json()["token"]})


def _uploaded(clerk: httpx.Client, files: list[Path]) -> list[int]:
    ids = []
    for path in files:
        answer = clerk.post(
            "/api/v1/documents", files=[("files", (path.name, path.read_bytes()))], data={"vendor_id": "V1"}
        )
        answer.raise_for_status()
        ids.append(int(answer.json()["documents"][0]["id"]))
    return ids


def _straightened(record: DocumentRecord, page: int) -> DocumentRecord:
    turn = PageTurn(page=page, skew_degrees=1.5)
    extraction = Extraction(engine=Engine.OCR, engine_reason="benchmark", pages=record.pages or 1, page_turns=(turn,))
    return record.model_copy(update={"extraction": extraction})


def _reader(service: PageImages, record: DocumentRecord, page: int) -> Callable[[], object]:
    return lambda: service.image_of(record, page).path.read_bytes()


def _getter(client: httpx.Client, document_id: int, page: int) -> Callable[[], object]:
    def get() -> object:
        answer = client.get(f"/api/v1/documents/{document_id}/pages/{page}")
        answer.raise_for_status()
        return answer.content

    return get


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def _print(label: str, pages: int, first: list[float], cached: list[float]) -> None:
    def verdict(values: list[float], target: float) -> str:
        return "ok" if _p95(values) <= target else "OVER"

    print(
        f"page images [{label}], {pages} pages: first render median {statistics.median(first):.0f} ms, "
        f"p95 {_p95(first):.0f} ms (target ≤ {FIRST_TARGET_MS:.0f}: {verdict(first, FIRST_TARGET_MS)}); "
        f"cached median {statistics.median(cached):.1f} ms, p95 {_p95(cached):.1f} ms "
        f"(target ≤ {CACHED_TARGET_MS:.0f}: {verdict(cached, CACHED_TARGET_MS)})",
        flush=True,
    )
