#!/usr/bin/env python3
"""slow.py PORT CLIENTS SECONDS INTERVAL: slow clients against sr-serve on 127.0.0.1:PORT, for SECONDS.

Each client opens a connection and sends a request head that never ends, one byte every INTERVAL seconds
(each client starts at a random point of its interval); when the server closes it, the client notes how
(a 408 JSON reply, or dropped without a reply) and how long after its first byte, and connects again after
a pause of 0.5 to 1.5 s. Source addresses 127.0.0.2 to 127.0.0.9 share the load of ports. Stops by itself
after SECONDS. Prints one JSON line: connections made, ended by 408 / by a drop / by something else, the
longest time from a first byte to the end of a connection, and the longest a still-open connection has been
sending.
"""
import errno
import heapq
import json
import random
import resource
import selectors
import socket
import sys
import time

port, nclients, seconds, interval = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard != resource.RLIM_INFINITY and hard < nclients + 64:
    sys.exit("slow.py: the open-file limit (%d) is below %d clients" % (hard, nclients))
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
HEAD = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 7000

sel = selectors.DefaultSelector()
stats = {"connections": 0, "ended_408": 0, "dropped": 0, "other": 0, "longest_s": 0.0, "open_longest_s": 0.0,
         "connect_errors": 0}
events = []        # (when, seq, client index): the next byte or the next connect
clients = [None] * nclients
seq = 0


def schedule(when, i):
    global seq
    seq += 1
    heapq.heappush(events, (when, seq, i))


def connect(i, now):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.bind(("127.0.0.%d" % (2 + i % 8), 0))
    except OSError:
        pass
    err = s.connect_ex(("127.0.0.1", port))
    if err not in (0, errno.EINPROGRESS):
        s.close()
        stats["connect_errors"] += 1
        schedule(now + 1, i)
        return
    stats["connections"] += 1
    clients[i] = {"sock": s, "sent": 0, "first": None, "data": b""}
    sel.register(s, selectors.EVENT_READ, i)
    schedule(now + random.uniform(0, interval), i)


def end(i, now):
    c = clients[i]
    sel.unregister(c["sock"])
    c["sock"].close()
    clients[i] = None
    if c["first"] is not None:
        stats["longest_s"] = max(stats["longest_s"], now - c["first"])
    d = c["data"]
    if d.startswith(b"HTTP/1.1 408 ") and b"application/json" in d and d.rstrip().endswith(b"}"):
        stats["ended_408"] += 1
    elif not d:
        stats["dropped"] += 1
    else:
        stats["other"] += 1
        sys.stderr.write("other end: %r\n" % d[:300])
    schedule(now + random.uniform(0.5, 1.5), i)


start = time.monotonic()
stop = start + seconds
for i in range(nclients):
    schedule(start + i * 0.002, i)
while True:
    now = time.monotonic()
    if now >= stop:
        break
    while events and events[0][0] <= now:
        _, _, i = heapq.heappop(events)
        c = clients[i]
        if c is None:
            connect(i, now)
            continue
        try:
            c["sock"].send(HEAD[c["sent"]:c["sent"] + 1])
            if c["first"] is None:
                c["first"] = now
            c["sent"] = (c["sent"] + 1) % len(HEAD)
            schedule(now + interval, i)
        except BlockingIOError:
            schedule(now + 0.05, i)
        except OSError:
            end(i, now)
    timeout = max(0.0, min(events[0][0] - time.monotonic(), 0.05)) if events else 0.05
    for key, _ in sel.select(timeout):
        i = key.data
        c = clients[i]
        if c is None:
            continue
        try:
            chunk = c["sock"].recv(65536)
        except BlockingIOError:
            continue
        except OSError:
            chunk = b""
        if chunk:
            c["data"] += chunk
        else:
            end(i, time.monotonic())
now = time.monotonic()
for c in clients:
    if c is not None and c["first"] is not None:
        stats["open_longest_s"] = max(stats["open_longest_s"], now - c["first"])
    if c is not None:
        c["sock"].close()
stats["longest_s"] = round(stats["longest_s"], 2)
stats["open_longest_s"] = round(stats["open_longest_s"], 2)
print(json.dumps(stats))
