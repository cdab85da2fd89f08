"""Schemathesis against a real ``myco serve`` process: the API keeps its OpenAPI promises.

For every documented operation, generated requests (schema-valid and schema-violating) must
never get a 5xx; each response's status, content type, headers and JSON body must match the
document; schema-valid requests must be accepted and schema-violating ones refused with a
documented 4xx. The schema tested is the one the daemon serves (a test checks they agree).
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
)

from myco.config import Config
from myco.daemon import Daemon
from myco.plugins import make_plugin_manager
from myco.web.openapi import openapi_document
from tests.conftest import AUTH
from tests.daemon_process import DaemonProcess

pytestmark = pytest.mark.slow

# The process loads entry-point plugins exactly like this (the dashboard adds a view format
# and its paths, an installed route plugin such as myco-metrics its own). Building a daemon
# touches no disk: its storage opens only when it starts.
DOCUMENT = openapi_document(Daemon(Config(data_dir=Path("unused")), make_plugin_manager()))
schema = schemathesis.openapi.from_dict(DOCUMENT).exclude(
    # An endless Server-Sent Events stream: nothing to validate, and it never ends.
    path="/-/dashboard/stream",
)
# Unknown query parameters are ignored, as HTTP servers do: adding some is no violation. The
# tests send the credential themselves, so a "negative" case without one would not be one.
schema.config.generation.update(allow_extra_parameters=False, with_security_parameters=False)

#: a few examples per operation and mode keep the run well under a minute, and the same ones
#: every run (CI must not go red by chance); MYCO_FUZZ_EXAMPLES=1000 searches deeper, at random
DEEP = os.environ.get("MYCO_FUZZ_EXAMPLES")
EXAMPLES = int(DEEP or "25")


@pytest.fixture(scope="module")
def daemon_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with DaemonProcess(tmp_path_factory.mktemp("schemathesis") / "data", "--quiet") as d:
        yield d.url


def test_served_document_is_the_one_tested(daemon_url: str) -> None:
    with urllib.request.urlopen(daemon_url + "/openapi.json", timeout=10) as resp:
        served = json.load(resp)
    assert served == json.loads(json.dumps(DOCUMENT))


def auth_enforced(ctx: CheckContext, response: requests.Response, case: Any) -> bool | None:
    """Replaces schemathesis' ``ignored_auth``: the same probes, but 429 counts as refusal.

    Its invalid-credential probes are failed authentications from one address, so after
    five of them the daemon's documented rate limit answers 429 instead of 401.
    """
    if case.operation.definition.raw.get("security") == [] or response.status_code >= 400:
        return None
    url = response.request.url
    for headers in ({}, {"Authorization": "Bearer invalid-credential"}):
        probe = requests.request(case.method, url, headers=headers, timeout=10)
        assert probe.status_code in (401, 429), (case.method, url, headers, probe.status_code)
        assert probe.json()["ok"] is False
    return True


def excluded_for(case: Any) -> list[Any]:
    excluded = [ignored_auth]
    op = (case.method.upper(), case.path)
    if op in {("GET", "/msg/"), ("POST", "/msg/")}:
        excluded.append(positive_data_acceptance)  # these exist only to answer 400
    if op == ("POST", "/mcp"):
        # JSON-RPC (plugin myco-mcp): a malformed message is answered the protocol's way, a
        # JSON-RPC error in a 200, which the SDK decides; HTTP-level refusals stay checked.
        excluded.append(negative_data_rejection)
    if op == ("POST", "/msg/{file}"):
        # The body is free text: whatever a "schema-violating" value is, it is sent as text,
        # which the daemon rightly stores.
        excluded.append(negative_data_rejection)
    return excluded


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not DEEP,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_api_conforms_to_its_openapi_document(case: Any, daemon_url: str) -> None:
    case.call_and_validate(
        base_url=daemon_url,
        headers=AUTH,
        timeout=15,
        excluded_checks=excluded_for(case),
        additional_checks=[auth_enforced],
    )
