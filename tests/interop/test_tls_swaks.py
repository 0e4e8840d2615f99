"""smtpwire-serve's TLS and AUTH against swaks: STARTTLS (--tls) with AUTH PLAIN and
LOGIN, and implicit TLS (--tlsc). RFC 3207, RFC 8314 §3, RFC 4954, RFC 3848.

Needs swaks with TLS and AUTH (Debian packages swaks, libnet-ssleay-perl,
libio-socket-ssl-perl, libauthen-sasl-perl), openssl, and smtpwire-serve built with TLS.
Skips (exit status 77) when one is missing, unless SMTPWIRE_REQUIRE_INTEROP=1.
Run: python3 test_tls_swaks.py --serve PATH-TO-smtpwire-serve
"""

import os
import shutil
import subprocess

from serve_harness import STEP_TIMEOUT, TlsServeTestCase, main, tls_requirements, wait_until

DATA = b'Subject: swaks over TLS\n\nbody\n.\n'
STORED = b'Subject: swaks over TLS\r\n\r\nbody\r\n'


class SwaksTlsTest(TlsServeTestCase):

    def swaks(self, server, *args, status=0):
        path = os.path.join(server.tmp.name, 'data.txt')
        with open(path, 'wb') as f:
            f.write(DATA)
        run = subprocess.run(
            ['swaks', '--server', '127.0.0.1:%d' % server.port, '--helo', 'client.test',
             '--from', 'sender@example.org', '--to', 'one@example.com',
             '--timeout', str(STEP_TIMEOUT), '--data', '@' + path, *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            timeout=STEP_TIMEOUT * 2)
        self.assertEqual(run.returncode, status, run.stdout.decode('utf-8', 'replace'))
        return run.stdout

    def assert_stored(self, server, user, with_protocol):
        [(env, content)] = server.messages()
        self.assertEqual(self.split_received(content)[1], STORED)
        self.assert_envelope(env, 'sender@example.org', ['one@example.com'], len(STORED))
        self.assertEqual(env['auth'], user)
        self.assert_tls(env)
        self.assertEqual(self.received_with(content), with_protocol)

    def test_starttls_auth_plain(self):
        server = self.serve_tls('--auth', 'user:secret', '--received', '-v')
        transcript = self.swaks(server, '--tls', '--auth', 'PLAIN', '--auth-user', 'user',
                                '--auth-password', 'secret')
        self.assertIn(b'<-  220 2.0.0 Ready to start TLS', transcript)
        self.assertIn(b'<~  235 2.7.0 Authentication successful', transcript)
        self.assert_stored(server, 'user', 'ESMTPSA')
        self.assertTrue(wait_until(lambda: 'auth_request PLAIN user accepted' in server.stderr()))

    def test_starttls_auth_login(self):
        server = self.serve_tls('--auth', 'user:secret', '--received', '-v')
        transcript = self.swaks(server, '--tls', '--auth', 'LOGIN', '--auth-user', 'user',
                                '--auth-password', 'secret')
        self.assertIn(b'<~  334 VXNlcm5hbWU6', transcript)  # "Username:"
        self.assertIn(b'<~  235 2.7.0 Authentication successful', transcript)
        self.assert_stored(server, 'user', 'ESMTPSA')
        self.assertTrue(wait_until(lambda: 'auth_request LOGIN user accepted' in server.stderr()))

    def test_starttls_auth_cram_md5(self):
        # RFC 2195: swaks computes the HMAC-MD5 of the server's challenge itself.
        server = self.serve_tls('--auth', 'user:secret', '--received', '-v')
        transcript = self.swaks(server, '--tls', '--auth', 'CRAM-MD5', '--auth-user', 'user',
                                '--auth-password', 'secret')
        self.assertIn(b'~> AUTH CRAM-MD5', transcript)
        self.assertIn(b'<~  235 2.7.0 Authentication successful', transcript)
        self.assert_stored(server, 'user', 'ESMTPSA')
        self.assertTrue(wait_until(lambda: 'auth_request CRAM-MD5 user accepted' in server.stderr()))
        # A wrong password fails the server's check.
        server = self.serve_tls('--auth', 'user:secret')
        transcript = self.swaks(server, '--tls', '--auth', 'CRAM-MD5', '--auth-user', 'user',
                                '--auth-password', 'wrong', status=28)
        self.assertIn(b'<~* 535 5.7.8', transcript)

    def test_starttls_without_auth(self):
        server = self.serve_tls('--received')
        self.swaks(server, '--tls')
        self.assert_stored(server, None, 'ESMTPS')

    def test_wrong_password(self):
        server = self.serve_tls('--auth', 'user:secret')
        # swaks exits 28 when authentication fails.
        transcript = self.swaks(server, '--tls', '--auth', 'PLAIN', '--auth-user', 'user',
                                '--auth-password', 'wrong', status=28)
        self.assertIn(b'<~* 535 5.7.8 Authentication credentials invalid', transcript)
        self.assertEqual(server.messages(), [])

    def test_implicit_tls(self):
        server = self.serve_tls('--tls-implicit', '--auth', 'user:secret', '--received')
        transcript = self.swaks(server, '--tlsc', '--auth', 'LOGIN', '--auth-user', 'user',
                                '--auth-password', 'secret')
        self.assertIn(b'<~  220 mx.test ESMTP', transcript)
        self.assert_stored(server, 'user', 'ESMTPSA')

    def test_implicit_tls_require_auth(self):
        server = self.serve_tls('--tls-implicit', '--auth', 'user:secret', '--require-auth')
        # swaks exits 23 when MAIL is refused.
        transcript = self.swaks(server, '--tlsc', status=23)
        self.assertIn(b'<~* 530 5.7.0 Authentication required', transcript)
        self.swaks(server, '--tlsc', '--auth', 'PLAIN', '--auth-user', 'user',
                   '--auth-password', 'secret')
        [(env, _)] = server.messages()
        self.assertEqual(env['auth'], 'user')


def requirements():
    missing = tls_requirements()
    if shutil.which('swaks') is None:
        return missing + ['swaks (Debian package swaks)']
    support = subprocess.run(['swaks', '--support'], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             timeout=STEP_TIMEOUT).stdout
    if b'=== TLS supported' not in support:
        missing.append('TLS in swaks (Debian packages libnet-ssleay-perl, libio-socket-ssl-perl)')
    if b'=== Basic AUTH supported' not in support:
        missing.append('AUTH in swaks (Perl module MIME::Base64)')
    return missing


if __name__ == '__main__':
    main(requirements)
