"""minimal-server and minimal-client (examples/minimal/, README's two loops) against each
other, and minimal-client against Postfix's smtp-sink, with bodies of 0, 1, 4095, 4096,
4097 octets and 10 MiB, each stored or dumped byte for byte as sent.

The smtp-sink cases are skipped when it (Debian package postfix) is not installed,
unless SMTPWIRE_REQUIRE_INTEROP=1.
Run: python3 test_minimal.py --server PATH-TO-minimal-server --client PATH-TO-minimal-client
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from send_harness import free_port, wire_form
from serve_harness import STEP_TIMEOUT, wait_until
from test_send_smtp_sink import SMTP_SINK, SmtpSink, as_dumped, split_dump

# Set from --server and --client.
SERVER = None
CLIENT = None

SIZES = [0, 1, 4095, 4096, 4097, 10 << 20]

# Lines the test messages repeat: some start with a dot (stuffed on the wire), some are
# 8-bit, one ends with a bare LF (sent as CRLF).
BLOCK = b''.join(b'line %d\r\n.dot %d\r\n' % (i, i) + 'Grüße'.encode() + b' %d\r\nbare LF\n' % i
                 for i in range(50))


def message_of(size):
    """Exactly `size` octets of the test lines, the last one cut anywhere."""
    return (BLOCK * (size // len(BLOCK) + 1))[:size]


class MinimalServer:
    """minimal-server on 127.0.0.1 storing messages in its own directory; or `program`,
    another server run as PROGRAM PORT DIR [OPTION...] (asio-server)."""

    def __init__(self, directory=None, program=None, *options):
        self.tmp = tempfile.TemporaryDirectory(prefix='smtpwire-minimal-')
        self.dir = directory or self.tmp.name
        self.port = free_port()
        self.name = os.path.basename(program or SERVER)
        self.proc = subprocess.Popen([program or SERVER, str(self.port), self.dir, *options],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        if not wait_until(self._accepting):
            self.close()
            raise AssertionError('%s did not start listening' % self.name)

    def _accepting(self):
        if self.proc.poll() is not None:
            raise AssertionError('%s exited: %r' % (self.name, self.proc.stderr.read()))
        try:
            # The server greets this connection and finds it closed: an EPIPE or EOF it
            # must survive.
            socket.create_connection(('127.0.0.1', self.port), timeout=STEP_TIMEOUT).close()
            return True
        except OSError:
            time.sleep(0.05)
            return False

    def stored(self, number):
        with open(os.path.join(self.dir, '%d.eml' % number), 'rb') as f:
            return f.read()

    def close(self):
        try:
            self.proc.terminate()
            self.proc.wait(STEP_TIMEOUT)
            self.proc.stderr.close()
        finally:
            self.tmp.cleanup()


class MinimalTestCase(unittest.TestCase):

    def start(self, peer_class, *args):
        peer = peer_class(*args)
        self.addCleanup(peer.close)
        return peer

    def send(self, port, message, to='bob@example.com', stdin=False):
        """Runs minimal-client, the message in a file or on its standard input."""
        with tempfile.NamedTemporaryFile(prefix='smtpwire-minimal-') as f:
            f.write(message)
            f.flush()
            args = [CLIENT, '127.0.0.1', str(port), 'alice@example.org', to]
            return subprocess.run(args + ([] if stdin else [f.name]),
                                  input=message if stdin else b'', capture_output=True,
                                  timeout=STEP_TIMEOUT * 3)

    def assert_sent(self, run):
        """Checks that the client exited 0 after the server's 250 to the content."""
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn(b'DATA: 250 ', run.stderr)


class ClientToServerTest(MinimalTestCase):

    def test_bodies_stored_byte_for_byte(self):
        server = self.start(MinimalServer)
        number = 0
        for size in SIZES:
            for stdin in (False, True):
                with self.subTest(size=size, stdin=stdin):
                    message = message_of(size)
                    self.assert_sent(self.send(server.port, message, stdin=stdin))
                    number += 1
                    stored = server.stored(number)
                    self.assertEqual(len(stored), len(wire_form(message)))
                    self.assertEqual(stored, wire_form(message))

    def test_message_that_cannot_be_stored(self):
        server = self.start(MinimalServer, '/nonexistent/smtpwire-minimal')
        run = self.send(server.port, message_of(100))
        self.assertEqual(run.returncode, 1, run.stderr)
        self.assertIn(b'DATA: 451 Cannot store the message\n', run.stderr)

    def test_no_server(self):
        run = self.send(free_port(), message_of(100))
        self.assertEqual(run.returncode, 1, run.stderr)
        self.assertTrue(run.stderr.startswith(b'minimal-client: connect: '), run.stderr)

    def test_usage(self):
        for program in (SERVER, CLIENT):
            run = subprocess.run([program], capture_output=True, timeout=STEP_TIMEOUT)
            self.assertEqual(run.returncode, 2)
            self.assertTrue(run.stderr.startswith(b'usage: minimal-'), run.stderr)


class ClientToSmtpSinkTest(MinimalTestCase):

    def setUp(self):
        if shutil.which(SMTP_SINK) is None:
            if os.environ.get('SMTPWIRE_REQUIRE_INTEROP') == '1':
                self.fail('smtp-sink is not installed and SMTPWIRE_REQUIRE_INTEROP=1')
            self.skipTest('smtp-sink (package postfix) is not installed')

    def the_dump(self, sink):
        dumps = wait_until(sink.dumps)
        self.assertEqual(len(dumps), 1, dumps)
        # The dump is complete once it holds the empty line after the message.
        wait_until(lambda: sink.dumps()[0].endswith(b'\n\n'))
        return split_dump(sink.dumps()[0])

    def test_bodies_dumped_byte_for_byte(self):
        for size in SIZES:
            with self.subTest(size=size):
                sink = self.start(SmtpSink)
                message = message_of(size)
                self.assert_sent(self.send(sink.port, message))
                headers, dumped = self.the_dump(sink)
                self.assertEqual(headers[2:], [b'X-Helo-Args: localhost',
                                               b'X-Mail-Args: <alice@example.org> BODY=8BITMIME',
                                               b'X-Rcpt-Args: <bob@example.com>'])
                self.assertEqual(len(dumped), len(as_dumped(message)))
                self.assertEqual(dumped, as_dumped(message))

    def test_recipient_refused(self):
        sink = self.start(SmtpSink, '-r', 'RCPT')
        run = self.send(sink.port, message_of(100))
        self.assertEqual(run.returncode, 1, run.stderr)
        self.assertEqual(run.stderr, b'MAIL: 250 Ok\nRCPT: 450 Error: command failed\n'
                                     b'RSET: 250 Ok\nQUIT: 221 Bye\n')
        self.assertEqual([dump for dump in sink.dumps() if dump], [])


def main():
    global SERVER, CLIENT
    parser = argparse.ArgumentParser()
    parser.add_argument('--server', required=True)
    parser.add_argument('--client', required=True)
    args, rest = parser.parse_known_args()
    SERVER, CLIENT = args.server, args.client
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == '__main__':
    main()
