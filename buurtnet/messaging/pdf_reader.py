"""What a PDF holds: its text (pages, document properties, notes and links), how many
pictures it shows and how many files it carries.

A PDF is a program for a renderer: a few kilobytes of compressed content can unfold into
gigabytes, and a crafted file can crash the parser. So the reading runs in a child process
(this file, run as a script with only the standard library and pypdfium2) under a memory
and a time budget; whatever goes wrong there, the web process only learns "unreadable".
The child collects text only up to the length its caller will check, and the parent reads
no more of its answer than that text can take, so a PDF with hundreds of pages of text
costs neither process its memory.
"""

import ctypes
import json
import resource
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

MEMORY_BUDGET = 512 * 1024 * 1024  # bytes of data segment for the child
TIME_BUDGET = 20  # seconds of wall time (and of CPU) for the child
MAX_PAGES = 500
# Bytes of answer per character of text: JSON writes a character outside ASCII as a \u escape
# (two of them for one beyond the Basic Multilingual Plane), 6 bytes per UTF-16 unit.
ANSWER_BYTES_PER_CHARACTER = 12
ANSWER_OVERHEAD = 1024  # the JSON object's keys and numbers


@dataclass(frozen=True)
class PdfContent:
    text: str
    images: int  # picture objects on the pages and in notes
    embedded_files: int  # files carried inside the PDF
    pages: int


def read_pdf(data: bytes, *, max_text: int) -> PdfContent | None:
    """The PDF's content, or None when it cannot be read within the budget (damaged,
    protected by a password, too many pages, or too heavy to open). Its text is cut after
    `max_text` + 1 characters: a text longer than `max_text` is too long to check, and
    reading the rest would only cost time and memory."""
    command = [
        sys.executable,
        "-I",
        str(Path(__file__).resolve()),
        str(MEMORY_BUDGET),
        str(max_text + 1),
    ]
    answer = _run(
        command, data, limit=(max_text + 1) * ANSWER_BYTES_PER_CHARACTER + ANSWER_OVERHEAD
    )
    if answer is None:
        return None
    try:
        found = json.loads(answer)
        return PdfContent(
            text=str(found["text"]),
            images=int(found["images"]),
            embedded_files=int(found["embedded_files"]),
            pages=int(found["pages"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _run(command: list[str], data: bytes, *, limit: int) -> bytes | None:
    """The child's answer, or None when it failed, ran out of time or said more than `limit`
    bytes. The child reads all of its input before it writes, so writing first and then
    reading cannot block both; a timer kills the child when the time is up, which ends
    either."""
    try:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and script; the PDF on stdin
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None
    timer = threading.Timer(TIME_BUDGET, child.kill)
    timer.start()
    try:
        try:
            child.stdin.write(data)
            child.stdin.close()
        except OSError:  # the child ended before it read everything: its exit status says
            pass
        answer = child.stdout.read(limit + 1)
        if len(answer) > limit:
            child.kill()
        returncode = child.wait()
    finally:
        timer.cancel()
        child.stdout.close()
        if child.poll() is None:
            child.kill()
            child.wait()
    if returncode != 0 or len(answer) > limit:
        return None
    return answer


# --- The child process -------------------------------------------------------------------


def _read(data: bytes, max_text: int) -> dict:
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument(data)
    if len(pdf) > MAX_PAGES:
        raise ValueError("too many pages")
    properties = pdf.get_metadata_dict(skip_empty=True)
    texts = _Texts(max_text)
    for key in ("Title", "Author", "Subject", "Keywords"):
        texts.append(properties.get(key, ""))
    images = 0
    for index in range(len(pdf)):
        page = pdf[index]
        if not texts.full:
            texts.append(page.get_textpage().get_text_bounded())
        images += sum(1 for _ in page.get_objects(filter=(raw.FPDF_PAGEOBJ_IMAGE,)))
        for number in range(raw.FPDFPage_GetAnnotCount(page.raw)):
            annotation = raw.FPDFPage_GetAnnot(page.raw, number)
            try:
                if not texts.full:
                    texts.append(_annotation_text(raw, annotation, b"Contents"))
                    texts.append(_link_target(raw, pdf, annotation))
                for k in range(raw.FPDFAnnot_GetObjectCount(annotation)):
                    shown = raw.FPDFAnnot_GetObject(annotation, k)
                    images += raw.FPDFPageObj_GetType(shown) == raw.FPDF_PAGEOBJ_IMAGE
            finally:
                raw.FPDFPage_CloseAnnot(annotation)
    return {
        "text": texts.joined(),
        "images": images,
        "embedded_files": pdf.count_attachments(),
        "pages": len(pdf),
    }


class _Texts:
    """The PDF's texts, one per line, up to `limit` characters in all."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.length = 0

    @property
    def full(self) -> bool:
        return self.length >= self.limit

    def append(self, text: str) -> None:
        if text and not self.full:
            self.parts.append(text)
            self.length += len(text) + 1

    def joined(self) -> str:
        return "\n".join(self.parts)[: self.limit]


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
    budget, max_text = int(sys.argv[1]), int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_DATA, (budget, budget))
    resource.setrlimit(resource.RLIMIT_CPU, (TIME_BUDGET, TIME_BUDGET))
    try:
        found = _read(sys.stdin.buffer.read(), max_text)
    except Exception:  # any failure means "unreadable" to the parent
        return 1
    sys.stdout.write(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
