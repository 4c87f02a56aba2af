"""Page sizes Brevo does not document, learned and kept; a server that ignores `offset`.

The counts follow from `service/paging.py` and `domain.sync.PageSizeFacts`, for 45 deals and
BREVO_SYNC_PAGE_SIZE=50 (or `auto`, 1,000) on accounts that serve at most 20 (or 100).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import pytest

from brevo_sync.adapters.memory import MemoryMirror
from brevo_sync.domain.sync import PageSizeFacts
from brevo_sync.errors import BrevoError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.status import mirror_status
from tests.fakes import LIST, FakeBrevo
from tests.unit.service.support import (
    ATTRIBUTES,
    PIPELINES,
    memory_context,
    mirrored,
    pull,
    remote,
)

DEALS = 45


@dataclass(frozen=True)
class Account:
    name: str
    page_size: int | None  # what brevo-sync asks for (None: auto)
    max_limit: int | None
    over_limit: Literal["refuse", "clamp"]
    first: list[tuple[int, int]]  # (offset, limit) of each list call of the first full read
    learned: str | None
    facts: PageSizeFacts
    second: list[int]  # limits of the next pull (25 deals changed)


ACCOUNTS = [
    # Honours 50: one page of 45 that might have been cut, and the empty page proving it wasn't.
    Account("honours", 50, None, "refuse", [(0, 50), (45, 50)], None,
            PageSizeFacts(floor=45), [50]),
    # Cuts pages to 20 without a word: a short page of 20 is the end or a cut, the next offset
    # tells (20 more: a cut, learned); then pages of 20, the last one short. No request wasted.
    Account("clamps", 50, 20, "clamp", [(0, 50), (20, 50), (40, 20)], "clamped at 20",
            PageSizeFacts(20, 20, "clamped"), [20, 20]),
    # Refuses 50 with a 400 naming 20: the page is asked again at 20, then pages of 20.
    Account("refuses", 50, 20, "refuse", [(0, 50), (0, 20), (20, 20), (40, 20)],
            "refused at 20", PageSizeFacts(20, 20, "refused"), [20, 20]),
    # `auto` asks for 1,000; refused, it takes the 100 the error names; 45 deals then end it
    # only with an empty page (a page of 45 < 100 may have been cut).
    Account("auto, refuses", None, 100, "refuse", [(0, 1000), (0, 100), (45, 100)],
            "refused at 100", PageSizeFacts(45, 100, "refused"), [100]),
]  # fmt: skip


@pytest.mark.parametrize("account", ACCOUNTS, ids=lambda a: a.name)
def test_the_page_size_is_learned_stored_and_reused(
    mirror: MemoryMirror, brevo: FakeBrevo, account: Account
) -> None:
    ctx = memory_context(mirror, brevo, page=account.page_size)
    brevo.max_limit, brevo.over_limit = account.max_limit, account.over_limit
    ids = brevo.add(DEALS)
    report = pull(ctx)
    assert [(c.offset, c.limit) for c in brevo.calls] == account.first
    assert report.requests == {LIST: len(account.first), PIPELINES: 1, ATTRIBUTES: 1}
    assert report.page_size_learned == account.learned
    assert mirrored(ctx) == remote(brevo)
    with ctx.uow() as uow:
        assert uow.sync.get().paging == account.facts  # stored with the mirror
    assert mirror_status(ctx, 1000).mirror.paging == account.facts

    brevo.tick(60)
    for deal_id in ids[-25:]:
        brevo.edit(deal_id, amount=2000.0)
    calls = len(brevo.calls)
    again = pull(ctx)
    assert [c.limit for c in brevo.calls[calls:]] == account.second  # no refusal, no probe
    assert again.requests == {LIST: len(account.second)}
    assert again.page_size_learned is None and again.deals_written == 25
    assert mirrored(ctx) == remote(brevo)


def test_a_refusal_that_names_no_size_walks_down_the_ladder(
    mirror: MemoryMirror, brevo: FakeBrevo
) -> None:
    """Without a number in the 400, round sizes are tried (each answer a real page), then the
    gap to the smallest refused size is halved until within a tenth."""
    ctx = memory_context(mirror, brevo, page=None)
    brevo.max_limit = 30
    brevo.add(DEALS)
    original = brevo.list_deals

    def vague(**kw):  # type: ignore[no-untyped-def]
        try:
            return original(**kw)
        except BrevoError as exc:
            raise type(exc)("GET /crm/deals: HTTP 400 invalid_parameter: limit too large",
                            status=400) from None  # fmt: skip

    brevo.list_deals = vague  # type: ignore[method-assign]
    report = pull(ctx)
    # 1000 refused; the ladder: 500, 250, 200, 100, 50 refused, 20 served; halving the gap:
    # 35 refused, 27 served, 31 refused, 29 served, and 31 - 29 is within a tenth of 29: 29 is
    # learned, its answer is the first page (29 deals), the page at 29 (16 deals) the last.
    limits = [c.limit for c in brevo.calls]
    assert limits == [1000, 500, 250, 200, 100, 50, 20, 35, 27, 31, 29, 29]
    assert [c.offset for c in brevo.calls][-2:] == [0, 29]
    assert report.page_size_learned == "refused at 29"
    assert report.requests[LIST] == len(limits)
    assert mirrored(ctx) == remote(brevo)


def test_a_server_repeating_a_page_stops_the_pull_and_loses_nothing(
    ctx: ServiceContext, brevo: FakeBrevo
) -> None:
    brevo.add(25)
    brevo.ignore_offset = True
    with pytest.raises(BrevoError, match="Brevo returned the same page twice at offset 10"):
        pull(ctx)
    assert brevo.list_offsets() == [0, 10]  # no loop: stopped at the first repeat
    assert set(mirrored(ctx)) == {d["id"] for d in brevo.deals[:10]}  # the first page is kept
    stopped = mirror_status(ctx, 1000).mirror
    assert stopped.last_run is not None and stopped.last_run.outcome == "failed"
    assert stopped.last_run.requests == {LIST: 2, PIPELINES: 1, ATTRIBUTES: 1}
    assert stopped.unfinished_run is not None and stopped.unfinished_run.offset == 10

    brevo.ignore_offset = False
    resumed = pull(replace(ctx))
    assert resumed.resumed and brevo.list_offsets()[2:] == [10, 20]
    assert mirrored(ctx) == remote(brevo)
