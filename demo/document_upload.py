"""The demo's documents, uploaded through the API as a new user would: the demo vendor's own by the
demo vendor user, the rest by the AP clerk (who names the vendor each came from). Uploading again is
harmless: the same file is the same document."""

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import httpx

FILES_PER_REQUEST = 20


@dataclass(frozen=True)
class SentDocument:
    path: Path
    vendor_id: str


def sent_documents(manifest_path: Path, documents_dir: Path) -> list[SentDocument]:
    """The documents the demo seed rendered instead of marketplace rows (none when it rendered none)."""
    if not manifest_path.exists():
        return []
    sent = json.loads(manifest_path.read_text(encoding="utf-8")).get("documents", {})
    return [
        SentDocument(documents_dir / each["file"], each["vendor_id"])
        for _, each in sorted(sent.items(), key=lambda item: int(item[0]))
        if (documents_dir / each["file"]).exists()
    ]


def demo_vendor_id(documents: list[SentDocument]) -> str | None:
    """The vendor whose demo user signs in to the vendor's view: the one that sent the most documents."""
    counts: dict[str, int] = defaultdict(int)
    for document in documents:
        counts[document.vendor_id] += 1
    return max(sorted(counts), key=lambda vendor_id: counts[vendor_id]) if counts else None


def upload_all(
    api_url: str, documents: list[SentDocument], *, clerk_token: str, vendor_token: str | None, vendor_id: str | None
) -> dict[str, int]:
    """Upload every document; how many were new, and how many were there already."""
    tally = {"new": 0, "already uploaded": 0}
    by_uploader: dict[tuple[str, str | None], list[Path]] = defaultdict(list)
    for document in documents:
        if vendor_token is not None and document.vendor_id == vendor_id:
            by_uploader[(vendor_token, None)].append(document.path)
        else:
            by_uploader[(clerk_token, document.vendor_id)].append(document.path)
    with httpx.Client(base_url=api_url, timeout=120) as client:
        for (token, named_vendor), paths in sorted(by_uploader.items(), key=lambda item: str(item[0][1])):
            for start in range(0, len(paths), FILES_PER_REQUEST):
                batch = paths[start : start + FILES_PER_REQUEST]
                response = client.post(
                    "/api/v1/documents",
                    headers={"Authorization": f"Bearer {token}"},
                    files=[("files", (path.name, path.read_bytes())) for path in batch],
                    data={"vendor_id": named_vendor} if named_vendor else {},
                )
                response.raise_for_status()
                for uploaded in response.json()["documents"]:
                    tally["new" if uploaded["created"] else "already uploaded"] += 1
    return tally
