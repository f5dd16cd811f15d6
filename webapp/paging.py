"""One page of a long list: which page, how many in all, and the numbers a pager shows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


def page_number(requested: int, total: int, size: int) -> int:
    """The page to show: ``requested`` kept between the first and the last page."""
    pages = max(1, math.ceil(total / size))
    return min(max(requested, 1), pages)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int  # items on every page together
    page: int
    size: int  # items per page

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def first(self) -> int:
        """Position of the page's first item among all, from 1 (0 when the page is empty)."""
        return (self.page - 1) * self.size + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0


def page_of(everything: Sequence[T], requested: int, size: int) -> Page[T]:
    """The ``requested`` page of a list already in memory."""
    page = page_number(requested, len(everything), size)
    return Page(everything[(page - 1) * size : page * size], len(everything), page, size)
