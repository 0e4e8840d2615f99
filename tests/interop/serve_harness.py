"""Shared helpers for the smtpwire-serve end-to-end tests (RFC 5321 over loopback).

Each test starts its own smtpwire-serve on 127.0.0.1 with port 0 and a fresh maildir,
talks to it only over 127.0.0.1, and stops it with SIGTERM when the test ends, also
on failure. Python 3 standard library only; the TLS suites also run `openssl req` for
a throwaway certificate.
"""

import json
import os
import re
import selectors
import signal
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

# Set by main() from --serve PATH.
SERVE = None

# Seconds any single socket operation or process step may take.
STEP_TIMEOUT = 10


class ServeProcess:
    """One running smtpwire-serve with its own temporary maildir."""

    def __init__(self, *args):
        self.tmp = tempfile.TemporaryDirectory(prefix='smtpwire-interop-')
        self.maildir = os.path.join(self.tmp.name, 'mail')
        self.stderr_path = os.path.join(self.tmp.name, 'stderr.txt')
        command = [SERVE, '--listen', '127.0.0.1:0', '--hostname', 'mx.test',
                   '--store', self.maildir, *args]
        with open(self.stderr_path, 'wb') as err:
            self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=err)
        try:
            line = self._first_line()
            m = re.fullmatch(rb'listening on 127\.0\.0\.1:(\d+)\n', line)
            if not m:
                raise AssertionError('unexpected first line %r; stderr: %s'
                                     % (line, self.stderr()))
            self.port = int(m.group(1))
        except BaseException:
            self.kill()
            raise

    def _first_line(self):
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(STEP_TIMEOUT):
                raise AssertionError('smtpwire-serve did not print its address; stderr: %s'
                                     % self.stderr())
        return self.proc.stdout.readline()

    def stderr(self):
        with open(self.stderr_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def stop(self, sig=signal.SIGTERM):
        """Signals the server and waits for it; returns its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(STEP_TIMEOUT)
        finally:
            self.kill()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()

    def close(self):
        """Stops the server; fails if it did not exit cleanly or reported a bug."""
        try:
            status = self.stop()
            log = self.stderr()
            if status != 0 or 'bug:' in log or 'runtime error' in log or 'Sanitizer' in log:
                raise AssertionError('smtpwire-serve exited with %s; stderr:\n%s' % (status, log))
        finally:
            self.tmp.cleanup()

    def messages(self):
        """The stored messages as (envelope dict, content bytes), oldest first. Fails if
        a .eml has no .json or the other way round."""
        if not os.path.isdir(self.maildir):
            return []
        names = os.listdir(self.maildir)
        emls = {n[:-4] for n in names if n.endswith('.eml')}
        jsons = {n[:-5] for n in names if n.endswith('.json')}
        if emls != jsons:
            raise AssertionError('unpaired files in the maildir: %r' % sorted(names))
        out = []
        for stem in emls:
            with open(os.path.join(self.maildir, stem + '.json'), 'rb') as f:
                env = json.loads(f.read().decode('utf-8'))
            with open(os.path.join(self.maildir, stem + '.eml'), 'rb') as f:
                content = f.read()
            if env['id'] != stem:
                raise AssertionError('id %r stored as %r' % (env['id'], stem))
            out.append((env, content))
        out.sort(key=lambda m: tuple(int(x) for x in m[0]['id'].split('.')))
        return out

    def temp_files(self):
        tmp = os.path.join(self.maildir, 'tmp')
        return sorted(os.listdir(tmp)) if os.path.isdir(tmp) else []


class RawClient:
    """A line-level SMTP client over a plain socket, for what smtplib will not send."""

    def __init__(self, port):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=STEP_TIMEOUT)
        self.buffer = b''

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _line(self):
        while b'\r\n' not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError('connection closed; unread: %r' % self.buffer)
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b'\r\n', 1)
        return line

    def reply(self):
        """The next reply as (code, [text of each line])."""
        lines = []
        while True:
            line = self._line()
            if not re.fullmatch(rb'\d{3}([ -].*)?', line, re.S):
                raise AssertionError('malformed reply line %r' % line)
            lines.append(line[4:])
            if line[3:4] != b'-':
                return int(line[:3]), lines

    def expect(self, code, text_prefix=b''):
        """Reads one reply; checks its code and the start of its last line."""
        got, lines = self.reply()
        if got != code or not lines[-1].startswith(text_prefix):
            raise AssertionError('expected %d %r, got %d %r' % (code, text_prefix, got, lines))
        return lines

    def command(self, line, code, text_prefix=b''):
        self.send(line + b'\r\n')
        return self.expect(code, text_prefix)

    def greet(self):
        self.expect(220, b'mx.test')
        return self.command(b'EHLO client.test', 250)

    def start_tls(self, context, server_hostname='localhost'):
        """Runs the TLS handshake as client; fails if the server sent anything that
        would be left behind in clear."""
        if self.buffer:
            raise AssertionError('plaintext before the TLS handshake: %r' % self.buffer)
        self.sock = context.wrap_socket(self.sock, server_hostname=server_hostname)

    def assert_silent(self, seconds=0.3):
        """Fails if the server sends anything within `seconds`."""
        self.sock.settimeout(seconds)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            data = None
        finally:
            self.sock.settimeout(STEP_TIMEOUT)
        if data is not None:
            raise AssertionError('unexpected data from the server: %r' % (self.buffer + data))
        if self.buffer:
            raise AssertionError('unexpected data from the server: %r' % self.buffer)

    def assert_closed(self):
        """Fails unless the server closes the connection with nothing more to read."""
        rest = self.buffer
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        if rest:
            raise AssertionError('unexpected data before the close: %r' % rest)


class ServeTestCase(unittest.TestCase):
    """Gives each test its servers and clients, all closed when the test ends."""

    def serve(self, *args):
        server = ServeProcess(*args)
        self.addCleanup(server.close)
        return server

    def raw(self, server):
        client = RawClient(server.port)
        self.addCleanup(client.close)
        return client

    def assert_envelope(self, env, mail_from, rcpt_to, size):
        self.assertEqual(env['helo'], 'client.test')
        self.assertEqual(env['helo_verb'], 'EHLO')
        self.assertRegex(env['peer'], r'^127\.0\.0\.1:\d+$')
        self.assertEqual(env['mail_from'], mail_from)
        self.assertEqual(env['rcpt_to'], rcpt_to)
        self.assertEqual(env['recipients'], [{'mailbox': r, 'parameters': {'notify': None, 'orcpt': None}} for r in rcpt_to])
        self.assertEqual(env['size'], size)
        self.assertRegex(env['received_at'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')


class TlsServeTestCase(ServeTestCase):
    """A ServeTestCase with a throwaway certificate for its tests (make_certificate())."""

    @classmethod
    def setUpClass(cls):
        cls._cert_dir = tempfile.TemporaryDirectory(prefix='smtpwire-tls-')
        cls.cert, cls.key = make_certificate(cls._cert_dir.name)

    @classmethod
    def tearDownClass(cls):
        cls._cert_dir.cleanup()

    def serve_tls(self, *args):
        """smtpwire-serve offering STARTTLS with the certificate (or, with
        --tls-implicit among `args`, TLS from the start)."""
        return self.serve('--tls-cert', self.cert, '--tls-key', self.key, *args)

    def client_context(self):
        """A client context that trusts only the test certificate, and checks the name."""
        return ssl.create_default_context(cafile=self.cert)

    def assert_tls(self, env):
        """Checks the "tls" object of a stored envelope."""
        self.assertIn(env['tls']['protocol'], ('TLSv1.2', 'TLSv1.3'))
        self.assertRegex(env['tls']['cipher'], r'^[A-Z0-9_-]+$')

    def split_received(self, content):
        """The Received field opening `content` (--received), and the content behind it."""
        m = re.match(rb'Received: from .*?\r\n(?![ \t])', content, re.S)
        self.assertTrue(m, content[:200])
        return m.group(0), content[m.end():]

    def received_with(self, content):
        """The protocol in the `with` clause of the Received field opening `content`."""
        words = self.split_received(content)[0].split()
        return words[words.index(b'with') + 1].decode()


def tls_requirements():
    """What the TLS suites need but is missing: TLS in smtpwire-serve, and openssl."""
    missing = []
    if not serve_has_tls():
        missing.append('TLS in smtpwire-serve (built without OpenSSL)')
    if shutil.which('openssl') is None:
        missing.append('openssl (Debian package openssl)')
    return missing


def wait_until(predicate, seconds=STEP_TIMEOUT):
    """Polls `predicate` until it is true or `seconds` pass; returns its last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


def serve_has_tls():
    """True unless smtpwire-serve was built without TLS (the last line of its --help)."""
    run = subprocess.run([SERVE, '--help'], stdin=subprocess.DEVNULL, capture_output=True,
                         timeout=STEP_TIMEOUT)
    return not run.stdout.rstrip().endswith(b'built without TLS')


def make_certificate(directory):
    """A throwaway self-signed certificate for localhost and 127.0.0.1, valid for a day,
    and its unencrypted key: the paths (cert.pem, key.pem) in `directory`."""
    cert = os.path.join(directory, 'cert.pem')
    key = os.path.join(directory, 'key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                    'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost',
                    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-days', '1',
                    '-keyout', key, '-out', cert],
                   stdin=subprocess.DEVNULL, capture_output=True, check=True,
                   timeout=STEP_TIMEOUT)
    return cert, key


def skip_or_fail(missing):
    """Ends the suite for want of `missing` (a list of what is not there): exit status
    77 (skipped), or a failure when SMTPWIRE_REQUIRE_INTEROP=1."""
    what = ', '.join(missing)
    if os.environ.get('SMTPWIRE_REQUIRE_INTEROP') == '1':
        sys.exit('missing: %s, and SMTPWIRE_REQUIRE_INTEROP=1' % what)
    print('missing: %s: skipped' % what)
    sys.exit(77)


def main(requirements=None):
    """Runs the calling module's tests: `python3 test_x.py --serve PATH [unittest args]`.
    `requirements`, when given, is called once SERVE is set and returns what the suite
    needs but is missing; anything missing ends the suite through skip_or_fail()."""
    global SERVE
    args = sys.argv[1:]
    if len(args) < 2 or args[0] != '--serve':
        sys.exit('usage: %s --serve PATH-TO-smtpwire-serve [unittest options]' % sys.argv[0])
    SERVE = os.path.abspath(args[1])
    if requirements is not None:
        missing = requirements()
        if missing:
            skip_or_fail(missing)
    unittest.main(module='__main__', argv=[sys.argv[0]] + args[2:], verbosity=2)
