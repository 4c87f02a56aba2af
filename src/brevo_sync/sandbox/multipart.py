"""Reading a `multipart/form-data` body with the standard library's e-mail parser.

Starlette's own form parser needs the optional `python-multipart` package; the sandbox has
one multipart endpoint (`POST /crm/deals/import`) and does not need another dependency.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.parser import BytesParser

from brevo_sync.sandbox.errors import SandboxError


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    content: bytes
    filename: str | None = None
    content_type: str | None = None


def bad_request(message: str) -> SandboxError:
    """The import endpoint's 400, documented as `{"message": ...}` only."""
    return SandboxError(400, "invalid_parameter", message, message_only=True)


def parse_form(content_type: str | None, body: bytes) -> dict[str, Part]:
    """The form's parts by field name (the first of each name). 400 for a body that is not
    multipart/form-data with a boundary."""
    if not content_type or not content_type.lower().startswith("multipart/form-data"):
        raise bad_request("Bad request : the body must be multipart/form-data")
    if "boundary=" not in content_type:
        raise bad_request("Bad request : multipart body without a boundary")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise bad_request("Bad request : the body is not a multipart form")
    parts: dict[str, Part] = {}
    for item in message.iter_parts():
        name = item.get_param("name", header="content-disposition")
        if not isinstance(name, str) or name in parts:
            continue
        payload = item.get_payload(decode=True)
        filename = item.get_filename()
        parts[name] = Part(
            name,
            payload if isinstance(payload, bytes) else b"",
            filename,
            item.get_content_type() if item.get("content-type") else None,
        )
    return parts
