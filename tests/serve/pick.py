#!/usr/bin/env python3
"""pick.py URL CATEGORY PNG: open sr-serve's page in headless Chromium, pick CATEGORY in its menu as a user
would, wait for the table to show it, print the rows shown (rank, product, sold; TAB-separated) and save a
screenshot to PNG.

Chromium is driven through its DevTools protocol over a WebSocket, with only the standard library.
Exit status 1 if the page does not show the category within 20 seconds.
"""
import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request


class DevTools:
    """A minimal WebSocket client (RFC 6455, text frames) for one DevTools target."""

    def __init__(self, url):
        m = re.match(r"ws://([^/:]+):(\d+)(/.*)", url)
        self.sock = socket.create_connection((m.group(1), int(m.group(2))), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {m.group(3)} HTTP/1.1\r\nHost: {m.group(1)}:{m.group(2)}\r\n"
                           f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(f"no WebSocket: {head!r}")
        self.id = 0

    def _more(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("DevTools closed the connection")
        self.buf += chunk

    def _need(self, n):
        while len(self.buf) < n:
            self._more()

    def send(self, obj):
        data = json.dumps(obj).encode()
        n = len(data)
        if n < 126:
            head = struct.pack(">BB", 0x81, 0x80 | n)
        elif n < 65536:
            head = struct.pack(">BBH", 0x81, 0x80 | 126, n)
        else:
            head = struct.pack(">BBQ", 0x81, 0x80 | 127, n)
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self):
        msg = b""
        while True:
            self._need(2)
            fin, n, off = self.buf[0] & 0x80, self.buf[1] & 0x7F, 2
            if n == 126:
                self._need(4)
                n, off = struct.unpack(">H", self.buf[2:4])[0], 4
            elif n == 127:
                self._need(10)
                n, off = struct.unpack(">Q", self.buf[2:10])[0], 10
            self._need(off + n)
            msg += self.buf[off:off + n]
            self.buf = self.buf[off + n:]
            if fin:
                return json.loads(msg)

    def call(self, method, **params):
        self.id += 1
        self.send({"id": self.id, "method": method, "params": params})
        while True:
            m = self.recv()
            if m.get("id") == self.id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m["result"]

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        return r["result"].get("value")

    def wait_for(self, expr, what):
        end = time.time() + 20
        while time.time() < end:
            if self.js(expr):
                return
            time.sleep(0.1)
        raise SystemExit(f"pick.py: the page did not show {what} within 20 s")


def start_chromium(url, profile):
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--window-size=1000,900", "--remote-debugging-port=0", f"--user-data-dir={profile}", url]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    end = time.time() + 30
    while time.time() < end:
        line = proc.stderr.readline()
        m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
        if m:
            return proc, int(m.group(1))
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("pick.py: chromium did not start its DevTools server")


def main():
    url, category, png = sys.argv[1:4]
    profile = tempfile.mkdtemp(prefix="sr-chromium.")
    proc = None
    try:
        proc, port = start_chromium(url, profile)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            page = next(t for t in json.load(r) if t["type"] == "page")
        dt = DevTools(page["webSocketDebuggerUrl"])
        dt.wait_for("document.getElementById('category').options.length > 0 && "
                    "document.body.dataset.shown !== undefined", "its first category")
        dt.js("const s = document.getElementById('category'); s.value = " + json.dumps(category) + ";"
              " s.dispatchEvent(new Event('change'));")
        dt.wait_for("document.body.dataset.shown === " + json.dumps(category), f"category {category}")
        rows = dt.js("[...document.querySelectorAll('#ranking tbody tr')]"
                     ".map(tr => [...tr.cells].slice(0, 3).map(td => td.textContent).join('\\t'))")
        for row in rows:
            print(row)
        print("hash:", dt.js("location.hash"), file=sys.stderr)
        shot = dt.call("Page.captureScreenshot", format="png")
        with open(png, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        dt.call("Browser.close")
    finally:
        if proc is not None:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
