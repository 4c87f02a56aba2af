"""The sandbox's one error type, carrying exactly what Brevo would answer."""

from __future__ import annotations


class SandboxError(Exception):
    """A request the emulated Brevo refuses: HTTP status plus Brevo's `{code, message}` body.

    Raised by the state for the Python API too, so a test that drives the state directly
    sees the same refusal an HTTP client would. `message_only` marks the answers Brevo is
    documented to give without a `code` (the README's deal 404 and bad pipeline id); the
    `error_style` switch can make every error body look like that.
    """

    def __init__(self, status: int, code: str, message: str, *, message_only: bool = False):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.message_only = message_only

    def body(self, message_only: bool = False) -> dict[str, str]:
        if message_only or self.message_only:
            return {"message": self.message}
        return {"code": self.code, "message": self.message}

    def without_code(self) -> SandboxError:
        """The same refusal, rendered as a message-only body."""
        return SandboxError(self.status, self.code, self.message, message_only=True)


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
