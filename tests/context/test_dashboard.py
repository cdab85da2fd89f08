"""The dashboard shows each session's liveness next to its status."""

from __future__ import annotations

from myco.testing import DaemonProcess


def test_sessions_carry_their_liveness(myco_daemon: DaemonProcess) -> None:
    myco_daemon.post("BACK", "start api", "live awaiting-human")
    myco_daemon.post("FRONT", "start ui")
    status, snap = myco_daemon.request("GET", "/-/dashboard/state")
    assert status == 200
    rows = {s["name"]: s for s in snap["sessions"]}
    assert rows["BACK"]["liveness"].startswith("awaiting-human ")
    assert rows["FRONT"]["liveness"].startswith("active ")
