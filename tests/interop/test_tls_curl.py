"""smtpwire-serve's TLS and AUTH against curl: smtp:// with --ssl-reqd (STARTTLS) and
smtps:// (implicit TLS), with --user. RFC 3207, RFC 8314 §3, RFC 4954, RFC 3848.

curl checks the server's certificate against the test's own (--cacert) for 127.0.0.1.
Needs curl with SMTP and TLS (Debian package curl), openssl, and smtpwire-serve built
with TLS. Skips (exit status 77) when one is missing, unless SMTPWIRE_REQUIRE_INTEROP=1.
Run: python3 test_tls_curl.py --serve PATH-TO-smtpwire-serve
"""

import os
import shutil
import subprocess

from serve_harness import STEP_TIMEOUT, TlsServeTestCase, main, tls_requirements, wait_until

# curl sends the file as it is, dot-stuffed, and ends the data after its final CRLF.
MESSAGE = b'Subject: curl over TLS\r\n\r\n.leading dot\r\nbody\r\n'

# curl's exit statuses: STARTTLS required but not offered (CURLE_USE_SSL_FAILED), a
# command refused during the upload (CURLE_SEND_ERROR), credentials refused
# (CURLE_LOGIN_DENIED).
USE_SSL_FAILED = 64
SEND_ERROR = 55
LOGIN_DENIED = 67


class CurlTlsTest(TlsServeTestCase):

    def curl(self, server, scheme, *args, status=0):
        path = os.path.join(server.tmp.name, 'message.txt')
        with open(path, 'wb') as f:
            f.write(MESSAGE)
        # The URL's path is the EHLO name.
        run = subprocess.run(
            ['curl', '--silent', '--show-error', '--max-time', str(STEP_TIMEOUT),
             '--cacert', self.cert,
             '--url', '%s://127.0.0.1:%d/client.test' % (scheme, server.port),
             '--mail-from', 'sender@example.org', '--mail-rcpt', 'one@example.com',
             '--upload-file', path, *args],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=STEP_TIMEOUT * 2)
        self.assertEqual(run.returncode, status, run.stderr.decode('utf-8', 'replace'))
        return run

    def assert_stored(self, server, user, with_protocol):
        [(env, content)] = server.messages()
        self.assertEqual(self.split_received(content)[1], MESSAGE)
        self.assert_envelope(env, 'sender@example.org', ['one@example.com'], len(MESSAGE))
        self.assertEqual(env['auth'], user)
        self.assert_tls(env)
        self.assertEqual(self.received_with(content), with_protocol)

    def test_starttls_with_user(self):
        server = self.serve_tls('--auth', 'user:secret', '--received', '-v')
        self.curl(server, 'smtp', '--ssl-reqd', '--user', 'user:secret')
        self.assert_stored(server, 'user', 'ESMTPSA')
        self.assertTrue(wait_until(lambda: 'TLS established' in server.stderr()))

    def test_starttls_auth_login(self):
        server = self.serve_tls('--auth', 'user:secret', '--received', '-v')
        self.curl(server, 'smtp', '--ssl-reqd', '--user', 'user:secret',
                  '--login-options', 'AUTH=LOGIN')
        self.assert_stored(server, 'user', 'ESMTPSA')
        self.assertTrue(wait_until(lambda: 'auth_request LOGIN user accepted' in server.stderr()))

    def test_starttls_without_user(self):
        server = self.serve_tls('--received')
        self.curl(server, 'smtp', '--ssl-reqd')
        self.assert_stored(server, None, 'ESMTPS')

    def test_ssl_reqd_without_tls_offered(self):
        # --ssl-reqd refuses to go on in clear when STARTTLS is not offered.
        server = self.serve('--auth', 'user:secret')
        run = self.curl(server, 'smtp', '--ssl-reqd', '--user', 'user:secret',
                        status=USE_SSL_FAILED)
        self.assertIn(b'STARTTLS not supported', run.stderr)
        self.assertEqual(server.messages(), [])

    def test_wrong_password(self):
        server = self.serve_tls('--auth', 'user:secret')
        self.curl(server, 'smtp', '--ssl-reqd', '--user', 'user:wrong', status=LOGIN_DENIED)
        self.assertEqual(server.messages(), [])

    def test_implicit_tls(self):
        server = self.serve_tls('--tls-implicit', '--auth', 'user:secret', '--received')
        self.curl(server, 'smtps', '--user', 'user:secret')
        self.assert_stored(server, 'user', 'ESMTPSA')

    def test_require_auth(self):
        server = self.serve_tls('--tls-implicit', '--auth', 'user:secret', '--require-auth')
        # MAIL refused with 530 fails the upload.
        run = self.curl(server, 'smtps', status=SEND_ERROR)
        self.assertIn(b'530', run.stderr)
        self.assertEqual(server.messages(), [])


def requirements():
    missing = tls_requirements()
    if shutil.which('curl') is None:
        return missing + ['curl (Debian package curl)']
    version = subprocess.run(['curl', '--version'], stdin=subprocess.DEVNULL,
                             capture_output=True, timeout=STEP_TIMEOUT).stdout.decode()
    protocols = features = []
    for line in version.splitlines():
        if line.startswith('Protocols:'):
            protocols = line.split()[1:]
        elif line.startswith('Features:'):
            features = line.split()[1:]
    if 'smtp' not in protocols or 'smtps' not in protocols or 'SSL' not in features:
        missing.append('curl with SMTP over TLS')
    return missing


if __name__ == '__main__':
    main(requirements)
