"""`POST /crm/deals/import`: Brevo's bulk import, accepted at once and applied later.

The request is a multipart form: `file`, a CSV whose header row holds attribute internal
names plus the optional `deal_id` (update that deal), `associated_contact` and
`associated_company` (ids to link, comma-separated); and `mapping`, a JSON string:
`link_entities`, `unlink_entities`, `update_existing_records`, `unset_empty_attributes`.

What is checked at once (400 `{"message"}`, nothing queued): the file is there, is UTF-8
CSV with a header of known, distinct columns and at least one row of the header's width;
the mapping is a JSON object of booleans; with `update_existing_records`, every `deal_id`
names an existing deal. The answer is 200 `{"processId": n}`.

The rows are applied `delay_seconds` (default 1 s, on the sandbox clock) after the request,
lazily: by the first request that reads or writes deals from then on, so nothing runs in
the background and a test on a manual clock decides when an import lands. Each row then
writes like a POST (no `deal_id`, or `update_existing_records` false) or a PATCH would, with
the due time as its `last_updated_date`; a row whose values Brevo would refuse (bad number,
unknown option, a deal deleted meanwhile, a new deal without `deal_name`) fails alone and is
counted in the process (`GET /_sandbox/imports`).

Assumptions (unverified against Brevo): unknown columns refuse the whole file; without
`update_existing_records` a `deal_id` column is ignored and every row creates; with
`unlink_entities` the associated ids replace the deal's links instead of adding to them;
booleans are `true/false/yes/no/1/0`; multi-choice cells list options separated by commas.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from brevo_sync.sandbox.attributes import AttributeCatalogue
from brevo_sync.sandbox.clock import format_ms
from brevo_sync.sandbox.deals import DealStore
from brevo_sync.sandbox.errors import SandboxError
from brevo_sync.sandbox.multipart import bad_request

DEAL_ID = "deal_id"
CONTACTS = "associated_contact"
COMPANIES = "associated_company"
SPECIAL = (DEAL_ID, CONTACTS, COMPANIES)
MAPPING_KEYS = (
    "link_entities",
    "unlink_entities",
    "update_existing_records",
    "unset_empty_attributes",
)
DEFAULT_MAPPING = {
    "link_entities": True,
    "unlink_entities": False,
    "update_existing_records": False,
    "unset_empty_attributes": False,
}
DEFAULT_DELAY_SECONDS = 1.0
_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0")


@dataclass(slots=True)
class ImportProcess:
    id: int
    rows: list[dict[str, str]]
    mapping: dict[str, bool]
    submitted_ms: int
    due_ms: int
    status: str = "queued"  # then "applied"
    applied_ms: int | None = None
    created: list[str] = field(default_factory=list)  # ids of the deals it created
    updated: list[str] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)  # {"row": n, "message": ...}

    def to_json(self) -> dict[str, Any]:
        return {
            "processId": self.id,
            "status": self.status,
            "rows": len(self.rows),
            "created": len(self.created),
            "updated": len(self.updated),
            "failed": len(self.failed),
            "created_ids": list(self.created),
            "updated_ids": list(self.updated),
            "errors": [dict(e) for e in self.failed],
            "mapping": dict(self.mapping),
            "submitted_at": format_ms(self.submitted_ms),
            "due_at": format_ms(self.due_ms),
            "applied_at": None if self.applied_ms is None else format_ms(self.applied_ms),
        }


def parse_mapping(raw: bytes | None) -> dict[str, bool]:
    if raw is None or not raw.strip():
        return dict(DEFAULT_MAPPING)
    try:
        value = json.loads(raw)
    except ValueError:
        raise bad_request("Bad request : mapping is not valid JSON") from None
    if not isinstance(value, dict):
        raise bad_request("Bad request : mapping must be a JSON object")
    mapping = dict(DEFAULT_MAPPING)
    for key, flag in value.items():
        if key not in MAPPING_KEYS:
            raise bad_request(f"Bad request : unknown mapping option {key}")
        if not isinstance(flag, bool):
            raise bad_request(f"Bad request : mapping option {key} must be true or false")
        mapping[key] = flag
    return mapping


def parse_rows(raw: bytes | None, catalogue: AttributeCatalogue) -> list[dict[str, str]]:
    """The CSV's rows as {column: cell}; 400 for anything that is not a usable file."""
    if raw is None:
        raise bad_request("Bad request : file is required")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise bad_request("Bad request : the file is not UTF-8 text") from None
    try:
        table = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    except csv.Error as exc:
        raise bad_request(f"Bad request : the file is not valid CSV ({exc})") from None
    if not table:
        raise bad_request("Bad request : the file has no header row")
    header = [name.strip() for name in table[0]]
    if any(not name for name in header):
        raise bad_request("Bad request : the header row has an empty column name")
    if len(set(header)) != len(header):
        raise bad_request("Bad request : the header row names a column twice")
    unknown = [n for n in header if n not in SPECIAL and n not in catalogue]
    if unknown:
        raise bad_request(f"Bad request : Attribute {unknown[0]} does not exist")
    if len(table) < 2:
        raise bad_request("Bad request : the file has no rows")
    rows = []
    for number, cells in enumerate(table[1:], 1):
        if len(cells) != len(header):
            raise bad_request(
                f"Bad request : row {number} has {len(cells)} cells, the header {len(header)}"
            )
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


class ImportStore:
    """The import processes, in the order they were accepted. Not thread-safe by itself:
    `SandboxState` holds its lock around every call."""

    def __init__(self, delay_seconds: float = DEFAULT_DELAY_SECONDS) -> None:
        self.delay_seconds = delay_seconds
        self.processes: list[ImportProcess] = []
        self.queued = 0  # processes not applied yet

    @property
    def delay_seconds(self) -> float:
        return self._delay_seconds

    @delay_seconds.setter
    def delay_seconds(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError("delay_seconds must be a number >= 0")
        self._delay_seconds = float(value)

    def submit(
        self, rows: list[dict[str, str]], mapping: dict[str, bool], deals: DealStore, now_ms: int
    ) -> ImportProcess:
        if mapping["update_existing_records"]:
            for number, row in enumerate(rows, 1):
                deal_id = row.get(DEAL_ID, "").strip()
                if deal_id and deal_id not in deals.records:
                    raise bad_request(f"Bad request : deal {deal_id} not found (row {number})")
        due = now_ms + round(self._delay_seconds * 1000)
        process = ImportProcess(len(self.processes) + 1, rows, mapping, now_ms, due)
        self.processes.append(process)
        self.queued += 1
        return process

    def settle(self, now_ms: int, apply: Callable[[ImportProcess], None]) -> None:
        """Apply every queued process that is due, oldest first."""
        for process in self.processes:
            if process.status == "queued" and process.due_ms <= now_ms:
                apply(process)
                process.status = "applied"
                process.applied_ms = now_ms
                self.queued -= 1

    def to_json(self) -> dict[str, Any]:
        return {
            "delay_seconds": self._delay_seconds,
            "processes": [p.to_json() for p in self.processes],
        }


def apply_process(
    process: ImportProcess,
    deals: DealStore,
    owner_written: Callable[[Mapping[str, Any] | None], Mapping[str, Any] | None],
) -> None:
    """Write every row as Brevo would, at the process's due time; a refused row fails alone."""
    mapping = process.mapping
    for number, row in enumerate(process.rows, 1):
        try:
            deal_id = row.get(DEAL_ID, "").strip() if mapping["update_existing_records"] else ""
            attributes = _attributes(row, deals.catalogue, mapping["unset_empty_attributes"])
            attributes = dict(owner_written(attributes) or {})
            if deal_id:
                _update(deals, deal_id, row, attributes, mapping, process.due_ms)
                process.updated.append(deal_id)
            else:
                name = attributes.pop("deal_name", None)
                contacts, companies = _links(row) if mapping["link_entities"] else ([], [])
                rec = deals.create(
                    name, attributes, contacts, companies, process.due_ms, process.due_ms
                )
                process.created.append(rec.id)
        except SandboxError as exc:
            process.failed.append({"row": number, "message": exc.message})


def _update(
    deals: DealStore,
    deal_id: str,
    row: Mapping[str, str],
    attributes: dict[str, Any],
    mapping: Mapping[str, bool],
    now_ms: int,
) -> None:
    rec = deals.get(deal_id)  # 404 when it was deleted since the request: the row fails
    contacts: list[int] | None = None
    companies: list[str] | None = None
    if mapping["link_entities"] and (row.get(CONTACTS) or row.get(COMPANIES)):
        new_contacts, new_companies = _links(row)
        if mapping["unlink_entities"]:
            contacts, companies = new_contacts, new_companies
        else:
            contacts = rec.contacts + [c for c in new_contacts if c not in rec.contacts]
            companies = rec.companies + [c for c in new_companies if c not in rec.companies]
    name = attributes.pop("deal_name", None)
    deals.update(deal_id, name, attributes, contacts, companies, now_ms)


def _links(row: Mapping[str, str]) -> tuple[list[int], list[str]]:
    contacts = []
    for part in _split(row.get(CONTACTS, "")):
        if not part.isdigit():
            raise SandboxError(400, "invalid_parameter", f"contact id {part!r} is not a number")
        contacts.append(int(part))
    return contacts, _split(row.get(COMPANIES, ""))


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(",") if part.strip()]


def _attributes(
    row: Mapping[str, str], catalogue: AttributeCatalogue, unset_empty: bool
) -> dict[str, Any]:
    """The row's attribute cells as typed values (the store validates them further)."""
    out: dict[str, Any] = {}
    for name, cell in row.items():
        if name in SPECIAL:
            continue
        value = cell.strip()
        if not value:
            if unset_empty:
                out[name] = None
            continue
        definition = catalogue.get(name)
        kind = definition.type if definition is not None else "text"
        out[name] = _typed(name, kind, value)
    return out


def _typed(name: str, kind: str, value: str) -> Any:
    if kind == "number":
        try:
            number = float(value)
        except ValueError:
            raise SandboxError(400, "invalid_parameter", f"{name} must be a number") from None
        return int(number) if number.is_integer() and "." not in value else number
    if kind == "boolean":
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise SandboxError(400, "invalid_parameter", f"{name} must be a boolean")
    if kind == "multi-choice":
        return _split(value)
    return value
