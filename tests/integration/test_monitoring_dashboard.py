"""/dashboard in a real browser: headless Chromium loads the page from the gateway, the
page fetches /health and draws one row per active tenant with its state (a tenant whose
tdsd is down turns red); the DOM is checked after the fetch completed (the page sets
data-loaded). The charts (inline SVG from /dashboard/series.json) are checked in a page
kept open over the DevTools protocol: they draw a tenant's traffic, follow more of it
without a reload, and a tenant taken down turns its card red "down since hh:mm:ss". A
screenshot is kept in <build>/test-artifacts/dashboard.png."""

import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import headless_browser  # noqa: E402
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


chromium_binary = headless_browser.chromium_binary


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


def send_echo(tenant, count):
    """`count` answered requests of `tenant` through an echo route (200 each)."""
    for _ in range(count):
        status, _, body = ms.get_json(setup(), f"/api/echo?company={tenant}")
        expect(status == 200, f"echo for {tenant}: {status} {body}")


def series_of(tenant):
    status, _, body = ms.get_json(setup(), f"/dashboard/series.json?tenant={tenant}")
    expect(status == 200 and len(body["tenants"]) == 1, f"series of {tenant}: {status} {body}")
    return body["tenants"][0]


# What the page shows of one tenant's card: state, request total, and per chart the
# number of drawn points and each path's length on screen (0 when nothing is drawn).
CARD_JS = """(() => {
  const card = document.querySelector(`article.card[data-tenant="%s"]`);
  if (!card) return null;
  const charts = {};
  for (const svg of card.querySelectorAll("svg[data-chart]")) {
    charts[svg.dataset.chart] = {
      points: Number(svg.dataset.points),
      downMarks: svg.querySelectorAll("rect[data-mark=down]").length,
      paths: Object.fromEntries([...svg.querySelectorAll("path[data-series]")].map(
        p => [p.dataset.series, {d: p.getAttribute("d"), length: p.getTotalLength(),
                                 latest: p.dataset.latest, max: Number(p.dataset.max)}]))};
  }
  return {state: card.dataset.state, requests: Number(card.dataset.requests),
          title: card.querySelector("h2").textContent,
          border: getComputedStyle(card).borderLeftColor, charts,
          seriesFetches: Number(document.body.dataset.seriesFetches || 0)};
})()"""


def card(browser, tenant):
    return browser.evaluate(CARD_JS % tenant)


def test_series_json_bad_tenant():
    status, _, body = ms.get_json(setup(), "/dashboard/series.json?tenant=no%20such")
    expect(status == 400 and body["error"]["code"] == "invalid_company_code", body)
    status, _, body = ms.get_json(setup(), "/dashboard/series.json?tenant=NOBODY")
    expect(status == 200 and body["tenants"] == [], body)


def test_charts_draw_traffic_and_follow_it():
    ms.wait_for(lambda: ms.all_probed(setup()), 20, "every tenant probed")
    send_echo("ACME", 40)
    acme = series_of("ACME")
    expect(acme["requests"] >= 40, f"the history counted ACME's requests: {acme['requests']}")
    with headless_browser.Browser() as browser:
        browser.goto(f"http://127.0.0.1:{setup().port}/dashboard?interval=1")
        first = browser.wait_for(
            "(" + CARD_JS % "ACME" + ")?.requests >= 40 && (" + CARD_JS % "ACME" + ")", 15,
            "ACME's card with its 40 requests")
        charts = first["charts"]
        for kind in ("rps", "latency", "pool", "probe"):
            expect(kind in charts and charts[kind]["points"] > 0, f"{kind} chart drew nothing: {charts}")
        ok = charts["rps"]["paths"]["2xx"]
        expect(ok["d"].startswith("M") and ok["length"] > 0, f"2xx requests path not drawn: {ok}")
        expect(ok["max"] > 0, f"2xx rate never above 0: {ok}")
        for series in ("p50", "p99"):
            latency = charts["latency"]["paths"][series]
            expect(latency["length"] > 0 and latency["max"] > 0, f"{series}: {latency}")
        expect(charts["probe"]["paths"]["probe"]["length"] > 0, charts["probe"])
        expect(first["state"] == "up" and charts["probe"]["downMarks"] == 0, first)

        # More traffic while the page stays open: the next polls redraw with it.
        send_echo("ACME", 60)
        later = browser.wait_for(
            f"(({CARD_JS % 'ACME'})?.requests >= {first['requests'] + 60}) && ({CARD_JS % 'ACME'})",
            15, "the card to count 60 more requests without a reload")
        expect(later["seriesFetches"] > first["seriesFetches"], (first["seriesFetches"], later["seriesFetches"]))
        # The chart scales to its highest point: when all 100 requests fall in one 10 s
        # slot the path keeps its shape and only that highest rate grows.
        redrawn = later["charts"]["rps"]["paths"]["2xx"]
        expect(redrawn["d"] != ok["d"] or redrawn["max"] > ok["max"],
               ("the requests/s chart did not follow 60 more requests", ok, redrawn))


def test_down_tenant_turns_red_and_screenshot():
    ms.wait_for(lambda: health_states()["TECHSTART"]["connected"], 20, "TECHSTART up")
    expect(TENANTS.techstart.control("down") == "ok")
    try:
        ms.wait_for(lambda: not health_states()["TECHSTART"]["connected"], 20, "TECHSTART down")
        dom = load_dashboard()
        expect(dom.rows["TECHSTART"]["state"] == "down"
               and dom.rows["TECHSTART"]["class"] == "down", dom.rows["TECHSTART"])
        expect(dom.rows["ACME"]["state"] == "up", dom.rows["ACME"])
        ms.wait_for(lambda: series_of("TECHSTART")["downSince"], 10, "TECHSTART's down-since")
        with headless_browser.Browser(height=1000) as browser:
            browser.goto(f"http://127.0.0.1:{setup().port}/dashboard?interval=1")
            down = browser.wait_for(
                f"(({CARD_JS % 'TECHSTART'})?.charts?.probe?.downMarks > 0) && ({CARD_JS % 'TECHSTART'})",
                15, "TECHSTART's card with failed probes")
            expect(down["state"] == "down", down)
            expect(re.search(r"down since \d\d:\d\d:\d\d", down["title"]), down["title"])
            expect(down["border"] == "rgb(207, 34, 46)", f"the down card is not red: {down['border']}")
            up = card(browser, "ACME")
            expect(up["state"] == "up" and "down since" not in up["title"]
                   and up["border"] == "rgb(26, 127, 55)", up)
            os.makedirs(ARTIFACTS, exist_ok=True)
            shot = os.path.join(ARTIFACTS, "dashboard.png")
            if os.path.exists(shot):
                os.unlink(shot)
            browser.screenshot(shot)
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
