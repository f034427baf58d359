#!/usr/bin/env python3
"""probe.py URL SECONDS: GET URL on a new connection every 0.2 s for SECONDS, as a legitimate client would.

A miss is a request not answered 200 within 1 s. Prints one JSON line: requests, misses, the slowest answer.
"""
import json
import sys
import time
import urllib.request

url, seconds = sys.argv[1], float(sys.argv[2])
stop = time.monotonic() + seconds
n = misses = 0
slowest = 0.0
while time.monotonic() < stop:
    t = time.monotonic()
    n += 1
    try:
        with urllib.request.urlopen(url, timeout=1.0) as r:
            ok = r.status == 200 and r.read().startswith(b'{"status":"ok"')
    except Exception as e:
        ok = False
        sys.stderr.write("miss: %s\n" % e)
    took = time.monotonic() - t
    slowest = max(slowest, took)
    if not ok or took > 1.0:
        misses += 1
    time.sleep(max(0.0, 0.2 - took))
print(json.dumps({"requests": n, "misses": misses, "slowest_ms": round(slowest * 1000, 1)}))
