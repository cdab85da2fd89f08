"""``GET /view/{session}/delta``: answers, bad input, documentation."""

from __future__ import annotations

from myco.testing import DaemonProcess


def test_delta_route_answers_full_then_one_line(myco_daemon: DaemonProcess) -> None:
    myco_daemon.post("BACK", "start api")
    status, full = myco_daemon.request("GET", "/view/FRONT/delta")
    assert status == 200 and full.startswith("<!-- myco rev:1 full -->\n")
    assert "# myco view — FRONT" in full and "start api" in full
    status, none = myco_daemon.request("GET", "/view/FRONT/delta?seen=1&turn=2")
    assert status == 200
    assert none == (
        "<!-- myco rev:1 nothing since:1 -->\n"
        "myco: nothing new for FRONT since your last view (rev 1 → 1).\n"
    )
    assert "FRONT" not in myco_daemon.view("DIRECTOR")  # asking for a view made no peer


def test_bad_parameters_are_a_json_400(myco_daemon: DaemonProcess) -> None:
    for query, word in (("seen=abc", "seen"), ("seen=-1", "seen"), ("turn=x", "turn")):
        status, body = myco_daemon.request("GET", f"/view/FRONT/delta?{query}")
        assert status == 400 and word in body["error"], (query, body)
    status, body = myco_daemon.request("GET", "/view/bad%20name/delta")
    assert status == 400


def test_the_route_is_documented(myco_daemon: DaemonProcess) -> None:
    status, doc = myco_daemon.request("GET", "/openapi.json")
    assert status == 200
    op = doc["paths"]["/view/{session}/delta"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"session", "seen", "turn"}
    assert set(op["responses"]) >= {"200", "400"}
