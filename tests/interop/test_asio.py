"""asio-server and asio-client (examples/asio/: standalone Asio, C++20 coroutines, STARTTLS
with asio::ssl) against each other in clear and with STARTTLS, with bodies of 0, 1, 4095,
4096, 4097 octets and 10 MiB stored byte for byte; swaks (--tls) and Python's smtplib
(starttls()) into asio-server; asio-client --starttls into smtpwire-serve.

Makes a throwaway certificate with the openssl command. The swaks case is skipped when swaks
is not installed, unless SMTPWIRE_REQUIRE_INTEROP=1; the suite then exits with status 77.
Run: python3 test_asio.py --server PATH-TO-asio-server --client PATH-TO-asio-client
                          --serve PATH-TO-smtpwire-serve
"""

import argparse
import os
import shutil
import smtplib
import ssl
import subprocess
import sys
import tempfile
import unittest

import serve_harness
from send_harness import wire_form
from serve_harness import STEP_TIMEOUT, ServeProcess, make_certificate
from test_minimal import SIZES, MinimalServer, MinimalTestCase, message_of

# Set from --server and --client.
SERVER = None
CLIENT = None


class AsioTestCase(MinimalTestCase):

    @classmethod
    def setUpClass(cls):
        cls.cert_dir = tempfile.TemporaryDirectory(prefix='smtpwire-asio-')
        cls.cert, cls.key = make_certificate(cls.cert_dir.name)  # localhost and 127.0.0.1

    @classmethod
    def tearDownClass(cls):
        cls.cert_dir.cleanup()

    def asio_server(self, tls=True):
        """asio-server offering STARTTLS with the test certificate (or not)."""
        options = ['--cert', self.cert, '--key', self.key] if tls else []
        return self.start(MinimalServer, None, SERVER, *options)

    def asio_client(self, port, message, *options, stdin=False):
        """Runs asio-client, the message in a file or on its standard input."""
        with tempfile.NamedTemporaryFile(prefix='smtpwire-asio-') as f:
            f.write(message)
            f.flush()
            args = [CLIENT, '127.0.0.1', str(port), 'alice@example.org', 'bob@example.com']
            return subprocess.run(args + ([] if stdin else [f.name]) + list(options),
                                  input=message if stdin else b'', capture_output=True,
                                  timeout=STEP_TIMEOUT * 3)

    def assert_stored(self, server, number, message):
        stored = server.stored(number)
        self.assertEqual(len(stored), len(wire_form(message)))
        self.assertEqual(stored, wire_form(message))


class ClientToServerTest(AsioTestCase):

    def test_bodies_stored_byte_for_byte(self):
        server = self.asio_server()
        number = 0
        for size in SIZES:
            for starttls in (False, True):
                with self.subTest(size=size, starttls=starttls):
                    message = message_of(size)
                    options = ['--starttls', '--cafile', self.cert] if starttls else []
                    # In clear from a file, with TLS from standard input.
                    self.assert_sent(self.asio_client(server.port, message, *options, stdin=starttls))
                    number += 1
                    self.assert_stored(server, number, message)

    def test_starttls_required(self):
        server = self.asio_server(tls=False)
        run = self.asio_client(server.port, message_of(100), '--starttls', '--cafile', self.cert)
        self.assertEqual(run.returncode, 1, run.stderr)
        self.assertIn(b'asio-client: STARTTLS not offered\n', run.stderr)
        self.assertEqual(os.listdir(server.dir), [])

    def test_certificate_not_trusted(self):
        other_dir = os.path.join(self.cert_dir.name, 'other')
        os.makedirs(other_dir, exist_ok=True)
        other_cert, _ = make_certificate(other_dir)
        server = self.asio_server()
        run = self.asio_client(server.port, message_of(100), '--starttls', '--cafile', other_cert)
        self.assertEqual(run.returncode, 1, run.stderr)
        self.assertIn(b'asio-client: TLS handshake: certificate verify failed', run.stderr)
        self.assertEqual(os.listdir(server.dir), [])

    def test_usage(self):
        for program in (SERVER, CLIENT):
            run = subprocess.run([program], capture_output=True, timeout=STEP_TIMEOUT)
            self.assertEqual(run.returncode, 2)
            self.assertTrue(run.stderr.startswith(b'usage: asio-'), run.stderr)


class OtherClientsTest(AsioTestCase):

    def test_smtplib_starttls(self):
        server = self.asio_server()
        message = wire_form(message_of(5000))  # smtplib sends bytes as they are
        with smtplib.SMTP('127.0.0.1', server.port, local_hostname='client.test',
                          timeout=STEP_TIMEOUT) as smtp:
            self.assertTrue(smtp.ehlo()[0] == 250 and smtp.has_extn('starttls'))
            context = ssl.create_default_context(cafile=self.cert)  # checks 127.0.0.1 too
            self.assertEqual(smtp.starttls(context=context)[0], 220)
            self.assertTrue(smtp.ehlo()[0] == 250 and not smtp.has_extn('starttls'))
            self.assertEqual(smtp.sendmail('alice@example.org', ['bob@example.com'], message), {})
        self.assert_stored(server, 1, message)

    def test_swaks_tls(self):
        if shutil.which('swaks') is None:
            if os.environ.get('SMTPWIRE_REQUIRE_INTEROP') == '1':
                self.fail('swaks is not installed and SMTPWIRE_REQUIRE_INTEROP=1')
            self.skipTest('swaks is not installed')
        server = self.asio_server()
        run = subprocess.run(
            ['swaks', '--server', '127.0.0.1:%d' % server.port, '--helo', 'client.test',
             '--from', 'alice@example.org', '--to', 'bob@example.com', '--tls',
             '--timeout', str(STEP_TIMEOUT), '--data', '-'],
            input=b'Subject: swaks\n\nover TLS\n.\n', capture_output=True, timeout=STEP_TIMEOUT * 2)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn(b'<-  220 2.0.0 Ready to start TLS', run.stdout)
        self.assertIn(b'<~  250 2.0.0 OK', run.stdout)
        self.assertEqual(server.stored(1), b'Subject: swaks\r\n\r\nover TLS\r\n')


class ClientToServeTest(AsioTestCase):

    def test_starttls_into_smtpwire_serve(self):
        server = ServeProcess('--tls-cert', self.cert, '--tls-key', self.key)
        self.addCleanup(server.close)
        message = message_of(100000)
        run = self.asio_client(server.port, message, '--starttls', '--cafile', self.cert)
        self.assertEqual(run.returncode, 0, run.stderr)
        # smtpwire-serve offers CHUNKING: the content goes with BDAT, as it is.
        self.assertIn(b'\nBDAT: 250 OK: queued as ', run.stderr)
        [(envelope, content)] = server.messages()
        self.assertEqual(envelope['mail_from'], 'alice@example.org')
        self.assertEqual(envelope['rcpt_to'], ['bob@example.com'])
        self.assertIn(envelope['tls']['protocol'], ('TLSv1.2', 'TLSv1.3'))
        self.assertEqual(content, message)


def main():
    global SERVER, CLIENT
    parser = argparse.ArgumentParser()
    parser.add_argument('--server', required=True)
    parser.add_argument('--client', required=True)
    parser.add_argument('--serve', required=True)
    args, rest = parser.parse_known_args()
    SERVER, CLIENT = args.server, args.client
    serve_harness.SERVE = os.path.abspath(args.serve)
    result = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2).result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.skipped:
        print('swaks is not installed: its case skipped')
        sys.exit(77)


if __name__ == '__main__':
    main()
