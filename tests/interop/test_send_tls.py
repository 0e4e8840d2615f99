"""smtpwire-send with TLS and AUTH against aiosmtpd: STARTTLS (RFC 3207) required,
opportunistic and absent, implicit TLS (RFC 8314 §3), certificate and host checks
(RFC 6125) with --tls-ca, SSL_CERT_FILE and --tls-no-verify, SNI (RFC 6066 §3), and AUTH
PLAIN and LOGIN (RFC 4954, 4616) with good and bad credentials.

Each test starts aiosmtpd_sink.py with a throwaway self-signed certificate made by the
openssl command. Skips (exit status 77) when aiosmtpd (python3-aiosmtpd), the openssl
command (openssl) or TLS in smtpwire-send (libssl-dev) is missing, unless
SMTPWIRE_REQUIRE_INTEROP=1.
Run: python3 test_send_tls.py --send PATH-TO-smtpwire-send
"""

import os
import tempfile

from send_harness import (EX_TEMPFAIL, EX_UNAVAILABLE, SendTestCase, default_store_environment,
                          main, make_certificate, require_tls, skip_unless, wire_form)
from test_send_aiosmtpd import PYTHON, AiosmtpdSink

MESSAGE = b'Subject: over TLS\r\n\r\n.leading dot\r\nbody\r\n'
# A certificate for 127.0.0.1 and localhost, and one for another name only.
CERTS = tempfile.TemporaryDirectory(prefix='smtpwire-tls-certs-')
GOOD = OTHER = None


def make_certificates():
    global GOOD, OTHER
    GOOD = make_certificate(CERTS.name, 'localhost', 'DNS:localhost,IP:127.0.0.1')
    OTHER = make_certificate(CERTS.name, 'mx.test', 'DNS:mx.test')


class TlsSink(AiosmtpdSink):
    """aiosmtpd_sink.py with `cert` (GOOD by default) and `args`."""

    def __init__(self, *args, cert=None):
        cert, key = cert or GOOD
        super().__init__('--cert', cert, '--key', key, *args)

    def sni(self):
        """The server names the clients sent, "-" for none."""
        with open(os.path.join(self.tmp.name, 'sni.txt'), encoding='utf-8') as f:
            return f.read().split()


class SendWithTlsTest(SendTestCase):

    def send_message(self, sink, *args, host='127.0.0.1', env=None):
        return self.send(sink.port, '-v', '--from', 'a@example.org', '--to', 'b@example.org',
                         *args, stdin=MESSAGE, host=host, env=env)

    def assert_delivered(self, sink, result, tls=True, authenticated=True):
        self.assert_result(result, 0, ['b@example.org 250 2.0.0 stored as 1'])
        [(env, content)] = sink.messages()
        self.assertEqual(content, wire_form(MESSAGE))
        self.assertEqual((env['rcpt_to'], env['tls'], env['authenticated']),
                         (['b@example.org'], tls, authenticated))

    def assert_nothing_sent(self, sink, result, status):
        self.assertEqual((result.status, result.lines), (status, []), result)
        self.assertEqual(sink.messages(), [])
        self.assertFalse([line for line in result.stderr.splitlines()
                          if line.startswith('C: MAIL')], result)

    def test_starttls_required_verified_with_auth(self):
        sink = self.start(TlsSink, '--require-starttls', '--auth', 'user:pass word')
        result = self.send_message(sink, '--starttls', 'required', '--tls-ca', GOOD[0],
                                   '--auth', 'user:pass word')
        self.assert_delivered(sink, result)
        log = result.stderr.splitlines()
        starttls = log.index('C: STARTTLS')
        self.assertEqual(log[starttls + 1][:6], 'S: 220')
        self.assertRegex(log[starttls + 2], r'^\* TLS: TLSv1\.[23] \S+, certificate verified '
                                            r'for 127\.0\.0\.1$')
        self.assertEqual(log[starttls + 3], 'C: EHLO client.test')
        self.assertIn('C: AUTH PLAIN [hidden]', log)
        self.assertIn('S: 235 2.7.0 Authentication successful', log)
        self.assertNotIn('pass word', result.stderr)
        self.assertNotIn('warning', result.stderr)
        self.assertEqual(sink.sni(), ['-'])  # never an IP address as SNI

    def test_wrong_password(self):
        sink = self.start(TlsSink, '--require-starttls', '--auth', 'user:right')
        result = self.send_message(sink, '--starttls', 'required', '--tls-ca', GOOD[0],
                                   '--auth', 'user:wrong')
        self.assert_nothing_sent(sink, result, EX_UNAVAILABLE)
        self.assertEqual(result.stderr.splitlines()[-3:], [
            'C: QUIT', 'S: 221 Bye',
            'smtpwire-send: authentication failed: 535 Authentication credentials invalid'])

    def test_auth_login_forced(self):
        sink = self.start(TlsSink, '--auth', 'user:secret')
        result = self.send_message(sink, '--starttls', 'required', '--tls-ca', GOOD[0],
                                   '--auth', 'user:secret', '--auth-mech', 'LOGIN')
        self.assert_delivered(sink, result)
        self.assertIn('C: AUTH LOGIN', result.stderr.splitlines())
        self.assertNotIn('secret', result.stderr)

    def test_forced_mechanism_not_offered(self):
        sink = self.start(TlsSink, '--auth', 'user:secret', '--auth-exclude', 'LOGIN')
        result = self.send_message(sink, '--starttls', 'required', '--tls-ca', GOOD[0],
                                   '--auth', 'user:secret', '--auth-mech', 'LOGIN')
        self.assert_nothing_sent(sink, result, EX_UNAVAILABLE)
        self.assertEqual(result.stderr.splitlines()[-1],
                         'smtpwire-send: no usable AUTH mechanism: the server offers AUTH '
                         'PLAIN, and --auth-mech asks for LOGIN')
        self.assertNotIn('C: AUTH', result.stderr)

    def test_starttls_required_without_starttls(self):
        sink = self.start(AiosmtpdSink)
        result = self.send_message(sink, '--starttls', 'required', '--tls-ca', GOOD[0])
        self.assert_nothing_sent(sink, result, EX_UNAVAILABLE)
        log = result.stderr.splitlines()
        self.assertEqual(log[-3:], ['C: QUIT', 'S: 221 Bye', 'smtpwire-send: STARTTLS not '
                                                             'offered (--starttls required)'])
        self.assertNotIn('C: STARTTLS', log)

    def test_no_verify(self):
        # The certificate names another host and no CA is given: only --tls-no-verify
        # lets it through.
        sink = self.start(TlsSink, '--require-starttls', cert=OTHER)
        result = self.send_message(sink, '--starttls', 'required', '--tls-no-verify',
                                   env=default_store_environment())
        self.assert_delivered(sink, result, authenticated=False)
        self.assertRegex(result.stderr, r'\n\* TLS: TLSv1\.[23] \S+, certificate not verified\n')

    def test_verification_failures(self):
        # No mail goes out over a connection whose certificate does not check out; a
        # failed handshake is transient (the server's certificate may be fixed).
        for what, cert, args, host, error in [
                ('no CA', GOOD, [], '127.0.0.1',
                 'certificate verify failed: self-signed certificate (127.0.0.1)'),
                ('wrong CA', GOOD, ['--tls-ca', OTHER[0]], '127.0.0.1',
                 'certificate verify failed: self-signed certificate (127.0.0.1)'),
                ('address mismatch', OTHER, ['--tls-ca', OTHER[0]], '127.0.0.1',
                 'certificate verify failed: IP address mismatch (127.0.0.1)'),
                ('name mismatch', OTHER, ['--tls-ca', OTHER[0]], 'localhost',
                 'certificate verify failed: hostname mismatch (localhost)')]:
            with self.subTest(what=what):
                sink = self.start(TlsSink, '--require-starttls', cert=cert)
                result = self.send_message(sink, '--starttls', 'required', *args, host=host,
                                           env=default_store_environment())
                self.assert_nothing_sent(sink, result, EX_TEMPFAIL)
                self.assertEqual(result.stderr.splitlines()[-1],
                                 'smtpwire-send: TLS handshake failed: ' + error)

    def test_default_store_from_ssl_cert_file(self):
        # Without --tls-ca, OpenSSL's default store is used, which SSL_CERT_FILE replaces.
        sink = self.start(TlsSink, '--require-starttls')
        env = dict(default_store_environment(), SSL_CERT_FILE=GOOD[0])
        result = self.send_message(sink, '--starttls', 'required', env=env)
        self.assert_delivered(sink, result, authenticated=False)

    def test_host_name_checked_and_sent_as_sni(self):
        sink = self.start(TlsSink, '--require-starttls')
        result = self.send_message(sink, '--starttls', 'required', '--tls-ca', GOOD[0],
                                   host='localhost')
        self.assert_delivered(sink, result, authenticated=False)
        self.assertIn('certificate verified for localhost', result.stderr)
        self.assertEqual(sink.sni(), ['localhost'])

    def test_opportunistic_by_default(self):
        # The default: STARTTLS when offered, the certificate not checked (it names
        # another host here), then AUTH inside TLS without a warning.
        sink = self.start(TlsSink, '--require-starttls', '--auth', 'user:secret', cert=OTHER)
        result = self.send_message(sink, '--auth', 'user:secret')
        self.assert_delivered(sink, result)
        self.assertIn('certificate not verified', result.stderr)
        self.assertNotIn('warning', result.stderr)

    def test_no_starttls_offered_auth_in_clear(self):
        # Opportunistic and no STARTTLS offered: the password goes in clear, with a warning.
        sink = self.start(AiosmtpdSink, '--auth', 'user:secret', '--auth-in-clear')
        result = self.send_message(sink, '--auth', 'user:secret')
        self.assert_delivered(sink, result, tls=False)
        self.assertIn('smtpwire-send: warning: no TLS: sending the password in clear '
                      '(AUTH PLAIN)', result.stderr.splitlines())

    def test_starttls_none_against_a_server_requiring_it(self):
        sink = self.start(TlsSink, '--require-starttls')
        result = self.send_message(sink, '--starttls', 'none')
        self.assert_result(result, EX_UNAVAILABLE,
                           ['b@example.org 530 - Must issue a STARTTLS command first'])
        self.assertEqual(sink.messages(), [])
        self.assertNotIn('C: STARTTLS', result.stderr)

    def test_auth_offered_only_inside_tls(self):
        # aiosmtpd announces AUTH only after STARTTLS: with --starttls none there is none
        # to use, and no mail is sent.
        sink = self.start(TlsSink, '--auth', 'user:secret')
        result = self.send_message(sink, '--starttls', 'none', '--auth', 'user:secret')
        self.assert_nothing_sent(sink, result, EX_UNAVAILABLE)
        self.assertEqual(result.stderr.splitlines()[-1],
                         'smtpwire-send: no usable AUTH mechanism: the server offers no AUTH '
                         'without TLS')

    def test_implicit_tls(self):
        sink = self.start(TlsSink, '--implicit-tls', '--auth', 'user:secret')
        result = self.send_message(sink, '--tls', '--tls-ca', GOOD[0], '--auth', 'user:secret')
        self.assert_delivered(sink, result)
        log = result.stderr.splitlines()
        # The handshake comes before the greeting, and there is no STARTTLS.
        self.assertRegex(log[0], r'^\* TLS: TLSv1\.[23] \S+, certificate verified for '
                                 r'127\.0\.0\.1$')
        self.assertEqual(log[1][:6], 'S: 220')
        self.assertNotIn('C: STARTTLS', log)

    def test_implicit_tls_verification_failure(self):
        sink = self.start(TlsSink, '--implicit-tls')
        result = self.send_message(sink, '--tls', env=default_store_environment())
        self.assert_nothing_sent(sink, result, EX_TEMPFAIL)
        self.assertEqual(result.stderr, 'smtpwire-send: TLS handshake failed: certificate '
                                        'verify failed: self-signed certificate (127.0.0.1)\n')


def check():
    skip_unless(PYTHON is not None, 'aiosmtpd (package python3-aiosmtpd)')
    require_tls()
    make_certificates()


if __name__ == '__main__':
    try:
        main(check)
    finally:
        CERTS.cleanup()
