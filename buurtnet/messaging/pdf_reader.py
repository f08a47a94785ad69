"""What a PDF holds: its text (pages, document properties, notes and links), how many
pictures it shows and how many files it carries.

A PDF is a program for a renderer: a few kilobytes of compressed content can unfold into
gigabytes, and a crafted file can crash the parser. So the reading runs in a child process
(this file, run as a script with only the standard library and pypdfium2) under a memory
and a time budget; whatever goes wrong there, the web process only learns "unreadable".
"""

import ctypes
import json
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MEMORY_BUDGET = 512 * 1024 * 1024  # bytes of data segment for the child
TIME_BUDGET = 20  # seconds of wall time (and of CPU) for the child
MAX_PAGES = 500


@dataclass(frozen=True)
class PdfContent:
    text: str
    images: int  # picture objects on the pages and in notes
    embedded_files: int  # files carried inside the PDF
    pages: int


def read_pdf(data: bytes) -> PdfContent | None:
    """The PDF's content, or None when it cannot be read within the budget (damaged,
    protected by a password, too many pages, or too heavy to open)."""
    command = [sys.executable, "-I", str(Path(__file__).resolve()), str(MEMORY_BUDGET)]
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and script; the PDF on stdin
            command, input=data, capture_output=True, timeout=TIME_BUDGET, check=False
        )
    except (subprocess.TimeoutExpired, OSError):
        return None
    if done.returncode != 0:
        return None
    try:
        found = json.loads(done.stdout)
        return PdfContent(
            text=str(found["text"]),
            images=int(found["images"]),
            embedded_files=int(found["embedded_files"]),
            pages=int(found["pages"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


# --- The child process -------------------------------------------------------------------


def _read(data: bytes) -> dict:
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument(data)
    if len(pdf) > MAX_PAGES:
        raise ValueError("too many pages")
    properties = pdf.get_metadata_dict(skip_empty=True)
    texts = [properties.get(key, "") for key in ("Title", "Author", "Subject", "Keywords")]
    images = 0
    for index in range(len(pdf)):
        page = pdf[index]
        texts.append(page.get_textpage().get_text_bounded())
        images += sum(1 for _ in page.get_objects(filter=(raw.FPDF_PAGEOBJ_IMAGE,)))
        for number in range(raw.FPDFPage_GetAnnotCount(page.raw)):
            annotation = raw.FPDFPage_GetAnnot(page.raw, number)
            try:
                texts.append(_annotation_text(raw, annotation, b"Contents"))
                texts.append(_link_target(raw, pdf, annotation))
                for k in range(raw.FPDFAnnot_GetObjectCount(annotation)):
                    shown = raw.FPDFAnnot_GetObject(annotation, k)
                    images += raw.FPDFPageObj_GetType(shown) == raw.FPDF_PAGEOBJ_IMAGE
            finally:
                raw.FPDFPage_CloseAnnot(annotation)
    return {
        "text": "\n".join(t for t in texts if t),
        "images": images,
        "embedded_files": pdf.count_attachments(),
        "pages": len(pdf),
    }


def _annotation_text(raw, annotation, key: bytes) -> str:
    size = raw.FPDFAnnot_GetStringValue(annotation, key, None, 0)
    if size <= 2:
        return ""
    buffer = ctypes.create_string_buffer(size)
    pointer = ctypes.cast(buffer, ctypes.POINTER(raw.FPDF_WCHAR))
    raw.FPDFAnnot_GetStringValue(annotation, key, pointer, size)
    return buffer.raw[: size - 2].decode("utf-16-le", errors="replace")


def _link_target(raw, pdf, annotation) -> str:
    link = raw.FPDFAnnot_GetLink(annotation)
    action = raw.FPDFLink_GetAction(link) if link else None
    if not action:
        return ""
    size = raw.FPDFAction_GetURIPath(pdf.raw, action, None, 0)
    if size <= 1:
        return ""
    buffer = ctypes.create_string_buffer(size)
    raw.FPDFAction_GetURIPath(pdf.raw, action, buffer, size)
    return buffer.raw[: size - 1].decode("ascii", errors="replace")


def _main() -> int:
    budget = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_DATA, (budget, budget))
    resource.setrlimit(resource.RLIMIT_CPU, (TIME_BUDGET, TIME_BUDGET))
    try:
        found = _read(sys.stdin.buffer.read())
    except Exception:  # any failure means "unreadable" to the parent
        return 1
    sys.stdout.write(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
