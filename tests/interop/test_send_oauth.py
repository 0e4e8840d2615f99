"""smtpwire-send authenticating with an OAuth 2.0 bearer token (--auth-user and
--auth-token-file) to aiosmtpd, which reads the client's XOAUTH2 (Google's layout) and
OAUTHBEARER (RFC 7628 §3.1, with the GS2 header of RFC 5801 §4) messages itself: over
STARTTLS and implicit TLS (RFC 3207, 8314), a refused token and its error exchange (RFC
7628 §3.2.2, §3.2.3), a token too long for the AUTH line (RFC 4954 §4), and no token
sent without TLS where TLS is required.

Each test starts aiosmtpd_sink.py --oauth with a throwaway self-signed certificate made by
the openssl command. Skips (exit status 77) when aiosmtpd (python3-aiosmtpd), the openssl
command (openssl) or TLS in smtpwire-send (libssl-dev) is missing, unless
SMTPWIRE_REQUIRE_INTEROP=1.
Run: python3 test_send_oauth.py --send PATH-TO-smtpwire-send
"""

import base64
import json
import os
import tempfile

from send_harness import (EX_UNAVAILABLE, SendTestCase, main, make_certificate, require_tls,
                          skip_unless, wire_form)
from test_send_aiosmtpd import PYTHON, AiosmtpdSink

# ',' and '=' in the user: OAUTHBEARER's GS2 header escapes them as =2C and =3D.
USER = 'first,last=x@example.org'
# Every character a b64token may hold (RFC 6750 §2.1).
TOKEN = 'ya29.a0Af-B_c~d+e/f0123456789=='
# 2000 octets: the base64 of either mechanism's message is over 2600 octets, far more
# than the 512 of an AUTH command line.
LONG_TOKEN = ('Zx9-._~+/' * 223)[:2000]
MESSAGE = b'Subject: with a bearer token\r\n\r\n.leading dot\r\nbody\r\n'
# A certificate for 127.0.0.1 and localhost.
CERTS = tempfile.TemporaryDirectory(prefix='smtpwire-oauth-certs-')
CERT = None


def make_certificates():
    global CERT
    CERT = make_certificate(CERTS.name, 'localhost', 'DNS:localhost,IP:127.0.0.1')


def offers_starttls():
    """aiosmtpd_sink.py's arguments for STARTTLS with CERT."""
    return ['--cert', CERT[0], '--key', CERT[1]]


class OAuthSink(AiosmtpdSink):
    """aiosmtpd_sink.py accepting USER with `token` by XOAUTH2 and OAUTHBEARER, and `args`."""

    def __init__(self, *args, token=TOKEN):
        super().__init__('--oauth', '%s:%s' % (USER, token), *args)

    def exchanges(self):
        """The AUTH exchanges the server read, as aiosmtpd_sink.py logs them, in order."""
        path = os.path.join(self.tmp.name, 'auth.jsonl')
        if not os.path.exists(path):
            return []
        with open(path, encoding='utf-8') as f:
            return [json.loads(line) for line in f]


def bearer_fields(mechanism, port, token=TOKEN, host='127.0.0.1'):
    """What the server should read from smtpwire-send's message for `mechanism`."""
    if mechanism == 'XOAUTH2':
        return {'user': USER, 'token': token}
    return {'authzid': USER, 'host': host, 'port': str(port), 'token': token,
            'keys': ['host', 'port', 'auth']}


class SendWithTokenTest(SendTestCase):

    def token_file(self, token):
        directory = tempfile.TemporaryDirectory(prefix='smtpwire-oauth-token-')
        self.addCleanup(directory.cleanup)
        path = os.path.join(directory.name, 'token')
        with open(path, 'w', encoding='ascii') as f:
            f.write(token + '\n')
        return path

    def send_message(self, sink, *args, token=TOKEN, host='127.0.0.1'):
        return self.send(sink.port, '-v', '--from', 'a@example.org', '--to', 'b@example.org',
                         '--auth-user', USER, '--auth-token-file', self.token_file(token),
                         *args, stdin=MESSAGE, host=host)

    def assert_delivered(self, sink, result, tls=True):
        self.assert_result(result, 0, ['b@example.org 250 2.0.0 stored as 1'])
        [(env, content)] = sink.messages()
        self.assertEqual(content, wire_form(MESSAGE))
        self.assertEqual((env['tls'], env['authenticated']), (tls, True))

    def assert_nothing_sent(self, sink, result):
        self.assertEqual((result.status, result.lines), (EX_UNAVAILABLE, []), result)
        self.assertEqual(sink.messages(), [])
        self.assertFalse([line for line in result.stderr.splitlines()
                          if line.startswith('C: MAIL')], result)

    def assert_exchange(self, sink, mechanism, fields, initial_response=True, tls=True,
                        accepted=True, acknowledgement=None):
        self.assertEqual(sink.exchanges(), [{
            'mechanism': mechanism, 'initial_response': initial_response, 'tls': tls,
            'fields': fields, 'accepted': accepted, 'acknowledgement': acknowledgement}])

    def test_oauthbearer_over_starttls(self):
        # Both offered: OAUTHBEARER, the standard, is chosen. Its host and port are the
        # server as --server names it.
        for host in ('127.0.0.1', 'localhost'):
            with self.subTest(host=host):
                sink = self.start(OAuthSink, *offers_starttls(), '--require-starttls')
                result = self.send_message(sink, '--starttls', 'required', '--tls-ca', CERT[0],
                                           host=host)
                self.assert_delivered(sink, result)
                self.assert_exchange(sink, 'OAUTHBEARER',
                                     bearer_fields('OAUTHBEARER', sink.port, host=host))
                log = result.stderr.splitlines()
                self.assertIn('C: AUTH OAUTHBEARER [hidden]', log)
                self.assertIn('S: 235 2.7.0 Authentication successful', log)
                self.assertNotIn(TOKEN, result.stderr)
                self.assertNotIn('warning', result.stderr)

    def test_xoauth2_over_implicit_tls(self):
        # The server offers no OAUTHBEARER: XOAUTH2 is the strongest left.
        sink = self.start(OAuthSink, *offers_starttls(), '--implicit-tls',
                          '--auth-exclude', 'OAUTHBEARER')
        result = self.send_message(sink, '--tls', '--tls-ca', CERT[0])
        self.assert_delivered(sink, result)
        self.assert_exchange(sink, 'XOAUTH2', bearer_fields('XOAUTH2', sink.port))
        self.assertIn('C: AUTH XOAUTH2 [hidden]', result.stderr.splitlines())
        self.assertNotIn(TOKEN, result.stderr)

    def test_forced_mechanism(self):
        # --auth-mech XOAUTH2 is used although OAUTHBEARER is offered; offered only
        # OAUTHBEARER, the token is not sent at all.
        sink = self.start(OAuthSink, *offers_starttls(), '--require-starttls')
        result = self.send_message(sink, '--starttls', 'required', '--tls-ca', CERT[0],
                                   '--auth-mech', 'xoauth2')
        self.assert_delivered(sink, result)
        self.assert_exchange(sink, 'XOAUTH2', bearer_fields('XOAUTH2', sink.port))

        sink = self.start(OAuthSink, *offers_starttls(), '--require-starttls',
                          '--auth-exclude', 'XOAUTH2', '--auth-exclude', 'LOGIN',
                          '--auth-exclude', 'PLAIN')
        result = self.send_message(sink, '--starttls', 'required', '--tls-ca', CERT[0],
                                   '--auth-mech', 'XOAUTH2')
        self.assert_nothing_sent(sink, result)
        self.assertEqual(sink.exchanges(), [])
        self.assertEqual(result.stderr.splitlines()[-1],
                         'smtpwire-send: no usable AUTH mechanism: the server offers AUTH '
                         'OAUTHBEARER, and --auth-mech asks for XOAUTH2')
        self.assertNotIn('C: AUTH', result.stderr)

    def test_refused_token(self):
        # The server sends its JSON error object as a 334 challenge; the client answers
        # it (XOAUTH2: an empty response; OAUTHBEARER: ^A, RFC 7628 §3.2.3), the server
        # then refuses with 535, and no mail follows: a permanent failure.
        for mechanism, acknowledgement in (('XOAUTH2', ''), ('OAUTHBEARER', '\x01')):
            with self.subTest(mechanism=mechanism):
                sink = self.start(OAuthSink, *offers_starttls(), '--require-starttls')
                result = self.send_message(sink, '--starttls', 'required', '--tls-ca', CERT[0],
                                           '--auth-mech', mechanism, token='wrong.token')
                self.assert_nothing_sent(sink, result)
                self.assert_exchange(sink, mechanism,
                                     bearer_fields(mechanism, sink.port, token='wrong.token'),
                                     accepted=False, acknowledgement=acknowledgement)
                log = result.stderr.splitlines()
                auth = log.index('C: AUTH %s [hidden]' % mechanism)
                self.assertEqual(log[auth + 1][:6], 'S: 334')
                error = json.loads(base64.b64decode(log[auth + 1][7:]))
                self.assertEqual(error['status'],
                                 '401' if mechanism == 'XOAUTH2' else 'invalid_token')
                self.assertEqual(log[auth + 2:], [
                    'C: [hidden]', 'S: 535 5.7.8 Authentication credentials invalid',
                    'C: QUIT', 'S: 221 Bye',
                    'smtpwire-send: authentication failed: 535 Authentication credentials '
                    'invalid'])

    def test_long_token_waits_for_the_334(self):
        # AUTH with the message would be over 512 octets: AUTH alone, an empty 334, and
        # the message as the response.
        for mechanism in ('XOAUTH2', 'OAUTHBEARER'):
            with self.subTest(mechanism=mechanism):
                sink = self.start(OAuthSink, *offers_starttls(), '--require-starttls',
                                  token=LONG_TOKEN)
                result = self.send_message(sink, '--starttls', 'required', '--tls-ca', CERT[0],
                                           '--auth-mech', mechanism, token=LONG_TOKEN)
                self.assert_delivered(sink, result)
                self.assert_exchange(sink, mechanism,
                                     bearer_fields(mechanism, sink.port, token=LONG_TOKEN),
                                     initial_response=False)
                log = result.stderr.splitlines()
                auth = log.index('C: AUTH ' + mechanism)
                self.assertEqual(log[auth + 1:auth + 4], [
                    'S: 334 ', 'C: [hidden]', 'S: 235 2.7.0 Authentication successful'])
                self.assertNotIn(LONG_TOKEN[:100], result.stderr)

    def test_token_only_inside_tls(self):
        # The server offers XOAUTH2 and OAUTHBEARER before STARTTLS too; the client
        # (opportunistic, the default) still upgrades first and sends the token only
        # inside TLS.
        sink = self.start(OAuthSink, *offers_starttls(), '--auth-in-clear')
        result = self.send_message(sink)
        self.assert_delivered(sink, result)
        self.assert_exchange(sink, 'OAUTHBEARER', bearer_fields('OAUTHBEARER', sink.port))
        log = result.stderr.splitlines()
        self.assertLess(log.index('C: STARTTLS'), log.index('C: AUTH OAUTHBEARER [hidden]'))
        self.assertNotIn('warning', result.stderr)

    def test_no_token_without_tls_when_required(self):
        # A server offering the mechanisms in clear and no STARTTLS: with --starttls
        # required the client QUITs before AUTH, and the server reads no token.
        sink = self.start(OAuthSink, '--auth-in-clear')
        result = self.send_message(sink, '--starttls', 'required', '--tls-ca', CERT[0])
        self.assert_nothing_sent(sink, result)
        self.assertEqual(sink.exchanges(), [])
        self.assertEqual(result.stderr.splitlines()[-3:], [
            'C: QUIT', 'S: 221 Bye',
            'smtpwire-send: STARTTLS not offered (--starttls required)'])
        self.assertNotIn('C: AUTH', result.stderr)

    def test_token_never_in_clear(self):
        # The same server with opportunistic STARTTLS (the default): a password would go
        # in clear with a warning, a bearer token never (RFC 6750 §5.3): the client
        # finds no mechanism it may use, QUITs, and the server reads no token.
        sink = self.start(OAuthSink, '--auth-in-clear')
        result = self.send_message(sink)
        self.assert_nothing_sent(sink, result)
        self.assertEqual(sink.exchanges(), [])
        self.assertNotIn('C: AUTH', result.stderr)
        self.assertEqual(result.stderr.splitlines()[-1], 'smtpwire-send: no usable AUTH mechanism: '
                         'the server offers AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER without TLS')

def check():
    skip_unless(PYTHON is not None, 'aiosmtpd (package python3-aiosmtpd)')
    require_tls()
    make_certificates()


if __name__ == '__main__':
    try:
        main(check)
    finally:
        CERTS.cleanup()
