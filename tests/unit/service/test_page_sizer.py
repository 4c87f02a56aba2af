"""PageSizer on its own: what a refusal or a short page teaches, and what it must not."""

from __future__ import annotations

import pytest

from brevo_sync.domain.sync import DealPage, PageSizeFacts
from brevo_sync.errors import BrevoBadRequest, ConfigError
from brevo_sync.service.paging import PageSizer, RepeatGuard


class Account:
    """Answers a list request of `limit` deals, or refuses it above `maximum`."""

    def __init__(self, maximum: int | None, message: str) -> None:
        self.maximum = maximum
        self.message = message
        self.asked: list[int] = []

    def fetch(self, limit: int) -> DealPage:
        self.asked.append(limit)
        if self.maximum is None or limit > self.maximum:
            raise BrevoBadRequest(f"GET /crm/deals: HTTP 400 {self.message}", status=400)
        return DealPage(items=[{"id": str(i)} for i in range(limit)])


def refusal(account: Account, asked: int) -> BrevoBadRequest:
    return BrevoBadRequest(f"GET /crm/deals: HTTP 400 {account.message}", status=400)


def test_a_refusal_naming_the_maximum_costs_one_more_request() -> None:
    account = Account(100, "invalid_parameter limit must be between 1 and 100")
    sizer = PageSizer(500, PageSizeFacts())
    page, size = sizer.after_refusal(500, refusal(account, 500), account.fetch)
    assert (size, len(page.items), account.asked) == (100, 100, [100])  # not 400, the status
    assert sizer.facts.ceiling == 100 and sizer.facts.ceiling_reason == "refused"
    assert sizer.size == 100 and sizer.learned == "refused at 100"


def test_a_400_that_is_not_about_the_limit_is_raised_as_it_is() -> None:
    account = Account(None, "invalid_parameter modifiedSince is not a date")
    sizer = PageSizer(100, PageSizeFacts())
    error = refusal(account, 100)
    with pytest.raises(BrevoBadRequest) as raised:
        sizer.after_refusal(100, error, account.fetch)
    assert raised.value is error
    assert account.asked == [50]  # one probe at Brevo's documented default, no search
    assert sizer.facts == PageSizeFacts()


def test_a_400_without_words_on_the_limit_is_learned_when_the_default_size_passes() -> None:
    account = Account(80, "bad request")
    sizer = PageSizer(200, PageSizeFacts())
    _, size = sizer.after_refusal(200, refusal(account, 200), account.fetch)
    assert account.asked[0] == 50
    assert 72 <= size <= 80  # within a tenth of the real maximum, never above it
    assert sizer.facts.ceiling == size


def test_an_account_that_refuses_every_size_is_a_setting_to_fix() -> None:
    account = Account(None, "limit is invalid")
    sizer = PageSizer(100, PageSizeFacts())
    with pytest.raises(ConfigError, match=r"^BREVO_SYNC_PAGE_SIZE: "):
        sizer.after_refusal(100, refusal(account, 100), account.fetch)
    assert account.asked == [50, 20, 10, 1]


def test_a_short_page_ends_the_read_only_once_the_size_is_proven() -> None:
    sizer = PageSizer(100, PageSizeFacts())
    assert sizer.after_page(100, 40) is False  # the end, or a page cut at 40: ask once more
    assert sizer.after_page(100, 0) is True and sizer.facts.ceiling is None
    assert sizer.facts.floor == 40
    assert sizer.after_page(100, 39) is True  # shorter than a page this account gave


def test_a_cut_page_is_learned_from_the_page_after_it() -> None:
    sizer = PageSizer(100, PageSizeFacts())
    assert sizer.after_page(100, 50) is False
    assert sizer.after_page(100, 50) is False and sizer.facts.ceiling == 50
    assert sizer.size == 50 and sizer.learned == "clamped at 50"
    assert sizer.after_page(50, 12) is True


def test_the_repeat_guard_knows_the_first_page_the_last_pages_and_exact_repeats() -> None:
    guard = RepeatGuard()
    pages = [[f"d{p}-{i}" for i in range(3)] for p in range(12)]
    for offset, ids in enumerate(pages):
        guard.check(ids, offset * 3)
    guard.check(["d0-0", "new"], 36)  # one id seen before is a shifted list, not a repeat
    for repeated, offset in ((pages[0], 39), (pages[11], 39), (pages[5], 39)):
        with pytest.raises(Exception, match=f"same page twice at offset {offset}"):
            guard.check(repeated, offset)
