"""epoll-server (examples/epoll/): 200 connections open at once sending bodies of 0 octets
to 1 MiB with smtplib and with pipelined raw commands, a client sending one octet per
write, idle connections getting 421 4.4.2 after --timeout while another keeps working,
a peer that never reads its replies, a reset in the middle of DATA, and a pipelined
batch in one write. Every message must be stored byte for byte, and the server must end
with no connection left open and exit 0 on SIGTERM.

Run: python3 test_epoll.py --server PATH-TO-epoll-server
"""

import argparse
import os
import re
import selectors
import signal
import smtplib
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from send_harness import wire_form
from serve_harness import STEP_TIMEOUT, RawClient, wait_until
from test_minimal import message_of
from test_soak import stuff

# Set from --server.
SERVER = None

SIZES = [0, 1, 4096, 65537, 1 << 20]
CONNECTIONS = 200


def content_of(size, marker):
    """A message with `size` octets of body (CRLF lines, some starting with a dot, some
    8-bit), a header naming `marker` in front, or nothing at all for size 0."""
    if size == 0:
        return b''
    return b'X-Test-Id: %s\r\n\r\n' % marker + wire_form(message_of(size))


class EpollServer:
    """epoll-server on 127.0.0.1 storing messages in its own directory."""

    def __init__(self, *options):
        self.tmp = tempfile.TemporaryDirectory(prefix='smtpwire-epoll-')
        self.dir = os.path.join(self.tmp.name, 'mail')
        os.mkdir(self.dir)
        self.stderr_path = os.path.join(self.tmp.name, 'stderr.txt')
        # Port 0: the server takes a free one and prints it, so no other server can take
        # it between a choice and the bind.
        with open(self.stderr_path, 'wb') as err:
            self.proc = subprocess.Popen([SERVER, '0', self.dir, *options], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=err)
        try:
            with selectors.DefaultSelector() as sel:
                sel.register(self.proc.stdout, selectors.EVENT_READ)
                line = self.proc.stdout.readline() if sel.select(STEP_TIMEOUT) else b''
            m = re.fullmatch(rb'listening on 127\.0\.0\.1:(\d+)\n', line)
            if not m:
                raise AssertionError('epoll-server printed %r; stderr: %s' % (line, self.stderr()))
            self.port = int(m.group(1))
        except BaseException:
            self.proc.kill()
            self.proc.wait()
            self.proc.stdout.close()
            self.tmp.cleanup()
            raise
        self.idle_descriptors = len(self.descriptors())

    def stderr(self):
        with open(self.stderr_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def descriptors(self):
        """What the server's open descriptors refer to."""
        fd_dir = '/proc/%d/fd' % self.proc.pid
        out = []
        for name in os.listdir(fd_dir):
            try:
                out.append(os.readlink(os.path.join(fd_dir, name)))
            except FileNotFoundError:  # closed meanwhile
                pass
        return out

    def sockets(self):
        """How many sockets the server has open: the listener and its connections."""
        return sum(1 for target in self.descriptors() if target.startswith('socket:'))

    def stored(self):
        """The contents of the messages stored, sorted."""
        out = []
        for name in os.listdir(self.dir):
            with open(os.path.join(self.dir, name), 'rb') as f:
                out.append(f.read())
        return sorted(out)

    def close(self):
        """Stops the server with SIGTERM; fails unless it exits 0 with nothing on stderr."""
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            try:
                status = self.proc.wait(STEP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                status = self.proc.wait()
            if status != 0 or self.stderr():
                raise AssertionError('epoll-server exited with %s; stderr:\n%s' % (status, self.stderr()))
        finally:
            self.proc.stdout.close()
            self.tmp.cleanup()


class EpollServerTest(unittest.TestCase):

    def start(self, *options):
        server = EpollServer(*options)
        self.addCleanup(server.close)
        return server

    def raw(self, server):
        client = RawClient(server.port)
        self.addCleanup(client.close)
        client.expect(220, b'localhost ESMTP')
        return client

    def assert_stored(self, server, contents):
        stored = server.stored()
        expected = sorted(contents)
        self.assertEqual([len(c) for c in stored], [len(c) for c in expected])
        self.assertTrue(stored == expected, 'a stored message differs from the one sent')

    def assert_no_connection_left(self, server):
        """Every connection is closed and no message file left open."""
        self.assertTrue(wait_until(lambda: server.sockets() == 1), server.descriptors())
        self.assertEqual(len(server.descriptors()), server.idle_descriptors, server.descriptors())

    def test_many_connections_at_once(self):
        server = self.start()
        # All clients wait here, greeted, before any sends its message.
        open_at_once = []
        barrier = threading.Barrier(CONNECTIONS, action=lambda: open_at_once.append(server.sockets()),
                                    timeout=STEP_TIMEOUT * 3)
        expected = [None] * CONNECTIONS
        errors = []

        def pipelined(i, content):
            client = RawClient(server.port)
            try:
                client.expect(220, b'localhost')
                client.command(b'EHLO client.test', 250)
                barrier.wait()
                client.send(b'MAIL FROM:<a%d@client.test>\r\nRCPT TO:<bob@example.com>\r\n'
                            b'DATA\r\n' % i)
                client.expect(250)
                client.expect(250)
                client.expect(354)
                client.send(stuff(content))
                client.expect(250, b'2.0.0')
                client.command(b'QUIT', 221)
                client.assert_closed()
            finally:
                client.close()
            return content

        def with_smtplib(i, content):
            with smtplib.SMTP('127.0.0.1', server.port, timeout=STEP_TIMEOUT * 3) as client:
                client.ehlo('client.test')
                barrier.wait()
                refused = client.sendmail('b%d@client.test' % i, ['bob@example.com'], content)
                self.assertEqual(refused, {})
            return content or b'\r\n'  # smtplib ends the content with CRLF, an empty one too

        def run(i):
            try:
                send = pipelined if i % 2 == 0 else with_smtplib
                expected[i] = send(i, content_of(SIZES[i // 2 % len(SIZES)], b'%d' % i))
            except BaseException as e:  # reported by the main thread
                errors.append('client %d: %r' % (i, e))
                barrier.abort()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(CONNECTIONS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(STEP_TIMEOUT * 6)
        self.assertEqual(errors, [])
        self.assertEqual(open_at_once, [1 + CONNECTIONS])  # the listener and every client
        self.assert_stored(server, expected)
        self.assert_no_connection_left(server)

    def test_one_octet_per_write(self):
        server = self.start()
        client = self.raw(server)
        client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        content = content_of(700, b'trickle')

        def trickle(data):
            for octet in data:
                client.send(bytes([octet]))
                time.sleep(0.0005)

        for line, code in [(b'EHLO client.test', 250), (b'MAIL FROM:<a@client.test>', 250),
                           (b'RCPT TO:<bob@example.com>', 250), (b'DATA', 354)]:
            trickle(line + b'\r\n')
            client.expect(code)
        trickle(stuff(content))
        client.expect(250, b'2.0.0')
        trickle(b'QUIT\r\n')
        client.expect(221)
        client.assert_closed()
        self.assert_stored(server, [content])
        self.assert_no_connection_left(server)

    def test_idle_connections_time_out_while_others_work(self):
        server = self.start('--timeout', '2')
        started = time.monotonic()
        idle = self.raw(server)
        in_data = self.raw(server)
        busy = self.raw(server)
        busy.command(b'EHLO client.test', 250)
        errors = []

        def keep_busy():  # a command every quarter second, past the others' timeouts
            try:
                while time.monotonic() < started + 3.5:
                    busy.command(b'NOOP', 250)
                    time.sleep(0.25)
            except BaseException as e:
                errors.append(repr(e))

        thread = threading.Thread(target=keep_busy)
        thread.start()
        try:
            # Silent for a second, then in the middle of a message: its timeout counts
            # from the last octet it sent, not from when it connected.
            time.sleep(1)
            in_data.command(b'EHLO client.test', 250)
            in_data.send(b'MAIL FROM:<a@client.test>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n')
            for code in (250, 250, 354):
                in_data.expect(code)
            in_data.send(b'Subject: never finished\r\n\r\nhalf a li')
            last_input = time.monotonic()
            idle.expect(421, b'4.4.2')
            self.assertGreater(time.monotonic() - started, 1.9)
            idle.assert_closed()
            in_data.expect(421, b'4.4.2')
            self.assertTrue(1.9 < time.monotonic() - last_input < 2.6, time.monotonic() - last_input)
            in_data.assert_closed()
        finally:
            thread.join(STEP_TIMEOUT)
        self.assertEqual(errors, [])
        content = content_of(4096, b'busy')
        busy.send(b'MAIL FROM:<a@client.test>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n')
        busy.expect(250)
        busy.expect(250)
        busy.expect(354)
        busy.send(stuff(content))
        busy.expect(250, b'2.0.0')
        busy.command(b'QUIT', 221)
        self.assert_stored(server, [content])  # not the unfinished one
        self.assert_no_connection_left(server)

    def test_peer_that_never_reads_is_closed(self):
        server = self.start('--timeout', '1')
        client = RawClient(server.port)
        self.addCleanup(client.close)
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.expect(220)
        client.command(b'EHLO client.test', 250)
        # RSET (which may be pipelined) until the socket takes no more, no reply read: the
        # server's replies fill both sockets' buffers, then it stops reading.
        client.sock.setblocking(False)
        batch = b'RSET\r\n' * 10000
        sent = 0
        try:
            while sent < 100 << 20:
                sent += client.sock.send(batch)
        except BlockingIOError:
            pass
        self.assertLess(sent, 100 << 20, 'the server read 100 MiB without its replies being read')
        # Its timeout has nothing to write the 421 to, and the wait for the peer to read
        # is bounded too: the connection closes all the same.
        self.assertTrue(wait_until(lambda: server.sockets() == 1), server.descriptors())

    def test_connection_reset_during_data(self):
        server = self.start()
        client = self.raw(server)
        client.command(b'EHLO client.test', 250)
        client.send(b'MAIL FROM:<a@client.test>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n')
        for code in (250, 250, 354):
            client.expect(code)
        client.send(content_of(65537, b'cut')[:40000])
        # SO_LINGER with a zero timeout: close() sends a reset instead of a FIN.
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        client.close()
        self.assert_no_connection_left(server)
        self.assertEqual(server.stored(), [])  # the unfinished file was removed

    def test_pipelined_batch_in_one_write(self):
        server = self.start()
        client = self.raw(server)
        client.command(b'EHLO client.test', 250)
        first, second = content_of(100000, b'first'), content_of(0, b'second')
        client.send(b'MAIL FROM:<a@client.test>\r\nRCPT TO:<bob@example.com>\r\n'
                    b'RCPT TO:<carol@example.com>\r\nDATA\r\n')
        for code in (250, 250, 250, 354):
            client.expect(code)
        # The content, the final dot and the next transaction up to DATA: one write.
        client.send(stuff(first) + b'MAIL FROM:<>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n')
        for code in (250, 250, 250, 354):
            client.expect(code)
        client.send(stuff(second) + b'QUIT\r\n')
        client.expect(250, b'2.0.0')
        client.expect(221)
        client.assert_closed()
        self.assert_stored(server, [first, second])
        self.assert_no_connection_left(server)

    def test_usage(self):
        for args in ([], ['25'], ['x', '/tmp'], ['-1', '/tmp'], ['65536', '/tmp'],
                     ['25', '/tmp', '--timeout'], ['25', '/tmp', '--timeout', '0'],
                     ['25', '/tmp', '--timeout', '2s']):
            run = subprocess.run([SERVER, *args], capture_output=True, timeout=STEP_TIMEOUT)
            self.assertEqual(run.returncode, 2)
            self.assertEqual(run.stderr, b'usage: epoll-server PORT DIR [--timeout SECONDS]\n')


def main():
    global SERVER
    parser = argparse.ArgumentParser()
    parser.add_argument('--server', required=True)
    args, rest = parser.parse_known_args()
    SERVER = args.server
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == '__main__':
    main()
