#!/usr/bin/env python3
"""raw.py PORT: send malformed requests to sr-serve as raw bytes, one connection each, and check every error reply.

A table of hand-picked cases, each with the status it must get, then a sweep: every byte of a good request
replaced in turn by each of a set of awkward bytes. Every reply must be a whole HTTP/1.1 response; every
reply of status 400 or more must carry Content-Type: application/json and a body that is one JSON object
with an "error" string, and Content-Length its length. Prints the count of cases and of failures; exit 1
on any failure.
"""
import json
import socket
import sys

PORT = int(sys.argv[1])
GOOD = b"GET /api/v1/popular?category_id=1&limit=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

CASES = [
    # (name, request, status)
    ("100 KB request line", b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    ("request line just over 8192", b"GET /" + b"a" * 8200 + b" HTTP/1.1\r\n\r\n", 414),
    ("header of 100 KB", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 100000 + b"\r\n\r\n", 431),
    ("many headers over 8192", b"GET /healthz HTTP/1.1\r\n" + b"X-A: 0123456789abcdef\r\n" * 400 + b"\r\n", 431),
    ("header without a colon", b"GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n", 400),
    ("header name with a space", b"GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    ("empty header name", b"GET /healthz HTTP/1.1\r\n: x\r\n\r\n", 400),
    ("folded header", b"GET /healthz HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n", 400),
    ("NUL in a header", b"GET /healthz HTTP/1.1\r\nX-A: a\x00b\r\n\r\n", 400),
    ("bare CR in a header", b"GET /healthz HTTP/1.1\r\nX-A: a\rb\r\n\r\n", 400),
    ("HTTP/0.9", b"GET /healthz\r\n\r\n", 400),
    ("HTTP/0.9, LF only", b"GET /\n\n", 400),
    ("lowercase get", b"get /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 501),
    ("unknown method", b"FOO /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 501),
    ("CONNECT", b"CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    ("TRACE", b"TRACE /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    ("POST", b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 405),
    ("HTTP/9.9", b"GET /healthz HTTP/9.9\r\n\r\n", 505),
    ("HTTP/2.0", b"GET /healthz HTTP/2.0\r\n\r\n", 505),
    ("HTTP/1.2", b"GET /healthz HTTP/1.2\r\n\r\n", 505),
    ("http/1.1 lowercase", b"GET /healthz http/1.1\r\n\r\n", 400),
    ("HTTP/1.1x", b"GET /healthz HTTP/1.1x\r\n\r\n", 400),
    ("two spaces", b"GET  /healthz HTTP/1.1\r\n\r\n", 400),
    ("trailing space", b"GET /healthz HTTP/1.1 \r\n\r\n", 400),
    ("tab for a space", b"GET\t/healthz HTTP/1.1\r\n\r\n", 400),
    ("empty request line", b"\r\n\r\n", 400),
    ("binary junk", b"\x00\x01\x02 junk\r\n\r\n", 400),
    ("target //", b"GET //healthz HTTP/1.1\r\n\r\n", 400),
    ("target *", b"OPTIONS * HTTP/1.1\r\n\r\n", 400),
    ("target without /", b"GET healthz HTTP/1.1\r\n\r\n", 400),
    ("byte 0xff in the target", b"GET /\xff HTTP/1.1\r\n\r\n", 400),
    ("DEL in the target", b"GET /\x7f HTTP/1.1\r\n\r\n", 400),
    ("absolute target, bad port", b"GET http://example.com:99999/healthz HTTP/1.1\r\n\r\n", 400),
    ("absolute target, bad host", b"GET http://exa_mple/healthz HTTP/1.1\r\n\r\n", 400),
    ("bad percent-encoding in the query", b"GET /api/v1/popular?category_id=%zz HTTP/1.1\r\n\r\n", 400),
    ("truncated percent-encoding", b"GET /api/v1/popular?category_id=1% HTTP/1.1\r\n\r\n", 400),
    ("percent-encoded NUL", b"GET /api/v1/popular?category_id=%00 HTTP/1.1\r\n\r\n", 400),
    ("bad percent-encoding in the path", b"GET /%zz HTTP/1.1\r\n\r\n", 404),
    ("huge Content-Length", b"GET /healthz HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n", 413),
    ("Content-Length over 1024", b"POST /healthz HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" + b"p" * 100000, 413),
    ("negative Content-Length", b"GET /healthz HTTP/1.1\r\nContent-Length: -5\r\n\r\n", 400),
    ("Content-Length +5", b"GET /healthz HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello", 400),
    ("Content-Length not a number", b"GET /healthz HTTP/1.1\r\nContent-Length: 5x\r\n\r\nhello", 400),
    ("empty Content-Length", b"GET /healthz HTTP/1.1\r\nContent-Length:\r\n\r\n", 400),
    ("two equal Content-Length", b"GET /healthz HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400),
    ("two Content-Length, 0 and 5", b"GET /healthz HTTP/1.1\r\nContent-Length: 0\r\ncontent-length: 5\r\n\r\nhello", 400),
    ("two Content-Length, 5 and 0", b"GET /healthz HTTP/1.1\r\nContent-Length: 5\r\nCONTENT-LENGTH: 0\r\n\r\nhello", 400),
    ("Content-Length list", b"GET /healthz HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhello", 400),
    ("Content-Length and Transfer-Encoding", b"GET /healthz HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("Transfer-Encoding and Content-Length", b"POST /healthz HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400),
    ("Transfer-Encoding alone", b"GET /healthz HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 501),
    ("HEAD with a body", b"HEAD /healthz HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 400),
    ("Expect other than 100-continue", b"POST /healthz HTTP/1.1\r\nExpect: tea\r\nContent-Length: 1\r\n\r\nx", 417),
    # Good requests, as controls: these are answered as the API answers them.
    ("good: absolute target", b"GET http://example.com/healthz HTTP/1.1\r\nHost: x\r\n\r\n", 200),
    ("good: Content-Length 0", b"GET /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 200),
    ("good: a small body on GET", b"GET /healthz HTTP/1.1\r\nContent-Length:  5 \r\n\r\nhello", 200),
    ("good: LF only", b"GET /healthz HTTP/1.0\n\n", 200),
    ("good: unknown category", b"GET /api/v1/popular?category_id=%ff%fe HTTP/1.1\r\n\r\n", 404),
    ("good: the request mutated below", GOOD, 200),
]


def read_reply(s):
    """One whole response (after any 100 Continue): (status, headers dict, body), or None if closed first."""
    data = b""
    while True:
        while b"\r\n\r\n" not in data:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                chunk = b""
            if not chunk:
                return None
            data += chunk
        head, data = data.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        if not lines[0].startswith((b"HTTP/1.1 ", b"HTTP/1.0 ")):
            raise AssertionError("bad status line %r" % lines[0][:80])
        status = int(lines[0].split(b" ")[1])
        headers = {}
        for l in lines[1:]:
            k, v = l.split(b":", 1)
            headers[k.strip().lower().decode()] = v.strip().decode()
        if status == 100:
            continue
        n = int(headers.get("content-length", "0"))
        while len(data) < n:
            chunk = s.recv(65536)
            if not chunk:
                raise AssertionError("body cut short: %d of %d bytes" % (len(data), n))
            data += chunk
        return status, headers, data[:n]


def ask(req):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=15)
    try:
        try:
            s.sendall(req)
        except OSError:
            pass
        return read_reply(s)
    finally:
        s.close()


def check(name, req, want):
    """None if the reply is right, else what is wrong."""
    try:
        r = ask(req)
    except AssertionError as e:
        return str(e)
    if r is None:
        return "closed without a reply"
    status, headers, body = r
    if want is not None and status != want:
        return "status %d, want %d: %r" % (status, want, body[:200])
    if status >= 400:
        if headers.get("content-type") != "application/json":
            return "status %d with Content-Type %r: %r" % (status, headers.get("content-type"), body[:200])
        try:
            j = json.loads(body)
        except ValueError:
            return "status %d, body not JSON: %r" % (status, body[:200])
        if not isinstance(j, dict) or not isinstance(j.get("error"), str) or len(j) != 1:
            return "status %d, JSON without an error string: %r" % (status, body[:200])
    return None


failed = 0
for name, req, want in CASES:
    why = check(name, req, want)
    if why:
        failed += 1
        print("FAIL %s: %s" % (name, why))
tried = len(CASES)
# The sweep: each byte of GOOD (but its final CRLF CRLF, which ends the head) replaced by each of these.
for i in range(len(GOOD) - 4):
    for b in b"\x00\t\n\r :%\x7f\xff/a":
        if GOOD[i] == b:
            continue
        req = GOOD[:i] + bytes([b]) + GOOD[i + 1:]
        tried += 1
        why = check("byte %d as %r" % (i, bytes([b])), req, None)
        if why:
            failed += 1
            print("FAIL byte %d as %r: %s: %r" % (i, bytes([b]), why, req))
print("%d malformed or mutated requests sent, %d wrong replies" % (tried, failed))
sys.exit(1 if failed else 0)
