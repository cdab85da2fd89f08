"""Blocks found and lines checked without re: the same answers as the regular expressions."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from myco.protocol.blocks import find_blocks, line_problem

BLOCK_RE = re.compile(r"<myco>(.*?)</myco>", re.IGNORECASE | re.DOTALL)
CONTROL_RE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\x85]")

pieces = st.sampled_from(
    ["<myco>", "</myco>", "<MYCO>", "</Myco>", "<myco", "myco>", "\n", "say hi", "İ", "ß", "K"]
)
texts = st.lists(pieces | st.text(max_size=5), max_size=12).map("".join)


@given(texts)
def test_find_blocks_matches_the_regular_expression(text: str) -> None:
    assert find_blocks(text) == BLOCK_RE.findall(text)


@given(st.text(max_size=50))
def test_line_problem_flags_exactly_the_control_characters(line: str) -> None:
    found = CONTROL_RE.search(line)
    problem = line_problem(line)
    if found is None:
        assert problem is None
    else:
        assert problem is not None and f"U+{ord(found.group()):04X}" in problem


def test_find_blocks_in_a_reply() -> None:
    reply = "Done.\n<MYCO>\ndone api\n</myco>\nlater <myco>say x</myco> and <myco>open"
    assert find_blocks(reply) == ["\ndone api\n", "say x"]
