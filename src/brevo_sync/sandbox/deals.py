"""Deals: storage, Brevo's validation rules, and the bookkeeping Brevo does on every write.

Not thread-safe by itself: `SandboxState` holds the one lock around every call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from brevo_sync.sandbox.attributes import AttributeCatalogue
from brevo_sync.sandbox.catalogue import PipelineDef
from brevo_sync.sandbox.clock import format_ms
from brevo_sync.sandbox.errors import invalid, missing, not_found
from brevo_sync.sandbox.ids import ObjectIdFactory
from brevo_sync.sandbox.index import DealIndex, DealRecord


class DealStore:
    def __init__(
        self, catalogue: AttributeCatalogue, pipelines: Sequence[PipelineDef], ids: ObjectIdFactory
    ) -> None:
        self.catalogue = catalogue
        self.pipelines = {p.id: p for p in pipelines}
        self._stage_pipeline = {sid: p.id for p in pipelines for sid in p.stage_ids()}
        self._ids = ids
        self.records: dict[str, DealRecord] = {}
        self.index = DealIndex(self.records)
        self.by_company: dict[str, dict[str, None]] = {}  # company id -> deal ids (ordered set)
        self._seq = 0

    def __len__(self) -> int:
        return len(self.records)

    def get(self, deal_id: str) -> DealRecord:
        rec = self.records.get(deal_id)
        if rec is None:
            raise not_found()
        return rec

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def new_id(self, epoch_ms: int) -> str:
        return self._ids.new(epoch_ms)

    def load(self, records: list[DealRecord]) -> None:
        """Bulk insert pre-built, already valid records (seeding), in creation order."""
        by_company = self.by_company
        for rec in records:
            self.records[rec.id] = rec
            for cid in rec.companies:
                by_company.setdefault(cid, {})[rec.id] = None
        self._seq = max([self._seq, *(r.seq for r in records)])
        self.index.bulk_load(list(self.records.values()))

    def create(
        self,
        name: Any,
        attributes: Mapping[str, Any] | None,
        contacts: Iterable[Any] | None,
        companies: Iterable[Any] | None,
        now_ms: int,
        created_ms: int | None = None,
    ) -> DealRecord:
        if not isinstance(name, str) or not name.strip():
            raise missing("name is required")
        values = self.catalogue.validate(dict(attributes or {}))
        values["deal_name"] = name
        pipeline, stage = self._placement(values.get("pipeline"), values.get("deal_stage"), None)
        contact_ids = _contact_ids(contacts or [])
        company_ids = _company_ids(companies or [])
        created = now_ms if created_ms is None else created_ms
        stamp = format_ms(created)
        attrs: dict[str, Any] = {"deal_name": name}
        for key, value in values.items():
            if value is not None and key not in ("deal_name", "pipeline", "deal_stage"):
                attrs[key] = value
        attrs.update(
            pipeline=pipeline,
            deal_stage=stage,
            stage_updated_at=stamp,
            created_at=stamp,
            last_updated_date=format_ms(max(created, now_ms)),
            number_of_contacts=len(contact_ids),
            number_of_activities=0,
        )
        rec = DealRecord(
            self.new_id(created),
            self.next_seq(),
            created,
            max(created, now_ms),
            attrs,
            contact_ids,
            company_ids,
        )
        self.records[rec.id] = rec
        self.index.add(rec)
        self._link_companies(rec.id, (), company_ids)
        return rec

    def update(
        self,
        deal_id: str,
        name: Any,
        attributes: Mapping[str, Any] | None,
        contacts: Iterable[Any] | None,
        companies: Iterable[Any] | None,
        now_ms: int,
    ) -> DealRecord:
        """PATCH semantics: given attributes change, None clears, linked lists are replaced."""
        rec = self.get(deal_id)
        values = self.catalogue.validate(dict(attributes or {}))
        if name is not None:
            if not isinstance(name, str) or not name.strip():
                raise invalid("name must be a non-empty string")
            values["deal_name"] = name
        attrs = rec.attributes
        old_stage = attrs.get("deal_stage")
        pipeline, stage = self._placement(
            values.pop("pipeline", None), values.pop("deal_stage", None), rec
        )
        contact_ids = None if contacts is None else _contact_ids(contacts)
        company_ids = None if companies is None else _company_ids(companies)
        for key, value in values.items():  # everything validated: now apply
            if value is None:
                attrs.pop(key, None)
            else:
                attrs[key] = value
        attrs["pipeline"], attrs["deal_stage"] = pipeline, stage
        if stage != old_stage:
            attrs["stage_updated_at"] = format_ms(now_ms)
        if contact_ids is not None:
            rec.contacts = contact_ids
            attrs["number_of_contacts"] = len(contact_ids)
        if company_ids is not None:
            self._link_companies(rec.id, rec.companies, company_ids)
            rec.companies = company_ids
        self.touch(rec, now_ms)
        return rec

    def link_unlink(self, deal_id: str, links: Mapping[str, Any], now_ms: int) -> DealRecord:
        rec = self.get(deal_id)
        add_contacts = _contact_ids(links.get("linkContactIds") or [])
        drop_contacts = set(_contact_ids(links.get("unlinkContactIds") or []))
        add_companies = _company_ids(links.get("linkCompanyIds") or [])
        drop_companies = set(_company_ids(links.get("unlinkCompanyIds") or []))
        contacts = [c for c in rec.contacts if c not in drop_contacts]
        contacts += [c for c in add_contacts if c not in contacts]
        companies = [c for c in rec.companies if c not in drop_companies]
        companies += [c for c in add_companies if c not in companies]
        return self.update(deal_id, None, None, contacts, companies, now_ms)

    def delete(self, deal_id: str) -> None:
        rec = self.get(deal_id)
        self.index.remove(rec)
        self._link_companies(rec.id, rec.companies, ())
        del self.records[deal_id]

    def touch(self, rec: DealRecord, now_ms: int) -> None:
        """Every write is a modification: new `last_updated_date`, re-indexed."""
        rec.attributes["last_updated_date"] = format_ms(now_ms)
        self.index.retime(rec, now_ms)

    def _placement(self, pipeline: Any, stage: Any, rec: DealRecord | None) -> tuple[str, str]:
        """Where the deal ends up. The stage must belong to the pipeline (400 otherwise)."""
        if pipeline is not None and pipeline not in self.pipelines:
            raise invalid(f"Pipeline {pipeline} not found")
        if stage is not None and stage not in self._stage_pipeline:
            raise invalid(f"Stage {stage} not found")
        current_pipeline = rec.attributes["pipeline"] if rec else None
        current_stage = rec.attributes["deal_stage"] if rec else None
        if pipeline is None:
            # Brevo moves a deal only when told both; a stage alone must fit where it is.
            pipeline = current_pipeline or (
                self._stage_pipeline[stage] if stage else next(iter(self.pipelines))
            )
        if stage is None:
            if rec is not None and pipeline == current_pipeline:
                stage = current_stage
            elif rec is not None:
                raise missing("deal_stage is required when the pipeline changes")
            else:
                stage = self.pipelines[pipeline].stage_ids()[0]
        if stage not in self.pipelines[pipeline].stage_ids():
            raise invalid(f"Stage {stage} does not belong to pipeline {pipeline}")
        return str(pipeline), str(stage)

    def _link_companies(self, deal_id: str, old: Iterable[str], new: Iterable[str]) -> None:
        for cid in old:
            linked = self.by_company.get(cid)
            if linked is not None:
                linked.pop(deal_id, None)
        for cid in new:
            self.by_company.setdefault(cid, {})[deal_id] = None


def _contact_ids(values: Iterable[Any]) -> list[int]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise invalid("linkedContactsIds must be a list of integers")
    out: list[int] = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise invalid("linkedContactsIds must be a list of positive integers")
        if v not in out:
            out.append(v)
    return out


def _company_ids(values: Iterable[Any]) -> list[str]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise invalid("linkedCompaniesIds must be a list of strings")
    out: list[str] = []
    for v in values:
        if not isinstance(v, str) or not v:
            raise invalid("linkedCompaniesIds must be a list of company ids (strings)")
        if v not in out:
            out.append(v)
    return out
