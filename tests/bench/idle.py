#!/usr/bin/env python3
"""Measures what an idle connection costs smtpwire-serve, all in: the growth of the server's
resident set (VmRSS) when N connections on 127.0.0.1 have each been greeted and said EHLO,
divided by N. Postfix's smtp-sink is measured the same way in the same run, as a reference.
A benchmark, not a test: see docs/performance.md.

    tests/bench/idle.py --serve build/release/examples/smtpwire-serve --connections 10000
"""

import argparse
import os
import re
import resource
import selectors
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Server  # noqa: E402  (the same server start-up as compare.py)

STEP_TIMEOUT = 60


def resident_kib(pid):
    """VmRSS of process `pid`, in KiB."""
    with open('/proc/%d/status' % pid) as f:
        return int(re.search(r'^VmRSS:\s+(\d+) kB', f.read(), re.M).group(1))


def converse(connections, request, reply_end):
    """Sends `request` (if any) on every connection, then reads on each until its input
    ends with a line matching `reply_end`. Exits when a server closes or is too slow."""
    selector = selectors.DefaultSelector()
    received = {}
    for s in connections:
        if request:
            s.sendall(request)
        received[s] = b''
        selector.register(s, selectors.EVENT_READ)
    deadline = time.monotonic() + STEP_TIMEOUT
    while received and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=1):
            s = key.fileobj
            chunk = s.recv(4096)
            if not chunk:
                sys.exit('a connection was closed: %r' % received[s])
            received[s] += chunk
            if re.search(reply_end, received[s]):
                selector.unregister(s)
                del received[s]
    selector.close()
    if received:
        sys.exit('%d connections got no complete reply' % len(received))


def open_idle(port, count):
    """`count` connections to 127.0.0.1:`port`, each greeted and past EHLO."""
    connections = []
    batch = 500
    while len(connections) < count:
        opened = [socket.create_connection(('127.0.0.1', port), timeout=STEP_TIMEOUT)
                  for _ in range(min(batch, count - len(connections)))]
        converse(opened, b'', rb'(^|\n)220 [^\n]*\r\n$')
        converse(opened, b'EHLO idle.test\r\n', rb'(^|\n)250 [^\n]*\r\n$')
        connections += opened
    return connections


def measure(kind, args, tmp):
    """(RSS before in KiB, RSS with the idle connections in KiB) of one fresh server."""
    server = Server(kind, args, 0, tmp, max_connections=args.connections + 10)
    connections = []
    try:
        time.sleep(0.2)
        before = resident_kib(server.proc.pid)
        connections = open_idle(server.port, args.connections)
        time.sleep(0.2)
        after = resident_kib(server.proc.pid)
        return before, after
    finally:
        for s in connections:
            s.close()
        server.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--serve', required=True, help='path of smtpwire-serve')
    parser.add_argument('--smtp-sink', default=shutil.which('smtp-sink') or
                        '/usr/sbin/smtp-sink', help='path of Postfix smtp-sink')
    parser.add_argument('--connections', type=int, default=10000)
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < args.connections + 100:
        sys.exit('the open-file limit (%d) is below %d connections' % (hard, args.connections))
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    peers = ['smtpwire']
    if os.access(args.smtp_sink, os.X_OK):
        peers.append('smtp-sink')
    else:
        print('smtp-sink: not installed, no reference')
    per_connection = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in peers:
            before, after = measure(kind, args, tmp)
            per_connection[kind] = (after - before) * 1024 / args.connections
            print('%s: %d idle connections, RSS %d KiB -> %d KiB, %.0f bytes per connection'
                  % (kind, args.connections, before, after, per_connection[kind]))
    if 'smtp-sink' in per_connection and per_connection['smtp-sink'] > 0:
        print('ratio: smtpwire-serve / smtp-sink = %.2f'
              % (per_connection['smtpwire'] / per_connection['smtp-sink']))


if __name__ == '__main__':
    main()
