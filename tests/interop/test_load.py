"""smtpwire-load against smtpwire-serve and Postfix's smtp-sink on 127.0.0.1: the counts it
prints match what the server took, and a refused message is never counted (RFC 5321
§4.2.5, RFC 2920, RFC 3030).

smtp-sink's cases are skipped when it is not installed (Debian package postfix), unless
SMTPWIRE_REQUIRE_INTEROP=1.
Run: python3 test_load.py --load PATH-TO-smtpwire-load --serve PATH-TO-smtpwire-serve
"""

import os
import shutil
import subprocess
import sys
import unittest

import serve_harness
from send_harness import free_port
from serve_harness import STEP_TIMEOUT, ServeProcess, wait_until
from test_send_smtp_sink import SMTP_SINK, SmtpSink

# Set by main() from --load PATH.
LOAD = None

EX_TEMPFAIL = 75


class LoadResult:
    """smtpwire-load's exit status and its "name: value unit" lines as a dict of the
    values (numbers as int or float)."""

    def __init__(self, run):
        self.status = run.returncode
        self.stderr = run.stderr.decode('utf-8', 'replace')
        self.stdout = run.stdout.decode('utf-8', 'replace')
        self.figures = {}
        for line in self.stdout.splitlines():
            name, _, value = line.partition(': ')
            number = value.split(' ')[0]
            self.figures[name] = float(number) if '.' in number else int(number)

    def __repr__(self):
        return 'status %d\n%s%s' % (self.status, self.stdout, self.stderr)


class LoadTestCase(unittest.TestCase):

    def load(self, port, *args):
        run = subprocess.run([LOAD, '--server', '127.0.0.1:%d' % port, *args],
                             stdin=subprocess.DEVNULL, capture_output=True,
                             timeout=STEP_TIMEOUT * 3)
        result = LoadResult(run)
        for marker in ('runtime error', 'Sanitizer', 'bug:'):
            self.assertNotIn(marker, result.stderr, result)
        return result

    def assert_counts(self, result, status, messages, delivered, refused):
        f = result.figures
        self.assertEqual((result.status, f['messages'], f['delivered'], f['failed'],
                          f['refused_transactions'], f['failed_sessions']),
                         (status, messages, delivered, messages - delivered, refused, 0), result)
        # One latency per delivered message, each a positive time.
        if delivered:
            self.assertGreater(f['latency_p50'], 0, result)
            self.assertGreaterEqual(f['latency_p99'], f['latency_p50'], result)
            self.assertGreater(f['msgs_per_s'], 0, result)
        else:
            self.assertEqual(f['msgs_per_s'], 0, result)

    def start(self, peer_class, *args):
        peer = peer_class(*args)
        self.addCleanup(peer.close)
        return peer


class LoadServeTest(LoadTestCase):

    def test_pipelined_sessions_discarded(self):
        server = self.start(ServeProcess, '--discard')
        result = self.load(server.port, '--sessions', '5', '--messages', '60',
                           '--recipients', '3', '--size', '2000')
        self.assert_counts(result, 0, 60, 60, 0)
        self.assertEqual(result.figures['connections'], 5, result)
        self.assertEqual(result.figures['refused_replies'], 0, result)
        self.assertEqual(server.messages(), [])

    def test_every_delivered_message_is_stored(self):
        # Without --discard each message counted is in the maildir, of the size asked for.
        for mode in ([], ['--bdat'], ['--no-pipelining'], ['--per-connection']):
            with self.subTest(mode=mode):
                server = self.start(ServeProcess)
                result = self.load(server.port, '--sessions', '3', '--messages', '12',
                                   '--recipients', '2', '--size', '700', *mode)
                self.assert_counts(result, 0, 12, 12, 0)
                stored = server.messages()
                self.assertEqual(len(stored), 12)
                self.assertTrue(all(len(content) == 700 for _, content in stored))
                self.assertEqual(sorted(env['rcpt_to'][1] for env, _ in stored),
                                 sorted('m%d.r1@load.test' % n for n in range(12)))
                if mode == ['--per-connection']:
                    self.assertGreaterEqual(result.figures['connections'], 12, result)
                else:
                    self.assertEqual(result.figures['connections'], 3, result)

    def test_message_sizes(self):
        # The content is exactly --size octets (empty below 2: a line needs its CRLF).
        server = self.start(ServeProcess)
        sizes = [0, 1, 2, 30, 52, 53, 54, 79, 80, 81, 157, 158, 5000]
        for size in sizes:
            self.assert_counts(self.load(server.port, '--size', str(size)), 0, 1, 1, 0)
        stored = [len(content) for _, content in server.messages()]
        self.assertEqual(stored, [size if size >= 2 else 0 for size in sizes])

    def test_refused_messages_are_not_counted(self):
        # Messages 3, 13, 23, ... have their only recipient refused (550): not delivered,
        # and the run fails.
        for mode in ([], ['--bdat'], ['--no-pipelining']):
            with self.subTest(mode=mode):
                server = self.start(ServeProcess, '--discard', '--reject-rcpt', 'm*3.r0@*')
                result = self.load(server.port, '--sessions', '4', '--messages', '40', *mode)
                self.assert_counts(result, EX_TEMPFAIL, 40, 36, 4)
                self.assertGreaterEqual(result.figures['refused_replies'], 4, result)

    def test_no_server(self):
        port = free_port()
        result = self.load(port, '--messages', '3')
        self.assertNotEqual(result.status, 0, result)
        self.assertEqual(result.figures['delivered'], 0, result)


@unittest.skipUnless(shutil.which(SMTP_SINK) or os.environ.get('SMTPWIRE_REQUIRE_INTEROP') == '1',
                     'smtp-sink (package postfix) is not installed')
class LoadSmtpSinkTest(LoadTestCase):

    def test_pipelined_sessions(self):
        sink = self.start(SmtpSink)
        result = self.load(sink.port, '--sessions', '4', '--messages', '40', '--recipients', '3')
        self.assert_counts(result, 0, 40, 40, 0)
        # One dump file per message counted.
        self.assertTrue(wait_until(lambda: len(sink.dumps()) == 40), len(sink.dumps()))

    def test_one_message_per_connection(self):
        sink = self.start(SmtpSink)
        result = self.load(sink.port, '--sessions', '4', '--messages', '20', '--per-connection')
        self.assert_counts(result, 0, 20, 20, 0)
        self.assertGreaterEqual(result.figures['connections'], 20, result)

    def test_refused_content_is_not_counted(self):
        # -f . : 500 to the end of the content; -r RCPT: 450 to every recipient.
        for flag, command in (('-f', '.'), ('-r', 'RCPT')):
            with self.subTest(flag=flag, command=command):
                sink = self.start(SmtpSink, flag, command)
                result = self.load(sink.port, '--sessions', '2', '--messages', '10')
                self.assert_counts(result, EX_TEMPFAIL, 10, 0, 10)


def main():
    global LOAD
    args = sys.argv[1:]
    if len(args) < 4 or args[0] != '--load' or args[2] != '--serve':
        sys.exit('usage: %s --load PATH-TO-smtpwire-load --serve PATH-TO-smtpwire-serve '
                 '[unittest options]' % sys.argv[0])
    LOAD = os.path.abspath(args[1])
    serve_harness.SERVE = os.path.abspath(args[3])
    unittest.main(module='__main__', argv=[sys.argv[0]] + args[4:], verbosity=2)


if __name__ == '__main__':
    main()
