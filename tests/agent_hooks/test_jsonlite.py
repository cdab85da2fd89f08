"""The hook path's JSON and URL helpers agree with the standard library's."""

from __future__ import annotations

import json
import math
import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from myco.agent_hooks import jsonlite
from myco.agent_hooks.http import quote, split_url, urlencode

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_dumps_is_json_dumps_compact_and_loads_reads_it_back(value: object) -> None:
    assert jsonlite.dumps(value) == json.dumps(value, separators=(",", ":"))
    assert jsonlite.dumps(value, ensure_ascii=False) == json.dumps(
        value, separators=(",", ":"), ensure_ascii=False
    )
    assert jsonlite.loads(jsonlite.dumps(value)) == value
    assert jsonlite.loads(json.dumps(value, indent=2).encode()) == value


def test_loads_accepts_what_json_accepts() -> None:
    assert jsonlite.loads(' \n{"a": [1, 2.5, "\\u00e9", null, true]}\t') == {
        "a": [1, 2.5, "é", None, True]
    }
    assert math.isnan(jsonlite.loads("NaN"))
    assert jsonlite.loads("-Infinity") == float("-inf")


@pytest.mark.parametrize(
    "bad", ["", "   ", "{", '{"a": }', "[1] x", '"\x01"', "{'a': 1}", "nul", b"\xff"]
)
def test_loads_refuses_what_json_refuses_with_a_value_error(bad: str | bytes) -> None:
    with pytest.raises(ValueError, match=r"."):
        json.loads(bad)
    with pytest.raises(ValueError, match=r"."):
        jsonlite.loads(bad)


def test_dumps_refuses_what_json_cannot_encode() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        jsonlite.dumps({"a": {1, 2}})


@given(st.text(), st.sampled_from(["", "/", "/:"]))
def test_quote_is_urllib_quote(text: str, safe: str) -> None:
    assert quote(text, safe=safe) == urllib.parse.quote(text, safe=safe)


def test_urlencode_reads_back_with_urllib() -> None:
    pairs = [("session", "FRONT"), ("path", "src/a b/ü.py"), ("path", "x&y=z")]
    assert urllib.parse.parse_qsl(urlencode(pairs)) == pairs


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000",
        "http://127.0.0.1:8000/",
        "http://localhost/base/",
        "HTTP://Example.COM:80/a/b?x=1#frag",
        "http://user:pw@host:9/p",
        "http://[::1]:8123/x",
        "http://[::1]/",
        "https://myco.internal",
        "http://host:",
    ],
)
def test_split_url_reads_urls_as_urlsplit_does(url: str) -> None:
    ours, theirs = split_url(url), urllib.parse.urlsplit(url)
    assert (ours.scheme, ours.netloc, ours.hostname, ours.port, ours.path) == (
        theirs.scheme,
        theirs.netloc,
        theirs.hostname,
        theirs.port,
        theirs.path,
    )


@pytest.mark.parametrize("url", ["http://host:99999", "http://host:8x"])
def test_split_url_refuses_a_bad_port(url: str) -> None:
    with pytest.raises(ValueError, match="port"):
        split_url(url)
