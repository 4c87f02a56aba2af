"""How a pull pages when Brevo documents no maximum page size, and when a server misbehaves.

`PageSizer` asks for the configured size (or `auto`: as many as the account will give) and
learns from what comes back (see `domain.sync.PageSizeFacts`):
- a clamp: a short page that is not the end (the next offset still has deals) teaches the
  size the server cuts pages to; no request is wasted, the next page is needed anyway;
- a refusal: a 400 for a `limit` above what the account accepts. The page is asked again at
  the largest size the account accepts: the size the error names, else a ladder of round
  sizes, then halving the gap until it is within a tenth, each answer a real page of data.
Either way the size is stored in the mirror, logged once, and used from then on.

`RepeatGuard` stops a run whose server hands back a page it already gave (a server that
ignores `offset` would otherwise make a pull loop forever, spending the whole budget).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from brevo_sync.domain.sync import DOCUMENTED_PAGE_SIZE, DealPage, PageSizeFacts
from brevo_sync.errors import BrevoBadRequest, BrevoError, ConfigError

log = structlog.get_logger(__name__)

# Round sizes tried (largest first) when a refusal does not say what the maximum is.
LADDER = (1000, 500, 250, 200, 100, 50, 20, 10, 1)
# How many recent pages a run remembers the ids of, besides its first page.
REMEMBERED_PAGES = 8


@dataclass
class PageSizer:
    wanted: int
    facts: PageSizeFacts
    pending_clamp: int | None = None  # a short page that may have been cut, awaiting proof
    learned: str | None = None  # what this run learned, for the report

    @property
    def size(self) -> int:
        return self.facts.size_for(self.wanted)

    def after_page(self, asked: int, got: int) -> bool:
        """Take in a page of `got` deals asked for `asked`; return whether the read ends."""
        if self.pending_clamp is not None and got > 0:
            self._learn(self.pending_clamp, "clamped")
        self.pending_clamp = None
        ends = self.facts.ends_read(asked, got)
        if not ends and 0 < got < asked:
            self.pending_clamp = got  # the end, or a cut page: the next offset tells
        self.facts = self.facts.saw_page(got)
        return ends

    def after_refusal(
        self, asked: int, error: BrevoBadRequest, fetch: Callable[[int], DealPage]
    ) -> tuple[DealPage, int]:
        """The page at the largest size the account accepts below `asked`, learned; or the
        original error when the 400 is about something else."""
        accepted, refused = 0, asked
        best: tuple[DealPage, int] | None = None

        def probe(size: int) -> bool:
            nonlocal accepted, refused, best
            try:
                best = (fetch(size), size)
            except BrevoBadRequest:
                refused = size
                return False
            accepted = size
            return True

        if "limit" not in str(error).lower():
            # A 400 that does not name the limit is ours only if Brevo's default size passes.
            if asked <= DOCUMENTED_PAGE_SIZE or not probe(DOCUMENTED_PAGE_SIZE):
                raise error
        else:
            named = _named_maximum(str(error), asked)
            if named is not None and probe(named):
                refused = named + 1  # the server said what it takes: no need to search
            else:
                for size in LADDER:
                    if size < refused and probe(size):
                        break
        while best is not None and refused - accepted > max(1, accepted // 10):
            probe((accepted + refused) // 2)
        if best is None:
            raise ConfigError(
                f"BREVO_SYNC_PAGE_SIZE: Brevo refuses every page size for GET /crm/deals "
                f"(down to 1): {error}"
            ) from error
        self._learn(accepted, "refused")
        return best

    def _learn(self, size: int, reason: str) -> None:
        if self.facts.ceiling == size:
            return
        self.facts = self.facts.learned(size, reason)
        self.learned = f"{reason} at {size}"
        verb = "cuts pages to" if reason == "clamped" else "accepts at most"
        log.warning(
            f"Brevo {verb} {size} deals a page for this account; using {size} from now on",
            page_size=size,
            reason=reason,
        )


def _named_maximum(message: str, asked: int) -> int | None:
    """The largest number below `asked` in an error message ("limit must be between 1 and
    100"): most APIs name their maximum when they refuse a limit."""
    said = re.sub(r"HTTP \d{3}", "", message)  # our own wording names the status: not a size
    numbers = [int(n) for n in re.findall(r"\d+", said)]
    below = [n for n in numbers if 1 <= n < asked]
    return max(below) if below else None


class RepeatGuard:
    """Remembers the ids of a run's first page and of its last few pages, and a fingerprint of
    every page: a page made only of ids seen in those, or equal to an earlier page, is a
    repeat. (All ids of a long run would cost memory a pull otherwise keeps flat; a server that
    repeats pages repeats its first page, its last one, or a whole page exactly.)"""

    def __init__(self) -> None:
        self._first: frozenset[str] | None = None
        self._recent: deque[frozenset[str]] = deque(maxlen=REMEMBERED_PAGES)
        self._fingerprints: set[int] = set()

    def check(self, ids: Sequence[str], offset: int) -> None:
        if not ids:
            return
        page = frozenset(ids)
        fingerprint = hash(page)
        seen = self._first is not None and page <= self._first.union(*self._recent)
        if seen or fingerprint in self._fingerprints:
            raise BrevoError(
                f"GET /crm/deals: Brevo returned the same page twice at offset {offset} "
                f"({len(page)} deals already read in this run); stopped instead of looping. "
                "Everything read so far is saved."
            )
        if self._first is None:
            self._first = page
        self._recent.append(page)
        self._fingerprints.add(fingerprint)
