"""Tracking IDs and access codes, as API.md defines them."""

from __future__ import annotations

import math
import re

import pytest
from lapor.errors import ReportNotFound
from lapor.ids import (
    ALPHABET,
    access_code_matches,
    hash_access_code,
    new_access_code,
    new_tracking_id,
    parse_tracking_id,
)

TRACKING = re.compile(r"^LPR-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def test_tracking_ids_have_the_printed_shape_and_are_unique() -> None:
    ids = [new_tracking_id() for _ in range(5000)]
    assert all(TRACKING.match(i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_tracking_ids_carry_at_least_55_random_bits() -> None:
    assert 11 * math.log2(len(ALPHABET)) >= 55
    # Every position but the check character takes many values: nothing is fixed or time-derived.
    ids = [new_tracking_id().replace("-", "")[3:] for _ in range(3000)]
    for position in range(11):
        assert len({i[position] for i in ids}) == 32


@pytest.mark.parametrize("spelling", ["lower", "nodash", "noprefix", "spaces", "lookalikes"])
def test_lookups_accept_what_people_type(spelling: str) -> None:
    tracking_id = new_tracking_id()
    typed = {
        "lower": tracking_id.lower(),
        "nodash": tracking_id.replace("-", ""),
        "noprefix": tracking_id[4:],
        "spaces": " " + tracking_id.replace("-", " ") + " ",
        "lookalikes": tracking_id.replace("0", "o").replace("1", "l"),
    }[spelling]
    assert parse_tracking_id(typed) == tracking_id


def test_every_single_mistyped_character_is_caught() -> None:
    for _ in range(30):
        body = new_tracking_id()[4:].replace("-", "")
        for i in range(12):
            for ch in ALPHABET:
                if ch != body[i]:
                    with pytest.raises(ReportNotFound):
                        parse_tracking_id(body[:i] + ch + body[i + 1 :])


def test_most_swapped_neighbours_are_caught() -> None:
    caught = total = 0
    for _ in range(300):
        body = new_tracking_id()[4:].replace("-", "")
        for i in range(11):
            if body[i] == body[i + 1]:
                continue
            total += 1
            try:
                parse_tracking_id(body[:i] + body[i + 1] + body[i] + body[i + 2 :])
            except ReportNotFound:
                caught += 1
    assert caught / total > 0.9


@pytest.mark.parametrize(
    "text", ["", "LPR-", "LPR-7KQ2-M9XD-3FH", "LPR-7KQ2-M9XD-3FHWX", "LPR-7KQ2-M9XD-3FHU", "x" * 500]
)
def test_malformed_ids_look_exactly_like_unknown_ones(text: str) -> None:
    with pytest.raises(ReportNotFound):
        parse_tracking_id(text)


def test_access_codes_are_long_random_and_copyable() -> None:
    codes = {new_access_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:50]:
        groups = code.split("-")
        assert len(groups) == 4 and all(len(g) == 5 for g in groups)
        assert set(code.replace("-", "")) <= set(ALPHABET)
    assert 20 * math.log2(len(ALPHABET)) >= 80


def test_access_code_hash_hides_the_code_and_depends_on_the_report() -> None:
    code = new_access_code()
    digest = hash_access_code("LPR-AAAA-AAAA-AAAA", code)
    assert code not in digest and code.replace("-", "") not in digest
    assert digest != hash_access_code("LPR-BBBB-BBBB-BBBB", code)
    assert access_code_matches("LPR-AAAA-AAAA-AAAA", code.lower().replace("-", ""), digest)
    assert not access_code_matches("LPR-AAAA-AAAA-AAAA", new_access_code(), digest)
    assert not access_code_matches("LPR-AAAA-AAAA-AAAA", None, digest)
    assert not access_code_matches("LPR-AAAA-AAAA-AAAA", "x" * 10_000, digest)
