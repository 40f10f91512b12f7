"""Typed errors for input that cannot become a report.

Each carries a stable `code` so the pipeline can record why a document failed
without parsing exception messages.
"""


class ParseError(Exception):
    """Base class: the input could not be parsed into a report."""

    code = "parse_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class EmptyInput(ParseError):
    code = "empty_input"


class NotText(ParseError):
    """The bytes are not text in any encoding we accept (binary junk)."""

    code = "not_text"


class NotAReport(ParseError):
    """Readable text, but not a government information disclosure annual report."""

    code = "not_a_report"


class UnsupportedForm(ParseError):
    """A document form we do not read (e.g. legacy .doc, images)."""

    code = "unsupported_form"


class UnreadableDocument(ParseError):
    """A corrupt, truncated or malformed PDF/DOCX/HTML document."""

    code = "unreadable_document"


class EncryptedDocument(ParseError):
    code = "encrypted_document"


class NoTextLayer(ParseError):
    """A scanned PDF: pages but no text to read (OCR is out of scope)."""

    code = "no_text_layer"


class InputTooLarge(ParseError):
    """The document (or an archive member) exceeds a size bound."""

    code = "input_too_large"
