"""The sandbox's one error type, carrying exactly what Brevo would answer."""

from __future__ import annotations


class SandboxError(Exception):
    """A request the emulated Brevo refuses: HTTP status plus Brevo's `{code, message}` body.

    Raised by the state for the Python API too, so a test that drives the state directly
    sees the same refusal an HTTP client would.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def not_found() -> SandboxError:
    """Brevo's 404 for a missing deal, company, task or note."""
    return SandboxError(404, "document_not_found", "Document not found")


def invalid(message: str) -> SandboxError:
    return SandboxError(400, "invalid_parameter", message)


def missing(message: str) -> SandboxError:
    return SandboxError(400, "missing_parameter", message)


def unprocessable(message: str) -> SandboxError:
    """Loyalty's business-rule refusals (not enrolled, completed twice) are 422."""
    return SandboxError(422, "unprocessable_entity", message)
