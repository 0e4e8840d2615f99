"""smtpwire-serve with TLS and AUTH, driven by Python's smtplib, ssl and raw sockets:
RFC 3207 (STARTTLS), RFC 8314 §3 (implicit TLS), RFC 4954 (AUTH), RFC 4616 (PLAIN),
RFC 3848 (ESMTPS, ESMTPA, ESMTPSA in Received).

The tests share a throwaway self-signed certificate made with `openssl req`. Skips (exit
status 77) when smtpwire-serve was built without TLS or the openssl command is missing,
unless SMTPWIRE_REQUIRE_INTEROP=1.
Run: python3 test_tls.py --serve PATH-TO-smtpwire-serve
"""

import base64
import os
import smtplib
import socket
import ssl
import subprocess
import time

import serve_harness
from serve_harness import STEP_TIMEOUT, TlsServeTestCase, main, tls_requirements, wait_until


def plain(user, password):
    """The base64 of a PLAIN message without authorization identity (RFC 4616)."""
    return base64.b64encode(b'\0' + user + b'\0' + password)


def cpu_seconds(pid):
    """The CPU time (user and system) process `pid` has used so far (Linux /proc)."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


MESSAGE = b'Subject: tls\r\n\r\nover TLS\r\n'


class TlsTest(TlsServeTestCase):

    def smtp(self, server):
        smtp = smtplib.SMTP('127.0.0.1', server.port, local_hostname='client.test',
                            timeout=STEP_TIMEOUT)
        self.addCleanup(smtp.close)
        return smtp

    def smtp_ssl(self, server):
        smtp = smtplib.SMTP_SSL('127.0.0.1', server.port, local_hostname='client.test',
                                timeout=STEP_TIMEOUT, context=self.client_context())
        self.addCleanup(smtp.close)
        return smtp

    def raw_tls(self, server):
        """A raw client on an implicit-TLS server, past the handshake."""
        client = self.raw(server)
        client.start_tls(self.client_context())
        return client

    # --- the certificate ---------------------------------------------------------

    def test_certificate_errors(self):
        other_dir = os.path.join(self._cert_dir.name, 'other')
        os.makedirs(other_dir, exist_ok=True)
        other_cert, other_key = serve_harness.make_certificate(other_dir)
        missing = os.path.join(self._cert_dir.name, 'missing.pem')
        for cert, key, message in [
            (missing, self.key, 'cannot load the certificate ' + missing + ': '),
            (self.key, self.key, 'cannot load the certificate ' + self.key + ': '),
            (self.cert, missing, 'cannot load the private key ' + missing + ': '),
            (self.cert, other_key, 'cannot load the private key ' + other_key + ': '),
        ]:
            with self.subTest(cert=cert, key=key):
                run = subprocess.run([serve_harness.SERVE, '--listen', '127.0.0.1:0',
                                      '--discard', '--tls-cert', cert, '--tls-key', key],
                                     stdin=subprocess.DEVNULL, capture_output=True,
                                     timeout=STEP_TIMEOUT)
                self.assertEqual(run.returncode, 1)
                self.assertEqual(run.stdout, b'')
                self.assertTrue(run.stderr.decode().startswith('smtpwire-serve: ' + message),
                                run.stderr)
        # The other pair is a good one.
        server = self.serve('--tls-cert', other_cert, '--tls-key', other_key)
        smtp = self.smtp(server)
        smtp.starttls()
        self.assertEqual(smtp.noop()[0], 250)

    # --- STARTTLS --------------------------------------------------------------

    def test_starttls_then_login(self):
        server = self.serve_tls('--auth', 'user:secret', '--received')
        smtp = self.smtp(server)
        code, features = smtp.ehlo()
        self.assertEqual(code, 250)
        lines = features.split(b'\n')
        self.assertIn(b'STARTTLS', lines)
        # The password is never asked for in clear when TLS is configured.
        self.assertFalse([line for line in lines if line.startswith(b'AUTH')], lines)
        self.assertEqual(smtp.starttls(context=self.client_context()),
                         (220, b'2.0.0 Ready to start TLS'))
        code, features = smtp.ehlo()
        lines = features.split(b'\n')
        self.assertIn(b'AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER SCRAM-SHA-256', lines)
        self.assertNotIn(b'STARTTLS', lines)
        self.assertEqual(smtp.login('user', 'secret'), (235, b'2.7.0 Authentication successful'))
        self.assertEqual(smtp.sendmail('a@example.org', ['b@example.com'], MESSAGE), {})
        smtp.quit()
        [(env, content)] = server.messages()
        self.assert_envelope(env, 'a@example.org', ['b@example.com'], len(MESSAGE))
        self.assertEqual(env['auth'], 'user')
        self.assert_tls(env)
        self.assertEqual(self.received_with(content), 'ESMTPSA')
        self.assertEqual(self.split_received(content)[1], MESSAGE)

    def test_starttls_without_auth(self):
        server = self.serve_tls('--received')
        smtp = self.smtp(server)
        smtp.starttls(context=self.client_context())
        self.assertEqual(smtp.sendmail('a@example.org', ['b@example.com'], MESSAGE), {})
        smtp.quit()
        [(env, content)] = server.messages()
        self.assertIsNone(env['auth'])
        self.assert_tls(env)
        self.assertEqual(self.received_with(content), 'ESMTPS')

    def test_message_in_clear_records_no_tls(self):
        server = self.serve_tls('--received')
        smtp = self.smtp(server)
        self.assertEqual(smtp.sendmail('a@example.org', ['b@example.com'], MESSAGE), {})
        smtp.quit()
        [(env, content)] = server.messages()
        self.assertIsNone(env['auth'])
        self.assertIsNone(env['tls'])
        self.assertEqual(self.received_with(content), 'ESMTP')

    def test_large_message_over_tls(self):
        # Several MiB each way through TLS records: partial writes and reads, and input
        # left in OpenSSL's buffer between reads.
        server = self.serve_tls()
        smtp = self.smtp(server)
        smtp.starttls(context=self.client_context())
        body = b''.join(b'line %07d ' % i + b'x' * (i % 97) + b'\r\n' for i in range(40000))
        message = b'Subject: large\r\n\r\n' + body
        self.assertEqual(smtp.sendmail('a@example.org', ['b@example.com'], message), {})
        smtp.quit()
        [(env, content)] = server.messages()
        self.assertEqual(content, message)
        self.assertEqual(env['size'], len(message))

    def test_second_starttls_inside_tls(self):
        server = self.serve_tls()
        client = self.raw(server)
        client.greet()
        client.command(b'STARTTLS', 220, b'2.0.0')
        client.start_tls(self.client_context())
        client.command(b'EHLO client.test', 250)
        client.command(b'STARTTLS', 503, b'5.5.1')
        client.command(b'NOOP', 250)

    # --- what arrives around the handshake ---------------------------------------

    def test_plaintext_behind_starttls_is_not_run_inside_tls(self):
        server = self.serve_tls('-v')
        client = self.raw(server)
        client.greet()
        injected = b'MAIL FROM:<evil@x>\r\n'
        client.send(b'STARTTLS\r\n' + injected)
        client.expect(220, b'2.0.0')
        client.start_tls(self.client_context())
        # The session inside TLS starts before EHLO: the first reply is to this MAIL,
        # which is out of sequence; the injected MAIL was never run.
        client.command(b'MAIL FROM:<a@example.org>', 503, b'5.5.1')
        client.assert_silent()
        client.command(b'EHLO client.test', 250)
        client.command(b'MAIL FROM:<a@example.org>', 250, b'2.1.0')
        client.command(b'RCPT TO:<b@example.com>', 250)
        client.command(b'DATA', 354)
        client.send(MESSAGE + b'.\r\n')
        client.expect(250, b'2.0.0 OK: queued as ')
        client.command(b'QUIT', 221)
        [(env, _)] = server.messages()
        self.assertEqual(env['mail_from'], 'a@example.org')
        self.assert_tls(env)
        self.assertTrue(wait_until(lambda: 'tls_handover, %d octets after STARTTLS discarded'
                                   % len(injected) in server.stderr()), server.stderr())

    def test_failed_handshake_closes_the_connection(self):
        server = self.serve_tls('-v')
        client = self.raw(server)
        client.greet()
        client.command(b'STARTTLS', 220, b'2.0.0')
        # Not a TLS ClientHello: the handshake fails and the connection closes, with at
        # most a TLS alert, never an SMTP reply.
        client.send(b'EHLO client.test\r\n')
        rest = b''
        while True:
            chunk = client.sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        self.assertTrue(rest == b'' or rest.startswith(b'\x15\x03'), rest)
        self.assertTrue(wait_until(lambda: 'TLS handshake failed' in server.stderr()),
                        server.stderr())
        # The server goes on.
        smtp = self.smtp(server)
        smtp.starttls(context=self.client_context())
        self.assertEqual(smtp.noop()[0], 250)

    def test_silent_client_times_out_in_the_handshake(self):
        server = self.serve_tls('--tls-implicit', '--timeout', '1', '-v')
        with socket.create_connection(('127.0.0.1', server.port), timeout=STEP_TIMEOUT) as s:
            started = time.monotonic()
            self.assertEqual(s.recv(100), b'')
            self.assertLess(time.monotonic() - started, STEP_TIMEOUT / 2)
        self.assertTrue(wait_until(lambda: 'TLS handshake timed out' in server.stderr()),
                        server.stderr())

    def test_stop_during_a_handshake(self):
        server = self.serve_tls('--tls-implicit')
        with socket.create_connection(('127.0.0.1', server.port), timeout=STEP_TIMEOUT) as s:
            client = self.raw(server)
            client.start_tls(self.client_context())
            client.expect(220, b'mx.test')
            # `s` has not started its handshake; a stop closes it and ends the session.
            self.assertEqual(server.stop(), 0)
            self.assertEqual(s.recv(100), b'')
            client.expect(421, b'4.3.2')

    def test_record_larger_than_the_room_left_for_reading(self):
        # One TLS record of 16384 octets arrives while the server keeps an incomplete
        # command line: the read takes what fits and OpenSSL keeps the rest, which poll()
        # does not report. DATA is at the very end of that rest.
        server = self.serve_tls('--tls-implicit')
        client = self.raw_tls(server)
        client.greet()
        client.send(b'MAIL FROM:<a@example.org>\r\nRCPT TO:<r0@exa')
        client.expect(250, b'2.1.0')
        record = b'mple.com>\r\n'
        count = 1
        # The last recipient fills the record; its local part stays within 64 octets.
        while 16384 - len(record) - len(b'DATA\r\n') >= 88:
            record += b'RCPT TO:<r%d@example.com>\r\n' % count
            count += 1
        fill = 16384 - len(record) - len(b'DATA\r\n') - len(b'RCPT TO:<@example.com>\r\n')
        record += b'RCPT TO:<' + b'f' * fill + b'@example.com>\r\nDATA\r\n'
        self.assertEqual(len(record), 16384)
        client.send(record)
        for _ in range(count + 1):
            client.expect(250, b'2.1.5')
        client.expect(354)
        client.send(MESSAGE + b'.\r\n')
        client.expect(250, b'2.0.0 OK: queued as ')
        [(env, content)] = server.messages()
        self.assertEqual(len(env['rcpt_to']), count + 1)
        self.assertEqual(env['rcpt_to'][-1], 'f' * fill + '@example.com')
        self.assertEqual(content, MESSAGE)

    def test_record_arriving_in_pieces(self):
        # Half a TLS record is in OpenSSL's buffer but cannot be decrypted yet: the server
        # waits in poll() for the rest instead of spinning.
        server = self.serve_tls('--tls-implicit')
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = self.client_context().wrap_bio(incoming, outgoing, server_hostname='localhost')
        sock = socket.create_connection(('127.0.0.1', server.port), timeout=STEP_TIMEOUT)
        self.addCleanup(sock.close)

        def flush():
            sock.sendall(outgoing.read())

        def reply():
            received = b''
            while not received.endswith(b'\r\n'):
                try:
                    received += tls.read()
                except ssl.SSLWantReadError:
                    flush()
                    data = sock.recv(65536)
                    self.assertTrue(data, 'connection closed')
                    incoming.write(data)
            return received

        self.assertTrue(reply().startswith(b'220 mx.test'))  # the handshake runs on the way
        tls.write(b'EHLO client.test\r\n')
        flush()
        self.assertTrue(reply().startswith(b'250-mx.test'))
        tls.write(b'NOOP\r\n')
        record = outgoing.read()
        sock.sendall(record[:len(record) // 2])
        before = cpu_seconds(server.proc.pid)
        time.sleep(1)
        self.assertLess(cpu_seconds(server.proc.pid) - before, 0.2)
        sock.sendall(record[len(record) // 2:])
        self.assertEqual(reply(), b'250 2.0.0 OK\r\n')

    # --- implicit TLS ------------------------------------------------------------

    def test_implicit_tls(self):
        server = self.serve_tls('--tls-implicit', '--auth', 'user:secret', '--received')
        smtp = self.smtp_ssl(server)
        code, features = smtp.ehlo()
        lines = features.split(b'\n')
        self.assertIn(b'AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER SCRAM-SHA-256', lines)
        self.assertNotIn(b'STARTTLS', lines)
        smtp.login('user', 'secret')
        self.assertEqual(smtp.sendmail('a@example.org', ['b@example.com'], MESSAGE), {})
        smtp.quit()
        [(env, content)] = server.messages()
        self.assert_envelope(env, 'a@example.org', ['b@example.com'], len(MESSAGE))
        self.assertEqual(env['auth'], 'user')
        self.assert_tls(env)
        self.assertEqual(self.received_with(content), 'ESMTPSA')

    def test_plain_client_on_implicit_tls(self):
        # An SMTP client that waits for a greeting in clear gets none.
        server = self.serve_tls('--tls-implicit')
        client = self.raw(server)
        client.assert_silent()
        client.send(b'EHLO client.test\r\n')
        rest = b''
        while True:
            chunk = client.sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        self.assertTrue(rest == b'' or rest.startswith(b'\x15\x03'), rest)

    # --- AUTH --------------------------------------------------------------------

    def test_wrong_credentials(self):
        server = self.serve_tls('--auth', 'user:secret', '--auth', 'other:pa:ss')
        smtp = self.smtp(server)
        smtp.starttls(context=self.client_context())
        smtp.ehlo()
        for user, password in [('user', 'wrong!'), ('user', 'secre'), ('user', 'secret2'),
                               ('usr', 'secret'), ('other', 'secret'), ('user', 'pa:ss'),
                               ('other', 'pa')]:
            for mechanism, method in [('PLAIN', smtp.auth_plain), ('LOGIN', smtp.auth_login)]:
                with self.subTest(user=user, password=password, mechanism=mechanism):
                    smtp.user, smtp.password = user, password
                    with self.assertRaises(smtplib.SMTPAuthenticationError) as e:
                        smtp.auth(mechanism, method)
                    self.assertEqual(e.exception.smtp_code, 535)
                    self.assertEqual(e.exception.smtp_error,
                                     b'5.7.8 Authentication credentials invalid')
        # 14 refusals, within the limit of 20 errors; the password holds a ':'.
        self.assertEqual(smtp.login('other', 'pa:ss')[0], 235)

    def test_login_mechanism(self):
        server = self.serve_tls('--tls-implicit', '--auth', 'user:secret')
        smtp = self.smtp_ssl(server)
        smtp.ehlo()
        smtp.user, smtp.password = 'user', 'secret'
        self.assertEqual(smtp.auth('LOGIN', smtp.auth_login),
                         (235, b'2.7.0 Authentication successful'))
        smtp.sendmail('a@example.org', ['b@example.com'], MESSAGE)
        smtp.quit()
        [(env, _)] = server.messages()
        self.assertEqual(env['auth'], 'user')

    def test_authorization_identity_of_someone_else(self):
        server = self.serve_tls('--tls-implicit', '--auth', 'user:secret', '--auth', 'boss:x')
        client = self.raw_tls(server)
        client.greet()
        client.command(b'AUTH PLAIN ' + base64.b64encode(b'boss\0user\0secret'), 535, b'5.7.8')
        client.command(b'AUTH PLAIN ' + base64.b64encode(b'user\0user\0secret'), 235, b'2.7.0')

    def test_auth_in_clear_refused_when_tls_is_configured(self):
        server = self.serve_tls('--auth', 'user:secret')
        client = self.raw(server)
        client.greet()
        client.command(b'AUTH PLAIN ' + plain(b'user', b'secret'), 538, b'5.7.11')
        client.command(b'MAIL FROM:<a@example.org>', 250)

    def test_require_auth(self):
        server = self.serve_tls('--auth', 'user:secret', '--require-auth')
        smtp = self.smtp(server)
        # In clear, and under TLS before AUTH: 530.
        with self.assertRaises(smtplib.SMTPSenderRefused) as e:
            smtp.sendmail('a@example.org', ['b@example.com'], MESSAGE)
        self.assertEqual(e.exception.smtp_code, 530)
        self.assertEqual(e.exception.smtp_error, b'5.7.0 Authentication required')
        smtp.starttls(context=self.client_context())
        smtp.ehlo()
        with self.assertRaises(smtplib.SMTPSenderRefused) as e:
            smtp.sendmail('a@example.org', ['b@example.com'], MESSAGE)
        self.assertEqual(e.exception.smtp_code, 530)
        smtp.login('user', 'secret')
        self.assertEqual(smtp.sendmail('a@example.org', ['b@example.com'], MESSAGE), {})
        smtp.quit()
        [(env, _)] = server.messages()
        self.assertEqual(env['auth'], 'user')

    def test_no_secret_in_the_log(self):
        server = self.serve_tls('--tls-implicit', '--auth', 'user:Sup3rSecret', '-v')
        smtp = self.smtp_ssl(server)
        smtp.ehlo()
        with self.assertRaises(smtplib.SMTPAuthenticationError):
            smtp.login('user', 'Sup3rSecreT')
        smtp.login('user', 'Sup3rSecret')
        smtp.quit()
        self.assertTrue(wait_until(lambda: 'user accepted' in server.stderr()), server.stderr())
        self.assertNotIn('Sup3rSecre', server.stderr())


if __name__ == '__main__':
    main(tls_requirements)
