"""smtpwire-serve --proxy-protocol behind HAProxy (HAProxy's "The PROXY protocol", v1 and v2).

A private HAProxy (Debian's haproxy, 2.6) runs in the foreground with its own
configuration in a temporary directory, listening on 127.0.0.1 and forwarding to
smtpwire-serve with `send-proxy` or `send-proxy-v2`; Python's smtplib sends a message
through it from a port the test chose, and the stored envelope must name that port.
Raw sockets send headers HAProxy would not (IPv6, LOCAL, UNKNOWN, split, invalid) and
connect without one. Every connection stays on 127.0.0.1.

Skips (exit status 77) when haproxy is not installed, unless SMTPWIRE_REQUIRE_INTEROP=1.
Run: python3 test_proxy.py --serve PATH-TO-smtpwire-serve
"""

import os
import random
import re
import shutil
import smtplib
import socket
import struct
import subprocess
import tempfile
import time

from serve_harness import STEP_TIMEOUT, TlsServeTestCase, main, tls_requirements, wait_until

MESSAGE = b'Subject: proxied\r\n\r\nbody\r\n'
V2_SIGNATURE = b'\r\n\r\n\x00\r\nQUIT\n'


def free_port():
    """A port on 127.0.0.1 nothing is bound to, below Linux's ephemeral range (32768 and
    up), so that no connection the system numbers itself can have it by chance."""
    for port in random.sample(range(20000, 32000), 500):
        with socket.socket() as s:
            try:
                s.bind(('127.0.0.1', port))
            except OSError:
                continue
            return port
    raise AssertionError('no free port on 127.0.0.1')


def v2_header(ver_cmd, family, block):
    return V2_SIGNATURE + bytes([ver_cmd, family]) + struct.pack('>H', len(block)) + block


class HAProxy:
    """A private HAProxy in the foreground (-db): a TCP frontend on a free 127.0.0.1 port
    forwarding to 127.0.0.1:`backend_port` with the server options `server_options`, and a
    second frontend that refuses every connection, for telling when it is listening."""

    def __init__(self, backend_port, server_options):
        self.tmp = tempfile.TemporaryDirectory(prefix='smtpwire-haproxy-')
        self.port = free_port()
        self.ready_port = free_port()
        config = os.path.join(self.tmp.name, 'haproxy.cfg')
        with open(config, 'w') as f:
            f.write(f'''global
    maxconn 100

defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend smtp
    bind 127.0.0.1:{self.port}
    unique-id-format %{{+X}}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid
    default_backend serve

frontend ready
    bind 127.0.0.1:{self.ready_port}
    tcp-request connection reject

backend serve
    server serve 127.0.0.1:{backend_port} {server_options}
''')
        self.log_path = os.path.join(self.tmp.name, 'haproxy.log')
        with open(self.log_path, 'wb') as log:
            self.proc = subprocess.Popen(['haproxy', '-f', config, '-db'], stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        try:
            listening = wait_until(self._listening)
        except BaseException:
            self.close()
            raise
        if not listening:
            output = self.log()
            self.close()
            raise AssertionError('haproxy did not start listening; its output:\n' + output)

    def _listening(self):
        if self.proc.poll() is not None:
            raise AssertionError('haproxy exited with %s; its output:\n%s'
                                 % (self.proc.returncode, self.log()))
        try:
            socket.create_connection(('127.0.0.1', self.ready_port), timeout=1).close()
            return True
        except OSError:
            return False

    def log(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STEP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.tmp.cleanup()


class ProxyProtocolTest(TlsServeTestCase):

    def haproxy(self, server, server_options):
        proxy = HAProxy(server.port, server_options)
        self.addCleanup(proxy.close)
        return proxy

    def require_tls(self):
        missing = tls_requirements()
        if not missing:
            return
        if os.environ.get('SMTPWIRE_REQUIRE_INTEROP') == '1':
            self.fail('missing: %s, and SMTPWIRE_REQUIRE_INTEROP=1' % ', '.join(missing))
        self.skipTest('missing: %s' % ', '.join(missing))

    def send_through(self, proxy, client_port, smtp_class=smtplib.SMTP, **kwargs):
        """Sends MESSAGE through `proxy` from 127.0.0.1:`client_port` with smtplib."""
        with smtp_class('127.0.0.1', proxy.port, local_hostname='client.test',
                        timeout=STEP_TIMEOUT, source_address=('127.0.0.1', client_port),
                        **kwargs) as smtp:
            refused = smtp.sendmail('sender@example.org', ['rcpt@example.com'], MESSAGE)
            self.assertEqual(refused, {})

    def received_from(self, content):
        """The "from" clause of the Received field opening `content`."""
        field, rest = self.split_received(content)
        self.assertEqual(rest, MESSAGE)
        return re.match(rb'Received: from (\S+ \(\S+\))', field).group(1).decode()

    def assert_proxied(self, server, client_port, header, checked=''):
        """The one stored message came from 127.0.0.1:`client_port` through a proxy on
        127.0.0.1, and the log shows `header` ("PROXY v1 PROXY") naming that client, followed
        by `checked`."""
        [(env, content)] = server.messages()
        self.assertEqual(env['peer'], '127.0.0.1:%d' % client_port)
        self.assertRegex(env['proxy'], r'^127\.0\.0\.1:\d+$')
        self.assertNotEqual(env['proxy'], env['peer'])
        self.assertEqual(env['rcpt_to'], ['rcpt@example.com'])
        self.assertEqual(self.received_from(content), 'client.test ([127.0.0.1])')
        line = (r'conn \d+: %s from 127\.0\.0\.1:%d to 127\.0\.0\.1:\d+ via 127\.0\.0\.1:\d+%s\n'
                % (header, client_port, checked))
        self.assertRegex(server.stderr(), line)
        return env

    def test_haproxy_send_proxy_v1(self):
        server = self.serve('--proxy-protocol', '--received', '-v')
        proxy = self.haproxy(server, 'send-proxy')
        client_port = free_port()
        self.send_through(proxy, client_port)
        self.assert_proxied(server, client_port, 'PROXY v1 PROXY')

    def test_haproxy_send_proxy_v2_with_crc32c_and_unique_id(self):
        server = self.serve('--proxy-protocol', '--received', '-v')
        proxy = self.haproxy(server, 'send-proxy-v2 proxy-v2-options crc32c,unique-id')
        client_port = free_port()
        self.send_through(proxy, client_port)
        self.assert_proxied(server, client_port, 'PROXY v2 PROXY', ', CRC32C checked')

    def test_haproxy_send_proxy_v2_before_implicit_tls(self):
        # The header comes in clear, then the client's TLS handshake passes through HAProxy.
        self.require_tls()
        server = self.serve_tls('--tls-implicit', '--proxy-protocol', '--received', '-v')
        proxy = self.haproxy(server, 'send-proxy-v2')
        client_port = free_port()
        self.send_through(proxy, client_port, smtplib.SMTP_SSL, context=self.client_context())
        env = self.assert_proxied(server, client_port, 'PROXY v2 PROXY')
        self.assert_tls(env)

    def test_no_header_no_greeting(self):
        # A direct connection to a --proxy-protocol listener, as a client that skipped the
        # proxy: no greeting, closed when the header does not come.
        server = self.serve('--proxy-protocol', '--proxy-timeout', '1', '-v')
        with self.assertRaises(smtplib.SMTPServerDisconnected):
            smtplib.SMTP('127.0.0.1', server.port, local_hostname='client.test',
                         timeout=STEP_TIMEOUT)
        client = self.raw(server)
        started = time.monotonic()
        client.assert_silent(0.5)
        client.assert_closed()
        self.assertGreater(time.monotonic() - started, 0.9)
        self.assertIn('PROXY header refused: not complete within the timeout', server.stderr())
        self.assertEqual(server.messages(), [])

    def test_invalid_headers_close_without_greeting(self):
        server = self.serve('--proxy-protocol', '--proxy-timeout', '30', '-v')
        for data, reason in [
            (b'EHLO client.test\r\n', 'not a PROXY protocol header'),
            (b'PROXY TCP4 192.0.2.01 198.51.100.2 1234 25\r\n', 'PROXY v1: invalid address'),
            (b'PROXY TCP4 192.0.2.1 198.51.100.2 1234 25\nEHLO x\r\n', 'PROXY v1: bare CR or LF'),
            (b'PROXY UNKNOWN ' + b'x' * 100 + b'\r\n', 'PROXY v1: no CRLF within 107 octets'),
            (v2_header(0x21, 0x13, bytes(12)), 'PROXY v2: invalid address family or protocol'),
            (v2_header(0x21, 0x11, bytes(12) + b'\x03\x00\x04\x00\x00\x00\x00'),
             'PROXY v2: CRC32C mismatch'),
            (V2_SIGNATURE + b'\x21\x11\x02\x19', 'PROXY v2: header longer than the limit'),
            (v2_header(0x21, 0x12, bytes(12)), 'PROXY v2 PROXY for a datagram connection'),
            (b'\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03', 'not a PROXY protocol header'),
        ]:
            with self.subTest(data=data):
                client = self.raw(server)
                started = time.monotonic()
                client.send(data)
                client.assert_closed()
                self.assertLess(time.monotonic() - started, 10)
                logged = 'PROXY header refused: ' + reason
                self.assertTrue(wait_until(lambda: logged in server.stderr()), server.stderr())
        self.assertEqual(server.messages(), [])

    def transaction(self, client):
        client.expect(220, b'mx.test')
        client.command(b'EHLO client.test', 250)
        client.command(b'MAIL FROM:<sender@example.org>', 250)
        client.command(b'RCPT TO:<rcpt@example.com>', 250)
        client.command(b'DATA', 354)
        client.command(MESSAGE + b'.', 250)
        client.command(b'QUIT', 221)

    def test_addresses_from_raw_headers(self):
        server = self.serve('--proxy-protocol', '--received')
        for header, peer, received in [
            (b'PROXY TCP6 2001:db8::1 2001:db8::25 49152 25\r\n', '[2001:db8::1]:49152',
             'client.test ([IPv6:2001:db8::1])'),
            (b'PROXY TCP6 ::FFFF:192.0.2.7 ::1 1 25\r\n', '[::ffff:192.0.2.7]:1',
             'client.test ([IPv6:::ffff:192.0.2.7])'),
            (v2_header(0x21, 0x11, bytes([192, 0, 2, 1, 198, 51, 100, 25]) +
                       struct.pack('>HH', 65535, 25)),
             '192.0.2.1:65535', 'client.test ([192.0.2.1])'),
            (v2_header(0x21, 0x21, bytes.fromhex('20010db8000000000001000000000001') + bytes(16) +
                       struct.pack('>HH', 0, 25) + b'\x05\x00\x02id'),
             '[2001:db8::1:0:0:1]:0', 'client.test ([IPv6:2001:db8::1:0:0:1])'),
        ]:
            with self.subTest(header=header):
                client = self.raw(server)
                client.send(header)
                self.transaction(client)
                env, content = server.messages()[-1]
                self.assertEqual(env['peer'], peer)
                self.assertEqual(env['proxy'], '127.0.0.1:%d' % client.sock.getsockname()[1])
                self.assertEqual(self.received_from(content), received)

    def test_local_and_unknown_keep_the_connection_address(self):
        server = self.serve('--proxy-protocol', '--received', '-v')
        for header in [v2_header(0x20, 0x00, b''),           # a health check
                       v2_header(0x20, 0x11, bytes(12)),      # LOCAL ignores the family
                       v2_header(0x21, 0x00, b''),            # AF_UNSPEC
                       b'PROXY UNKNOWN\r\n',
                       b'PROXY UNKNOWN ::1 ::2 3 4\r\n']:
            with self.subTest(header=header):
                client = self.raw(server)
                client.send(header)
                self.transaction(client)
                env, content = server.messages()[-1]
                self.assertEqual(env['peer'], '127.0.0.1:%d' % client.sock.getsockname()[1])
                self.assertIsNone(env['proxy'])
                self.assertEqual(self.received_from(content), 'client.test ([127.0.0.1])')
        log = server.stderr()
        self.assertIn('PROXY v2 LOCAL unspecified: the connection\'s address is kept', log)
        self.assertIn('PROXY v1 PROXY unspecified: the connection\'s address is kept', log)

    def test_bytes_after_the_header_reach_the_session(self):
        server = self.serve('--proxy-protocol')
        client = self.raw(server)
        client.send(b'PROXY TCP4 192.0.2.1 198.51.100.2 1234 25\r\nEHLO client.test\r\n')
        client.expect(220, b'mx.test')
        self.assertEqual(client.expect(250)[0], b'mx.test')  # the EHLO reply
        client.command(b'QUIT', 221)

    def test_header_in_pieces(self):
        # The header may arrive in several reads; meanwhile the server waits without
        # spinning (SO_RCVLOWAT) and says nothing.
        server = self.serve('--proxy-protocol', '--received')
        client = self.raw(server)
        cpu_before = self.cpu_seconds(server)
        client.send(b'PROXY TCP4 192.0.2.1 198.51')
        client.assert_silent(0.5)
        client.send(b'.100.2 1234 25\r')
        client.assert_silent(0.5)
        self.assertLess(self.cpu_seconds(server) - cpu_before, 0.3)
        client.send(b'\n')
        self.transaction(client)
        [(env, _)] = server.messages()
        self.assertEqual(env['peer'], '192.0.2.1:1234')

        v2 = v2_header(0x21, 0x11,
                       bytes([192, 0, 2, 9, 198, 51, 100, 25]) + struct.pack('>HH', 7, 25))
        client = self.raw(server)
        for piece in (v2[:5], v2[5:14], v2[14:20], v2[20:]):
            client.assert_silent(0.1)
            client.send(piece)
        self.transaction(client)
        self.assertEqual(server.messages()[-1][0]['peer'], '192.0.2.9:7')

        client = self.raw(server)  # the peer ends half-way through the header
        client.send(b'PROXY TCP4 192.0.2.1')
        client.assert_silent(0.2)
        client.sock.shutdown(socket.SHUT_WR)
        client.assert_closed()

    def cpu_seconds(self, server):
        """User and system CPU time smtpwire-serve has used so far (Linux /proc)."""
        with open('/proc/%d/stat' % server.proc.pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')

    def test_stop_while_waiting_for_a_header(self):
        server = self.serve('--proxy-protocol')
        client = self.raw(server)
        client.send(b'PROXY TCP4 ')
        client.assert_silent(0.2)
        self.assertEqual(server.stop(), 0)
        try:
            client.assert_closed()
        except ConnectionResetError:
            pass


def requirements():
    return [] if shutil.which('haproxy') else ['haproxy (Debian package haproxy)']


if __name__ == '__main__':
    main(requirements)
