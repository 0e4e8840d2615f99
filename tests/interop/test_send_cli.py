"""smtpwire-send's command line, local errors, and servers that misbehave: usage errors,
unreadable input, refused connections, timeouts (RFC 5321 §4.5.3.2), a 554 greeting,
421 replies and a server that goes away.

Run: python3 test_send_cli.py --send PATH-TO-smtpwire-send
"""

import os
import tempfile
import time

from send_harness import (EX_DATAERR, EX_NOINPUT, EX_TEMPFAIL, EX_UNAVAILABLE, EX_USAGE,
                          ScriptedServer, SendTestCase, free_port, main)

FLAGS = ['--server HOST:PORT', '--from ADDR', '--to ADDR', '--cc ADDR', '--bcc ADDR',
         '--subject TEXT', '--helo NAME', '--message FILE', '--timeout SECONDS', '-v', '--help']

EHLO_REPLY = b'250-mx.test\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n'


DEFAULT_REPLIES = {b'DATA': b'354 go ahead\r\n', b'QUIT': b'221 bye\r\n'}


def dialogue(replies):
    """A respond() for ScriptedServer: replies by command verb (the first word, upper
    case, or "." for the end of the content); DATA gets 354, QUIT 221 and any other
    verb missing from `replies` 250."""
    def respond(line):
        verb = line.split(b' ', 1)[0].split(b':', 1)[0].upper()
        return replies.get(verb, DEFAULT_REPLIES.get(verb, b'250 OK\r\n'))
    return respond


class CommandLineTest(SendTestCase):

    def test_help(self):
        result = self.run_send('--help')
        self.assertEqual(result.status, 0)
        self.assertEqual(result.stderr, '')
        self.assertTrue(result.stdout.startswith('usage: smtpwire-send --server HOST:PORT'))
        for flag in FLAGS:
            self.assertIn('\n  ' + flag + ' ', result.stdout)

    def test_bad_command_lines(self):
        base = ['--server', '127.0.0.1:25', '--from', 'a@example.org']
        for args, message in [
            (['--bogus'], 'unknown option --bogus'),
            (['--to', 'b@example.org', '--from', 'a@example.org'], '--server is required'),
            (['--server', '127.0.0.1:25', '--to', 'b@example.org'], '--from is required'),
            (base, 'no recipient: give --to, --cc or --bcc'),
            (base + ['--to', 'b@example.org', '--subject', 's', '--message', 'f'],
             '--subject composes a message and --message sends one as it is: give one'),
            (base + ['--to', 'no-at-sign'], 'bad value for --to: no-at-sign'),
            (base + ['--cc', 'a b@example.org'], 'bad value for --cc: a b@example.org'),
            (base + ['--bcc', '<b@example.org>'], 'bad value for --bcc: <b@example.org>'),
            (['--server', '127.0.0.1:25', '--from', 'a@', '--to', 'b@example.org'],
             'bad value for --from: a@'),
            (['--server', '127.0.0.1'], 'bad value for --server: 127.0.0.1'),
            (['--server', '127.0.0.1:65536'], 'bad value for --server: 127.0.0.1:65536'),
            (['--helo', 'two words'], 'bad value for --helo: two words'),
            (['--timeout', '0'], 'bad value for --timeout: 0'),
            (['--to'], '--to needs ADDR'),
            (['-v=1'], 'unknown option -v=1'),
            (['--help=yes'], '--help takes no value'),
        ]:
            with self.subTest(args=args):
                result = self.run_send(*args)
                self.assertEqual(result.status, EX_USAGE, result)
                self.assertEqual(result.stdout, '')
                self.assertTrue(result.stderr.startswith(
                    'smtpwire-send: ' + message + '\nusage: '), result)

    def test_local_input_errors(self):
        port = free_port()  # nothing listens: these fail before connecting
        base = ['--from', 'a@example.org', '--to', 'b@example.org']
        with tempfile.TemporaryDirectory() as tmp:
            missing = os.path.join(tmp, 'missing.eml')
            for args, stdin, status, message in [
                (['--message', missing], b'', EX_NOINPUT,
                 'cannot read %s: No such file or directory' % missing),
                (['--subject', 'not UTF-8'], b'\xff\xfe\n', EX_DATAERR,
                 'cannot compose the message: invalid text'),
                # Composed headers are ASCII (no RFC 6532), so a UTF-8 address is refused.
                (['--subject', 's', '--cc', 'jörg@example.org'], b'x\n', EX_USAGE,
                 'cannot compose the message: invalid address'),
            ]:
                with self.subTest(args=args):
                    result = self.send(port, *base, *args, stdin=stdin)
                    self.assertEqual(result.status, status, result)
                    self.assertEqual(result.stdout, '')
                    self.assertEqual(result.stderr, 'smtpwire-send: ' + message + '\n')

    def test_connection_refused(self):
        port = free_port()
        result = self.send(port, '--from', 'a@example.org', '--to', 'b@example.org',
                           stdin=b'x\n')
        self.assert_result(result, EX_TEMPFAIL, [])
        self.assertEqual(result.stderr, 'smtpwire-send: cannot connect to 127.0.0.1:%d: '
                                        'Connection refused\n' % port)

    def test_silent_server_times_out(self):
        server = self.start(ScriptedServer, b'', dialogue({}))
        started = time.monotonic()
        result = self.send(server.port, '--timeout', '1', '--from', 'a@example.org',
                           '--to', 'b@example.org', stdin=b'x\n')
        self.assert_result(result, EX_TEMPFAIL, [])
        self.assertEqual(result.stderr, 'smtpwire-send: timeout\n')
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(server.received, [])

    def test_server_silent_after_rcpt_times_out_per_recipient(self):
        server = self.start(ScriptedServer, b'220 mx.test\r\n', lambda line: (
            b'' if line.startswith(b'DATA') else dialogue({b'EHLO': EHLO_REPLY})(line)))
        result = self.send(server.port, '--timeout', '1', '--from', 'a@example.org',
                           '--to', 'b@example.org', '--to', 'c@example.org', stdin=b'x\n')
        self.assert_result(result, EX_TEMPFAIL, ['b@example.org - - timeout',
                                                 'c@example.org - - timeout'])
        self.assertEqual(result.stderr, 'smtpwire-send: timeout\n')

    def test_greeting_refused(self):
        server = self.start(ScriptedServer, b'554 5.3.2 mx.test no service\r\n', dialogue({}))
        result = self.send(server.port, '--from', 'a@example.org', '--to', 'b@example.org',
                           stdin=b'x\n')
        self.assert_result(result, EX_UNAVAILABLE, [])
        self.assertEqual(result.stderr, 'smtpwire-send: greeting refused: 554 mx.test no '
                                        'service\n')
        self.assertEqual(server.received, [b'QUIT'])

    def test_421_at_data_ends_the_session(self):
        server = self.start(ScriptedServer, b'220 mx.test\r\n', dialogue({
            b'EHLO': EHLO_REPLY, b'RCPT': b'250 2.1.5 OK\r\n',
            b'DATA': b'421 4.3.2 shutting down\r\n'}))
        result = self.send(server.port, '--from', 'a@example.org', '--to', 'b@example.org',
                           '--to', 'c@example.org', stdin=b'x\n')
        self.assert_result(result, EX_TEMPFAIL, ['b@example.org 421 4.3.2 shutting down',
                                                 'c@example.org 421 4.3.2 shutting down'])
        self.assertEqual(result.stderr, 'smtpwire-send: service closing (421)\n')

    def test_server_closing_mid_transaction(self):
        # The RCPT replies arrive; the connection closes instead of the 354.
        server = self.start(ScriptedServer, b'220 mx.test\r\n', lambda line: (
            None if line.startswith(b'DATA') else dialogue({
                b'EHLO': EHLO_REPLY, b'RCPT': b'550 5.1.1 unknown\r\n' if b'bad' in line
                else b'250 2.1.5 OK\r\n'})(line)))
        result = self.send(server.port, '--from', 'a@example.org', '--to', 'bad@example.org',
                           '--to', 'good@example.org', stdin=b'x\n')
        self.assert_result(result, EX_TEMPFAIL, ['bad@example.org 550 5.1.1 unknown',
                                                 'good@example.org - - connection closed'])
        self.assertTrue(result.stderr.startswith('smtpwire-send: connection closed'), result)

    def test_helo_fallback_and_no_pipelining(self):
        # A server without EHLO: HELO, then one command at a time; the body's lone "."
        # line is dot-stuffed and the final reply applies to the accepted recipient.
        server = self.start(ScriptedServer, b'220 mx.test\r\n', dialogue({
            b'EHLO': b'502 5.5.1 no EHLO\r\n', b'HELO': b'250 mx.test\r\n',
            b'.': b'554 5.6.0 content refused\r\n'}))
        result = self.send(server.port, '--from', 'a@example.org', '--to', 'b@example.org',
                           stdin=b'Subject: x\n\n.\nend\n')
        self.assert_result(result, EX_UNAVAILABLE, ['b@example.org 554 5.6.0 content refused'])
        self.assertEqual(server.received, [
            b'EHLO client.test', b'HELO client.test', b'MAIL FROM:<a@example.org>',
            b'RCPT TO:<b@example.org>', b'DATA', b'Subject: x', b'', b'..', b'end', b'.',
            b'QUIT'])


if __name__ == '__main__':
    main()
