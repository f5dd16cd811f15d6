"""The page arithmetic behind every pager."""

from __future__ import annotations

from webapp.paging import page_number, page_of


def test_requested_pages_are_kept_between_the_first_and_the_last():
    assert page_number(0, 51, 25) == 1
    assert page_number(2, 51, 25) == 2
    assert page_number(9, 51, 25) == 3
    assert page_number(5, 0, 25) == 1  # an empty list still has its one (empty) page


def test_a_page_knows_its_place_among_all_items():
    page = page_of(list(range(51)), 3, 25)
    assert list(page.items) == [50]
    assert (page.first, page.last, page.total, page.pages) == (51, 51, 51, 3)
    empty = page_of([], 1, 25)
    assert (empty.first, empty.last, empty.pages) == (0, 0, 1)
