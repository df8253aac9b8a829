#!/usr/bin/env python3
"""Loads every PREFIX.report.html in a directory in headless Chromium over the DevTools
protocol and fails on any console error, uncaught exception, failed or >= 400 resource load,
or image that did not decode (<img> with naturalWidth 0, or an SVG download link whose data:
URI does not load as an image), and on a missing per-party allele-frequency plot (one per input
that PREFIX.af_parties.tsv lists as checked). Takes a screenshot of the first page (from an element of it) if asked.

Usage: check_report_browser.py DIR [SCREENSHOT.png [ELEMENT_ID]]
(with ELEMENT_ID, the screenshot starts at that element of the page, e.g. `parties`)
Needs: chromium (Debian: chromium), python3 websocket-client (Debian: python3-websocket).
"""
import base64
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

TIMEOUT = 120.0


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=TIMEOUT, suppress_origin=True)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        mine = self.next_id
        self.ws.send(json.dumps({"id": mine, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == mine:
                if "error" in message:
                    raise RuntimeError("%s: %s" % (method, message["error"]))
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_for(self, event, timeout=TIMEOUT):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for e in self.events:
                if e["method"] == event:
                    return
            self.ws.settimeout(max(0.1, deadline - time.time()))
            self.events.append(json.loads(self.ws.recv()))
        raise RuntimeError("no %s within %.0f s" % (event, timeout))

    def drain(self, seconds):
        """Collects events for a while (late console messages)."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            self.ws.settimeout(max(0.05, deadline - time.time()))
            try:
                self.events.append(json.loads(self.ws.recv()))
            except websocket.WebSocketTimeoutException:
                break


def problems_in(events):
    out = []
    for e in events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append("console %s: %s" % (p["type"], " ".join(str(a.get("value", a.get("description"))) for a in p.get("args", []))))
        elif m == "Runtime.exceptionThrown":
            out.append("exception: %s" % p["exceptionDetails"].get("text"))
        elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
            out.append("log error: %s (%s)" % (p["entry"].get("text"), p["entry"].get("url", "")[:80]))
        elif m == "Network.loadingFailed":
            out.append("failed load: %s %s" % (p.get("errorText"), p.get("requestId")))
        elif m == "Network.responseReceived" and p["response"].get("status", 200) >= 400:
            out.append("HTTP %s: %s" % (p["response"]["status"], p["response"]["url"][:80]))
    return out


CHECK_IMAGES = """
(async () => {
  const shown = Array.from(document.images).map(i => ({alt: i.alt, ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth, h: i.naturalHeight}));
  const links = Array.from(document.querySelectorAll('a[download]'));
  const svgs = await Promise.all(links.map(a => new Promise(resolve => {
    const img = new Image();
    img.onload = () => resolve({alt: a.download, ok: img.naturalWidth > 0, w: img.naturalWidth, h: img.naturalHeight});
    img.onerror = () => resolve({alt: a.download, ok: false, w: 0, h: 0});
    img.src = a.href;
  })));
  return shown.concat(svgs);
})()
"""


def missing_party_plots(page_path, images):
    """The per-party allele-frequency plots the page must show: one per input that
    PREFIX.af_parties.tsv (beside the page) lists as checked."""
    table = page_path[: -len(".report.html")] + ".af_parties.tsv"
    if not os.path.exists(table):
        return []
    with open(table) as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]
    problems = []
    for row in rows:
        if row["status"] != "checked":
            continue
        alt = "Allele frequency against the other parties of " + row["party"]
        if not any(i["alt"] == alt and i["ok"] for i in images):
            problems.append("per-party plot missing or not decoded: %s" % alt)
    return problems


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    pages = sorted(glob.glob(os.path.join(sys.argv[1], "*.report.html")))
    screenshot = sys.argv[2] if len(sys.argv) > 2 else None
    at = sys.argv[3] if len(sys.argv) > 3 else None
    if not pages:
        sys.exit("no *.report.html in %s" % sys.argv[1])
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        sys.exit("chromium is not installed (Debian package: chromium)")
    profile = tempfile.mkdtemp(prefix="dash-chromium-")
    proc = subprocess.Popen(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", "--remote-debugging-port=0", "--user-data-dir=" + profile,
         "--window-size=1680,1400", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    failures = 0
    try:
        port = None
        deadline = time.time() + 60
        while port is None and time.time() < deadline:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                sys.exit("chromium exited early (%s)" % proc.returncode)
            found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if found:
                port = int(found.group(1))
        if port is None:
            sys.exit("chromium did not open its DevTools port")
        targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=30))
        target = next(t for t in targets if t.get("type") == "page")
        page = Page(target["webSocketDebuggerUrl"])
        for domain in ("Runtime", "Log", "Network", "Page"):
            page.call(domain + ".enable")
        page.call("Emulation.setDeviceMetricsOverride", width=1680, height=1400, deviceScaleFactor=1, mobile=False)
        for k, path in enumerate(pages):
            page.events = []
            page.call("Page.navigate", url="file://" + os.path.abspath(path))
            page.wait_for("Page.loadEventFired")
            images = page.call("Runtime.evaluate", expression=CHECK_IMAGES, awaitPromise=True, returnByValue=True)
            images = images["result"].get("value") or []
            page.drain(1.0)
            problems = problems_in(page.events)
            bad = [i for i in images if not i["ok"]]
            problems += ["image did not load: %s" % i["alt"] for i in bad]
            if not images:
                problems.append("no images on the page")
            problems += missing_party_plots(path, images)
            status = "ok" if not problems else "FAILED"
            print("%s: %s: %d images decoded (%s), %d problems" % (
                status, path, len(images) - len(bad),
                ", ".join("%dx%d" % (i["w"], i["h"]) for i in images), len(problems)))
            for p in problems:
                print("  " + p)
            failures += bool(problems)
            if k == 0 and screenshot:
                clip = {}
                if at:
                    top = page.call("Runtime.evaluate", returnByValue=True, expression=(
                        "document.getElementById(%s).getBoundingClientRect().top + window.scrollY" % json.dumps(at)))
                    clip = {"clip": {"x": 0, "y": top["result"]["value"], "width": 1680, "height": 1400, "scale": 1},
                            "captureBeyondViewport": True}
                shot = page.call("Page.captureScreenshot", format="png", **clip)
                with open(screenshot, "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
                print("screenshot: %s" % screenshot)
        page.ws.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
