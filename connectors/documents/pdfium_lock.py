"""One lock for every call into PDFium in this process.

PDFium is not thread-safe, not even across different documents: two threads inside it at once can
crash the process (pypdfium2's documentation, "Incompatibility with Threading"). The API takes uploads
in on a thread pool and the extraction flow may read several documents at once, so every use of
pypdfium2, direct or through pdfplumber's page images, holds this lock.
"""

import threading

PDFIUM_LOCK = threading.RLock()
