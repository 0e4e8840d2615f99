"""smtpwire-send's command line, local errors, and servers that misbehave: usage errors,
unreadable input and token files, refused connections, timeouts (RFC 5321 §4.5.3.2), a
554 greeting, 421 replies and a server that goes away; DSN requests on the wire (RFC
3461); STARTTLS and AUTH policy against scripted servers (RFC 3207, 4954, 7628): what is
sent, the exit status, and the password or token kept out of logs.

Run: python3 test_send_cli.py --send PATH-TO-smtpwire-send
"""

import base64
import os
import tempfile
import time

from send_harness import (EX_DATAERR, EX_NOINPUT, EX_TEMPFAIL, EX_UNAVAILABLE, EX_USAGE,
                          ScriptedServer, SendTestCase, free_port, main, send_has_tls)

FLAGS = ['--server HOST:PORT', '--from ADDR', '--to ADDR', '--cc ADDR', '--bcc ADDR',
         '--subject TEXT', '--helo NAME', '--message FILE', '--ret FULL|HDRS', '--envid ID',
         '--notify WHEN', '--orcpt ADDR-TYPE;ADDR', '--lmtp', '--bdat auto|always|never', '--timeout SECONDS',
         '--starttls MODE', '--tls', '--tls-ca FILE', '--tls-no-verify', '--auth USER:PASS',
         '--auth-user USER', '--auth-token-file PATH', '--auth-mech MECH', '-v', '--help']

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
        self.assertIn('\nDSN (RFC 3461): ', result.stdout)
        self.assertIn('\nTLS: built without TLS' if not send_has_tls() else '\nTLS (OpenSSL ',
                      result.stdout)

    def test_bad_command_lines(self):
        base = ['--server', '127.0.0.1:25', '--from', 'a@example.org']
        password_or_token = ('--auth authenticates with a password and --auth-user with '
                             '--auth-token-file with a token: give one')
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
            (['--starttls', 'maybe'], 'bad value for --starttls: maybe'),
            (['--tls=yes'], '--tls takes no value'),
            (['--auth-mech', 'DIGEST-MD5'], 'bad value for --auth-mech: DIGEST-MD5'),
            (['--auth-mech', 'SCRAM-SHA-256-PLUS'],
             'bad value for --auth-mech: SCRAM-SHA-256-PLUS'),
            (base + ['--to', 'b@example.org', '--auth-mech', 'plain'],
             '--auth-mech needs --auth, or --auth-user and --auth-token-file'),
            (base + ['--to', 'b@example.org', '--auth', 'user:secret', '--auth-mech', 'xoauth2'],
             '--auth-mech XOAUTH2 sends a bearer token: give --auth-user and --auth-token-file'),
            (base + ['--to', 'b@example.org', '--auth-user', 'user', '--auth-token-file', 't',
                     '--auth-mech', 'CRAM-MD5'],
             '--auth-mech CRAM-MD5 sends a password: give --auth USER:PASS'),
            (base + ['--to', 'b@example.org', '--auth', 'user:secret', '--auth-user', 'user',
                     '--auth-token-file', 't'], password_or_token),
            (base + ['--to', 'b@example.org', '--auth-token-file', 't', '--auth', 'user:secret'],
             password_or_token),
            (base + ['--to', 'b@example.org', '--auth-user', 'other', '--auth', 'user:secret'],
             password_or_token),
            (base + ['--to', 'b@example.org', '--auth-user', 'user'],
             '--auth-user and --auth-token-file go together: the account and its token'),
            (base + ['--to', 'b@example.org', '--auth-token-file', 't'],
             '--auth-user and --auth-token-file go together: the account and its token'),
            (['--auth-user', ''], 'bad value for --auth-user: '),
            (['--auth-user', 'us\ter'], 'bad value for --auth-user: us\ter'),
            (['--auth-token-file', ''], 'bad value for --auth-token-file: '),
            (['--bdat', 'yes'], 'bad value for --bdat: yes'),
            (['--bdat', 'AUTO'], 'bad value for --bdat: AUTO'),
            # OAUTHBEARER names the host: an IDN must be given as its A-labels.
            (['--server', 'b\u00fccher.example:25', '--from', 'a@example.org', '--to',
              'b@example.org', '--auth-user', 'user', '--auth-token-file', 't'],
             '--server: OAUTHBEARER sends the host name, which must be ASCII (an IDN in its '
             'xn-- form)'),
            # The password is never repeated in an error.
            (base + ['--auth', 'secret'],
             "--auth needs USER:PASS with a user name before the first ':'"),
            (base + ['--auth', ':secret'],
             "--auth needs USER:PASS with a user name before the first ':'"),
            (base + ['--auth', 'user:'],
             '--auth: the user name and the password must each be 1 to 255 octets of UTF-8'),
            (base + ['--auth', 'user:secret' + 'x' * 250],
             '--auth: the user name and the password must each be 1 to 255 octets of UTF-8'),
        ] + self.dsn_errors() + (self.tls_flag_errors(base) if send_has_tls() else self.no_tls_errors(base)):
            with self.subTest(args=args):
                result = self.run_send(*args)
                self.assertEqual(result.status, EX_USAGE, result)
                self.assertEqual(result.stdout, '')
                self.assertTrue(result.stderr.startswith(
                    'smtpwire-send: ' + message + '\nusage: '), result)
                self.assertNotIn('secret', result.stderr)

    @staticmethod
    def dsn_errors():
        """DSN values that client_session cannot send (RFC 3461 §4): CR and LF, which
        would end the command, and anything else RFC 3461 does not allow."""
        return [(['--' + flag, value], 'bad value for --%s: %s' % (flag, value))
                for flag, value in [
                    ('ret', 'HEADERS'), ('ret', 'FULL,HDRS'), ('ret', ''),
                    ('notify', 'NEVER,SUCCESS'), ('notify', 'delay,never'), ('notify', ''),
                    ('notify', 'SUCCESS,'), ('notify', 'SUCCESS FAILURE'),
                    ('notify', 'SOMETIMES'), ('notify', 'SUCCESS\r\nRSET'),
                    ('envid', ''), ('envid', 'two words'), ('envid', 'id\r\nRSET'),
                    ('envid', 'id\n'), ('envid', 'id\r'), ('envid', 'gr\u00fc\u00df'),
                    ('envid', 'tab\there'),
                    # 101 octets once xtext-encoded, one over the limit (+ is +2B).
                    ('envid', 'x' * 98 + '+'),
                    ('orcpt', 'list@example.net'), ('orcpt', ';list@example.net'),
                    ('orcpt', 'rfc822;'), ('orcpt', 'rfc 822;list@example.net'),
                    ('orcpt', 'rfc822;list@example.net\r\nRCPT TO:<x@example.net>'),
                    ('orcpt', 'rfc822;list@example.net\n'),
                    ('orcpt', 'rfc822;j\u00f6rg@example.net'),
                    ('orcpt', 'rfc822;' + 'x' * 491 + '+')]]

    @staticmethod
    def tls_flag_errors(base):
        checked = ('is for checked TLS: give --tls or --starttls required (opportunistic '
                   'STARTTLS checks no certificate)')
        return [
            (base + ['--tls', '--starttls', 'none'],
             '--tls starts TLS at once and --starttls upgrades a connection in clear: give one'),
            (base + ['--starttls', 'required', '--tls-ca', 'ca.pem', '--tls-no-verify'],
             '--tls-ca checks the certificate and --tls-no-verify does not: give one'),
            (base + ['--tls-ca', 'ca.pem'], '--tls-ca ' + checked),
            (base + ['--starttls', 'none', '--tls-no-verify'], '--tls-no-verify ' + checked),
        ]

    @staticmethod
    def no_tls_errors(base):
        return [(base + args, flag + ': smtpwire-send was built without TLS') for args, flag in [
            (['--tls'], '--tls'),
            (['--starttls', 'required'], '--starttls'),
            (['--starttls', 'opportunistic'], '--starttls'),
            (['--starttls', 'required', '--tls-ca', 'ca.pem'], '--tls-ca'),
            (['--tls-no-verify'], '--tls-no-verify'),
        ]]

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
            ] + self.token_file_errors(tmp):
                with self.subTest(args=args):
                    result = self.send(port, *base, *args, stdin=stdin)
                    self.assertEqual(result.status, status, result)
                    self.assertEqual(result.stdout, '')
                    self.assertEqual(result.stderr, 'smtpwire-send: ' + message + '\n')
                    self.assertNotIn('secret', result.stderr)

    def token_file_errors(self, tmp):
        """Token files smtpwire-send refuses before it connects, as test_local_input_errors
        cases; the error never shows the file's content."""
        no_token = (' holds no bearer token: one line of letters, digits and -._~+/, then '
                    "any '=' (RFC 6750 b64token)")
        cases = []
        for name, content, status, message in [
                ('missing', None, EX_NOINPUT, 'cannot read {}: No such file or directory'),
                ('empty', b'', EX_DATAERR, '{}' + no_token),
                ('blank-line', b'\n', EX_DATAERR, '{}' + no_token),
                ('space', b'secret token\n', EX_DATAERR, '{}' + no_token),
                ('two-lines', b'secret\nsecret\n', EX_DATAERR, '{}' + no_token),
                ('two-line-ends', b'secret\n\n', EX_DATAERR, '{}' + no_token),
                ('padding-inside', b'sec=ret\n', EX_DATAERR, '{}' + no_token),
                ('too-long', b'secret' * 2731 + b'\n', EX_DATAERR,
                 '{}: a bearer token of more than 16384 octets is refused')]:
            path = os.path.join(tmp, name)
            if content is not None:
                with open(path, 'wb') as f:
                    f.write(content)
            cases.append((['--auth-user', 'user@example.org', '--auth-token-file', path], b'x\n',
                          status, message.format(path)))
        return cases

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

    def test_dsn_requests_on_the_wire(self):
        # RFC 3461 §4: RET and ENVID on MAIL, NOTIFY and ORCPT on every RCPT, ENVID and
        # the ORCPT address in xtext ('+' as +2B, '=' as +3D, SP as +20) and NOTIFY's
        # words in the order SUCCESS, FAILURE, DELAY; to a server without DSN none of
        # them. The longest values fill ENVID's 100 and ORCPT's 500 octets exactly.
        ehlo_dsn = b'250-mx.test\r\n250-PIPELINING\r\n250-DSN\r\n250 ENHANCEDSTATUSCODES\r\n'
        longest_orcpt = 'rfc822;' + 'x' * 490 + '+'
        for ehlo, flags, mail, rcpt in [
                (ehlo_dsn, ['--ret', 'hdrs', '--envid', 'QQ+314=159', '--notify', 'delay,failure',
                            '--orcpt', 'rfc822;"list tag"+x@example.net'],
                 b' RET=HDRS ENVID=QQ+2B314+3D159',
                 b' NOTIFY=FAILURE,DELAY ORCPT=rfc822;"list+20tag"+2Bx@example.net'),
                (ehlo_dsn, ['--ret', 'FULL', '--envid', 'x' * 97 + '+', '--notify', 'never',
                            '--orcpt', longest_orcpt],
                 b' RET=FULL ENVID=' + b'x' * 97 + b'+2B',
                 b' NOTIFY=NEVER ORCPT=rfc822;' + b'x' * 490 + b'+2B'),
                (ehlo_dsn, ['--notify', 'SUCCESS'], b'', b' NOTIFY=SUCCESS'),
                (EHLO_REPLY, ['--ret', 'hdrs', '--envid', 'QQ+314=159', '--notify', 'success',
                              '--orcpt', 'rfc822;list+tag@example.net'], b'', b'')]:
            with self.subTest(ehlo=ehlo, flags=flags):
                server = self.start(ScriptedServer, b'220 mx.test\r\n', dialogue({
                    b'EHLO': ehlo, b'.': b'250 2.0.0 queued\r\n'}))
                result = self.send(server.port, '--from', 'a@example.org', '--to', 'b@example.org',
                                   '--bcc', 'c@example.org', *flags, stdin=b'x\n')
                self.assert_result(result, 0, ['b@example.org 250 2.0.0 queued',
                                               'c@example.org 250 2.0.0 queued'])
                self.assertEqual(server.received[:5], [
                    b'EHLO client.test', b'MAIL FROM:<a@example.org>' + mail,
                    b'RCPT TO:<b@example.org>' + rcpt, b'RCPT TO:<c@example.org>' + rcpt,
                    b'DATA'])

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


def plain_response(line):
    """The user and password of an "AUTH PLAIN <base64>" line, or None."""
    parts = line.split(b' ')
    if len(parts) != 3 or parts[:2] != [b'AUTH', b'PLAIN']:
        return None
    authzid, user, password = base64.b64decode(parts[2]).split(b'\0')
    return user, password


class TlsAndAuthPolicyTest(SendTestCase):
    """What smtpwire-send does around STARTTLS and AUTH with servers scripted in clear
    (the handshakes themselves are in test_send_tls.py and test_send_postfix.py)."""

    EHLO_AUTH = b'250-mx.test\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n'
    EHLO_STARTTLS = b'250-mx.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n'

    def needs_tls(self):
        if not send_has_tls():
            self.skipTest('smtpwire-send was built without TLS')

    def test_starttls_required_but_not_offered(self):
        self.needs_tls()
        server = self.start(ScriptedServer, b'220 mx.test\r\n', dialogue({b'EHLO': EHLO_REPLY}))
        result = self.send(server.port, '--starttls', 'required', '--from', 'a@example.org',
                           '--to', 'b@example.org', stdin=b'x\n')
        self.assert_result(result, EX_UNAVAILABLE, [])
        self.assertEqual(result.stderr,
                         'smtpwire-send: STARTTLS not offered (--starttls required)\n')
        self.assertEqual(server.received, [b'EHLO client.test', b'QUIT'])

    def test_starttls_refused(self):
        # --starttls required: no mail, and the exit status follows the reply's class.
        # Opportunistic: the message goes in clear.
        self.needs_tls()
        for reply, mode, status, error in [
                (b'454 4.7.0 TLS not available\r\n', 'required', EX_TEMPFAIL,
                 'STARTTLS refused: 454 TLS not available'),
                (b'554 5.7.0 no TLS for you\r\n', 'required', EX_UNAVAILABLE,
                 'STARTTLS refused: 554 no TLS for you'),
                (b'454 4.7.0 TLS not available\r\n', 'opportunistic', 0, None)]:
            with self.subTest(reply=reply, mode=mode):
                server = self.start(ScriptedServer, b'220 mx.test\r\n', dialogue({
                    b'EHLO': self.EHLO_STARTTLS, b'STARTTLS': reply}))
                result = self.send(server.port, '--starttls', mode, '--from', 'a@example.org',
                                   '--to', 'b@example.org', stdin=b'x\n')
                self.assertEqual(result.status, status, result)
                if status == 0:
                    self.assertIn(b'MAIL FROM:<a@example.org>', server.received)
                else:
                    self.assertEqual(result.stderr, 'smtpwire-send: %s\n' % error)
                    self.assertEqual(server.received,
                                     [b'EHLO client.test', b'STARTTLS', b'QUIT'])

    def test_plaintext_after_the_220_is_discarded(self):
        # A reply injected behind the 220 (the client side of CVE-2011-0411) is dropped
        # and reported; the server then hangs up instead of a handshake: transient, and
        # also when opportunistic (the connection cannot go back to clear).
        self.needs_tls()
        for mode in ('required', 'opportunistic'):
            with self.subTest(mode=mode):
                server = self.start(ScriptedServer, b'220 mx.test\r\n', dialogue({
                    b'EHLO': self.EHLO_STARTTLS,
                    b'STARTTLS': (b'220 2.0.0 go ahead\r\n250 2.1.0 injected\r\n', True)}))
                result = self.send(server.port, '--starttls', mode, '--from', 'a@example.org',
                                   '--to', 'b@example.org', stdin=b'x\n')
                self.assert_result(result, EX_TEMPFAIL, [])
                lines = result.stderr.splitlines()
                self.assertEqual(lines[0], 'smtpwire-send: warning: 20 octets the server sent in '
                                           'clear after its 220 to STARTTLS were discarded')
                # The server's close reaches the client as an end of stream or, when the
                # ClientHello was already on its way, as a reset: both end the handshake.
                self.assertIn(lines[1:], [
                    ['smtpwire-send: TLS handshake failed: the server closed the connection '
                     'during the handshake'],
                    ['smtpwire-send: TLS handshake failed: Connection reset by peer']])
                self.assertEqual(server.received, [b'EHLO client.test', b'STARTTLS'])

    def test_silent_handshake_times_out(self):
        # The server says 220 and then nothing: --timeout bounds the handshake too.
        self.needs_tls()
        server = self.start(ScriptedServer, b'220 mx.test\r\n', dialogue({
            b'EHLO': self.EHLO_STARTTLS, b'STARTTLS': b'220 2.0.0 go ahead\r\n'}))
        started = time.monotonic()
        result = self.send(server.port, '--timeout', '1', '--from', 'a@example.org',
                           '--to', 'b@example.org', stdin=b'x\n')
        self.assert_result(result, EX_TEMPFAIL, [])
        self.assertEqual(result.stderr, 'smtpwire-send: TLS handshake failed: no answer '
                                        'within 1 s\n')
        self.assertLess(time.monotonic() - started, 5)

    def test_auth_without_server_auth(self):
        # With --auth and no AUTH offered: no MAIL, QUIT, a permanent failure.
        server = self.start(ScriptedServer, b'220 mx.test\r\n', dialogue({b'EHLO': EHLO_REPLY}))
        result = self.send(server.port, '--starttls', 'none', '--auth', 'user:secret',
                           '--from', 'a@example.org', '--to', 'b@example.org', stdin=b'x\n')
        self.assert_result(result, EX_UNAVAILABLE, [])
        self.assertEqual(result.stderr, 'smtpwire-send: no usable AUTH mechanism: the server '
                                        'offers no AUTH without TLS\n')
        self.assertEqual(server.received, [b'EHLO client.test', b'QUIT'])

    def test_auth_in_clear_warns_and_splits_at_the_first_colon(self):
        # No STARTTLS offered and none required: PLAIN in clear, with a warning; the
        # password keeps its own ':' and spaces. -v shows no credentials.
        for mode in [['--starttls', 'none']] + ([[]] if send_has_tls() else []):
            with self.subTest(mode=mode):
                server = self.start(ScriptedServer, b'220 mx.test\r\n', dialogue({
                    b'EHLO': self.EHLO_AUTH, b'AUTH': b'235 2.7.0 OK\r\n'}))
                result = self.send(server.port, '-v', *mode, '--auth', 'us er:se:cr et',
                                   '--from', 'a@example.org', '--to', 'b@example.org',
                                   stdin=b'x\n')
                self.assertEqual(result.status, 0, result)
                self.assertEqual(plain_response(server.received[1]), (b'us er', b'se:cr et'))
                self.assertEqual(server.received[2], b'MAIL FROM:<a@example.org>')
                log = result.stderr.splitlines()
                self.assertIn('smtpwire-send: warning: no TLS: sending the password in clear '
                              '(AUTH PLAIN)', log)
                self.assertIn('C: AUTH PLAIN [hidden]', log)
                self.assertNotIn(server.received[1].split(b' ')[2].decode(), result.stderr)
                self.assertNotIn('se:cr et', result.stderr)

    def test_token_never_in_clear(self):
        # Unlike a password, a bearer token is never sent without TLS (RFC 6750 §5.3),
        # whatever --starttls says: with no STARTTLS offered the client finds no mechanism
        # it may use and QUITs. The file's CRLF is not part of the token, and nothing of
        # it appears in the log.
        token = b'ya29.a0-Bc_D~e+f/g=='
        ehlo = b'250-mx.test\r\n250-PIPELINING\r\n250 AUTH XOAUTH2 OAUTHBEARER\r\n'
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'token')
            with open(path, 'wb') as f:
                f.write(token + b'\r\n')
            modes = [['--starttls', 'none']]
            if send_has_tls():
                modes += [[], ['--starttls', 'required']]
            for mode in modes:
                with self.subTest(mode=mode):
                    server = self.start(ScriptedServer, b'220 mx.test\r\n', dialogue({
                        b'EHLO': ehlo, b'AUTH': b'235 2.7.0 OK\r\n'}))
                    result = self.send(server.port, '-v', *mode, '--auth-user', 'user@example.org',
                                       '--auth-token-file', path, '--from', 'a@example.org',
                                       '--to', 'b@example.org', stdin=b'x\n')
                    self.assertNotIn(token.decode(), result.stderr)
                    self.assert_result(result, EX_UNAVAILABLE, [])
                    self.assertEqual(server.received, [b'EHLO client.test', b'QUIT'])
                    self.assertEqual(result.stderr.splitlines()[-1], 'smtpwire-send: ' + (
                        'STARTTLS not offered (--starttls required)' if mode == ['--starttls', 'required']
                        else 'no usable AUTH mechanism: the server offers AUTH XOAUTH2 OAUTHBEARER '
                             'without TLS'))

    def test_longest_token_file(self):
        # 16384 octets and a LF, the most a token file may hold, is read and kept for
        # TLS (the server here offers none, so nothing is sent); one more is refused as
        # bad data before connecting.
        for size, status in [(16384, EX_UNAVAILABLE), (16385, EX_DATAERR)]:
            with self.subTest(size=size), tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, 'token')
                with open(path, 'wb') as f:
                    f.write(b'T' * size + b'\n')
                server = self.start(ScriptedServer, b'220 mx.test\r\n', dialogue({
                    b'EHLO': b'250-mx.test\r\n250 AUTH XOAUTH2 OAUTHBEARER\r\n'}))
                result = self.send(server.port, '--starttls', 'none', '--auth-user', 'u@example.org',
                                   '--auth-token-file', path, '--auth-mech', 'XOAUTH2',
                                   '--from', 'a@example.org', '--to', 'b@example.org', stdin=b'x\n')
                self.assertEqual(result.status, status, result)
                self.assertEqual(server.received, [b'EHLO client.test', b'QUIT'] if size == 16384 else [])

    def test_auth_refused(self):
        # 535 is permanent, 454 transient; either way no MAIL follows.
        for reply, status, error in [
                (b'535 5.7.8 bad credentials\r\n', EX_UNAVAILABLE, '535 bad credentials'),
                (b'454 4.7.0 try later\r\n', EX_TEMPFAIL, '454 try later')]:
            with self.subTest(reply=reply):
                server = self.start(ScriptedServer, b'220 mx.test\r\n', dialogue({
                    b'EHLO': self.EHLO_AUTH, b'AUTH': reply}))
                result = self.send(server.port, '--starttls', 'none', '--auth', 'user:secret',
                                   '--from', 'a@example.org', '--to', 'b@example.org',
                                   stdin=b'x\n')
                self.assert_result(result, status, [])
                self.assertEqual(result.stderr.splitlines()[-1],
                                 'smtpwire-send: authentication failed: ' + error)
                self.assertEqual([line.split(b' ')[0] for line in server.received],
                                 [b'EHLO', b'AUTH', b'QUIT'])

    def test_auth_mech_login(self):
        # --auth-mech LOGIN answers the two prompts; offered only PLAIN, it sends no AUTH.
        replies = [b'334 VXNlcm5hbWU6\r\n', b'334 UGFzc3dvcmQ6\r\n', b'235 2.7.0 OK\r\n']
        others = dialogue({b'EHLO': self.EHLO_AUTH})

        def login(line):
            # AUTH LOGIN, then the two answers, each get the next of `replies`.
            if line == b'AUTH LOGIN' or 0 < len(replies) < 3:
                return replies.pop(0)
            return others(line)

        server = self.start(ScriptedServer, b'220 mx.test\r\n', login)
        result = self.send(server.port, '-v', '--starttls', 'none', '--auth', 'user:secret',
                           '--auth-mech', 'login', '--from', 'a@example.org',
                           '--to', 'b@example.org', stdin=b'x\n')
        self.assertEqual(result.status, 0, result)
        self.assertEqual(server.received[1:4], [b'AUTH LOGIN', base64.b64encode(b'user'),
                                                base64.b64encode(b'secret')])
        log = result.stderr.splitlines()
        self.assertEqual(log[log.index('C: AUTH LOGIN'):][:5], [
            'C: AUTH LOGIN', 'S: 334 VXNlcm5hbWU6', 'C: [hidden]', 'S: 334 UGFzc3dvcmQ6',
            'C: [hidden]'])

        server = self.start(ScriptedServer, b'220 mx.test\r\n', dialogue({
            b'EHLO': b'250-mx.test\r\n250 AUTH PLAIN\r\n'}))
        result = self.send(server.port, '--starttls', 'none', '--auth', 'user:secret',
                           '--auth-mech', 'LOGIN', '--from', 'a@example.org',
                           '--to', 'b@example.org', stdin=b'x\n')
        self.assert_result(result, EX_UNAVAILABLE, [])
        self.assertEqual(result.stderr, 'smtpwire-send: no usable AUTH mechanism: the server '
                                        'offers AUTH PLAIN without TLS, and --auth-mech asks '
                                        'for LOGIN\n')
        self.assertEqual(server.received, [b'EHLO client.test', b'QUIT'])


if __name__ == '__main__':
    main()
