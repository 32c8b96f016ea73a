"""/dashboard in a real browser: headless Chromium loads the page from the gateway, the
page fetches /health and draws one row per active tenant with its state (a tenant whose
tdsd is down turns red); the DOM is checked after the fetch completed (the page sets
data-loaded) and a screenshot is kept in <build>/test-artifacts/."""

import html.parser
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import monitoring_support as ms  # noqa: E402
from harness import expect, run_tests  # noqa: E402

TENANTS = None
GATEWAY = None
ARTIFACTS = os.path.join(harness.BUILD_DIR, "test-artifacts")


def setup():
    global TENANTS, GATEWAY
    if GATEWAY is None:
        TENANTS = ms.Tenants()
        GATEWAY = ms.start_gateway(ms.gateway_config(TENANTS))
    return GATEWAY


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise AssertionError("chromium is not installed (scripts/setup installs it)")


def chromium(*args):
    """Runs headless Chromium with a fresh profile; returns its stdout."""
    profile = tempfile.mkdtemp(prefix="tg-chromium-")
    try:
        # The virtual time budget lets the page's fetch and its first renders finish
        # (virtual time stands still while a fetch is pending) before the dump.
        argv = [chromium_binary(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
                "--virtual-time-budget=4000", *args]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        expect(result.returncode == 0, f"chromium rc {result.returncode}: {result.stderr[-2000:]}")
        return result.stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)


class DashboardDom(html.parser.HTMLParser):
    """Collects the body's data attributes and each tenant row's state and cell texts."""

    def __init__(self):
        super().__init__()
        self.body = {}
        self.rows = {}
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.body = attrs
        elif tag == "tr" and "data-tenant" in attrs:
            self._row = {"state": attrs.get("data-state"), "class": attrs.get("class"),
                         "cells": {}}
            self.rows[attrs["data-tenant"]] = self._row
        elif tag == "td" and self._row is not None:
            self._cell = attrs.get("class") or f"col{len(self._row['cells'])}"
            self._row["cells"][self._cell] = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._row is not None and self._cell is not None:
            self._row["cells"][self._cell] += data


def load_dashboard():
    dom = chromium("--dump-dom", f"http://127.0.0.1:{setup().port}/dashboard?interval=1")
    parsed = DashboardDom()
    parsed.feed(dom)
    expect(parsed.body.get("data-loaded") == "true",
           f"the page never rendered /health: body {parsed.body}")
    return parsed


def health_states():
    _, _, body = ms.get_json(setup(), "/health")
    return {t["companyCode"]: t for t in body["tenants"]}


def test_every_tenant_row_with_its_state():
    ms.wait_for(lambda: ms.all_probed(setup()), 20, "every tenant probed")
    ms.wait_for(lambda: sum(t["connected"] for t in health_states().values()) == 4, 20,
                "four tenants up")
    dom = load_dashboard()
    health = health_states()
    expect(sorted(dom.rows) == sorted(health), f"rows {sorted(dom.rows)} vs {sorted(health)}")
    expect("FORMER" not in dom.rows, "inactive tenants are not listed")
    for code, tenant in health.items():
        row = dom.rows[code]
        expect(row["state"] == tenant["status"] and row["class"] == tenant["status"],
               f"{code}: row {row} vs health {tenant['status']}")
        cells = row["cells"]
        expect(cells["name"] == tenant["name"] and cells["server"] == tenant["server"]
               and cells["hosting"] == tenant["hosting"], f"{code}: {cells}")
    expect(dom.rows["GLOBALSEC"]["state"] == "down", dom.rows["GLOBALSEC"])
    expect(dom.rows["GLOBALSEC"]["cells"]["err"], "a down tenant shows its last error")
    expect(dom.rows["ACME"]["cells"]["num latency"].endswith("ms"), dom.rows["ACME"])


def test_down_tenant_turns_red_and_screenshot():
    ms.wait_for(lambda: health_states()["TECHSTART"]["connected"], 20, "TECHSTART up")
    expect(TENANTS.techstart.control("down") == "ok")
    try:
        ms.wait_for(lambda: not health_states()["TECHSTART"]["connected"], 20, "TECHSTART down")
        dom = load_dashboard()
        expect(dom.rows["TECHSTART"]["state"] == "down"
               and dom.rows["TECHSTART"]["class"] == "down", dom.rows["TECHSTART"])
        expect(dom.rows["ACME"]["state"] == "up", dom.rows["ACME"])
        os.makedirs(ARTIFACTS, exist_ok=True)
        shot = os.path.join(ARTIFACTS, "dashboard.png")
        if os.path.exists(shot):
            os.unlink(shot)
        chromium(f"--screenshot={shot}", "--window-size=1280,800",
                 f"http://127.0.0.1:{setup().port}/dashboard")
        expect(os.path.exists(shot), "no screenshot written")
        with open(shot, "rb") as f:
            data = f.read()
        expect(data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000,
               f"screenshot is not a PNG of a rendered page ({len(data)} bytes)")
        print(f"screenshot: {shot}")
    finally:
        TENANTS.techstart.control("up")


def teardown():
    if GATEWAY is not None:
        GATEWAY.stop()
    if TENANTS is not None:
        TENANTS.stop()


if __name__ == "__main__":
    try:
        run_tests({n: f for n, f in globals().items() if n.startswith("test_")})
    finally:
        teardown()
