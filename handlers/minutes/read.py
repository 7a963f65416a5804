"""Reading a minutes document from disk, whatever its format."""

from __future__ import annotations

from pathlib import Path

from handlers.errors import MinutesError
from handlers.minutes.model import Minutes
from handlers.minutes.text import parse_text

MAX_BYTES = 20 * 1024 * 1024


def read_minutes(path: Path) -> Minutes:
    """Parse the minutes at ``path``. Raises MinutesError with a reason a person can act on."""
    if not path.is_file():
        raise MinutesError(f"There is no file at {path}.")
    if path.stat().st_size > MAX_BYTES:
        raise MinutesError(f"{path.name} is over {MAX_BYTES // 2**20} MB: is it really minutes?")
    return parse_minutes(path.name, path.read_bytes())


def parse_minutes(filename: str, data: bytes) -> Minutes:
    """Parse minutes that arrived as bytes (a file, or an upload in chat), by their file name."""
    suffix = Path(filename).suffix.lower()
    if len(data) > MAX_BYTES:
        raise MinutesError(f"{filename} is over {MAX_BYTES // 2**20} MB: is it really minutes?")
    if suffix == ".txt":
        return parse_text(_decode(filename, data))
    # The Word and HTML readers (python-docx, lxml, BeautifulSoup: ~0.3 s to import) are
    # imported when such a file is read, not when `crb serve` starts.
    if suffix in (".html", ".htm"):
        from handlers.minutes.html import parse_html

        return parse_html(_decode(filename, data))
    if suffix == ".docx":
        from handlers.minutes.docx import parse_docx

        return parse_docx(data)
    if suffix == ".pdf":
        from handlers.minutes.pdf import parse_pdf

        return parse_pdf(data)
    if suffix == ".doc":
        raise MinutesError(
            f"{filename} is an old Word .doc file: open it in Word, save it as .docx and try again."
        )
    raise MinutesError(
        f"I can't read {suffix or 'extensionless'} files: give me the minutes as .docx, .pdf, "
        ".html or .txt."
    )


def _decode(filename: str, data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise MinutesError(f"{filename} is not a text file.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise MinutesError(f"{filename} is not readable text (neither UTF-8 nor Windows-1252).")


# What each kind of minutes starts with: a Word file is a zip archive, HTML a tag.
_WORD_MAGIC = b"PK\x03\x04"
_HTML_START = (b"<!doctype html", b"<html", b"<head", b"<body", b"<!--")


def wrong_kind(filename: str, content_type: str, data: bytes) -> str | None:
    """Why ``data`` downloaded as ``filename`` cannot be the minutes it claims to be, or None.

    Checked before any parser sees it: a web page served in place of a file (a sign-in page,
    answered 200) must never be read as minutes.
    """
    suffix = Path(filename).suffix.lower()
    start = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    looks_html = start.startswith(_HTML_START)
    if suffix in (".html", ".htm"):
        return None if looks_html or not start else "it is not an HTML page"
    if content_type == "text/html" or looks_html:
        return "Slack sent a web page instead of the file (is the bot allowed to read files?)"
    if suffix == ".docx" and not data.startswith(_WORD_MAGIC):
        return "it is not a Word (.docx) file, whatever its name says"
    if suffix == ".txt" and b"\x00" in data[:4096]:
        return "it is not a text file"
    return None
