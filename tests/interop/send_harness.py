"""Shared helpers for the smtpwire-send end-to-end tests (RFC 5321 over loopback).

Each test runs smtpwire-send against a peer it starts itself on 127.0.0.1 (and stops
when the test ends, also on failure): smtpwire-serve, Postfix's smtp-sink, aiosmtpd
or a scripted socket server. Python 3 standard library only.
"""

import functools
import os
import shutil
import socket
import subprocess
import sys
import threading
import unittest

import serve_harness
from serve_harness import STEP_TIMEOUT

# Set by main() from --send PATH.
SEND = None

# sysexits.h values smtpwire-send exits with.
EX_USAGE = 64
EX_DATAERR = 65
EX_NOINPUT = 66
EX_UNAVAILABLE = 69
EX_TEMPFAIL = 75


def wire_form(message):
    """`message` as the client session puts it on the wire before dot-stuffing, and as a
    server stores it: every line ended by CRLF (CRLF kept, a bare CR or LF becomes CRLF),
    and CRLF after an unterminated last line."""
    lines = message.replace(b'\r\n', b'\n').replace(b'\r', b'\n').split(b'\n')
    if lines[-1] == b'':
        lines.pop()
    return b''.join(line + b'\r\n' for line in lines)


@functools.lru_cache(maxsize=None)
def send_has_tls():
    """True when smtpwire-send was built with TLS (OpenSSL): its --help says so."""
    run = subprocess.run([SEND, '--help'], capture_output=True, timeout=STEP_TIMEOUT)
    return b'built without TLS' not in run.stdout


OPENSSL = shutil.which('openssl')


def make_certificate(directory, name, subject_alt_names):
    """A throwaway self-signed P-256 certificate for `subject_alt_names` (as for
    openssl's subjectAltName, e.g. 'DNS:localhost,IP:127.0.0.1'), valid for two days,
    made with the openssl command: returns the paths of DIR/NAME.pem and its key
    DIR/NAME.key."""
    cert = os.path.join(directory, name + '.pem')
    key = os.path.join(directory, name + '.key')
    subprocess.run([OPENSSL, 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                    'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
                    '-days', '2', '-subj', '/CN=' + name,
                    '-addext', 'subjectAltName=' + subject_alt_names],
                   check=True, capture_output=True, timeout=STEP_TIMEOUT * 3)
    return cert, key


def default_store_environment():
    """This process's environment without SSL_CERT_FILE and SSL_CERT_DIR, so that
    OpenSSL's default certificate store is the system's."""
    return {k: v for k, v in os.environ.items() if k not in ('SSL_CERT_FILE', 'SSL_CERT_DIR')}


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def skip_unless(available, what):
    """Exits with status 77 (skipped) when `available` is false, or fails when
    SMTPWIRE_REQUIRE_INTEROP=1 asks for every peer."""
    if available:
        return
    if os.environ.get('SMTPWIRE_REQUIRE_INTEROP') == '1':
        sys.exit('%s is not installed and SMTPWIRE_REQUIRE_INTEROP=1' % what)
    print('%s is not installed: skipped' % what)
    sys.exit(77)


class SendResult:
    """What one smtpwire-send run printed and returned."""

    def __init__(self, run):
        self.status = run.returncode
        self.stdout = run.stdout.decode('utf-8')
        self.stderr = run.stderr.decode('utf-8', 'replace')
        self.lines = self.stdout.splitlines()

    def __repr__(self):
        return 'exit %d\nstdout:\n%s\nstderr:\n%s' % (self.status, self.stdout, self.stderr)


class ScriptedServer:
    """A one-connection SMTP server on 127.0.0.1 that sends `greeting` and answers each
    command line with the reply `respond(line)` gives (None: close the connection).
    After a 354 reply the content lines are read without a reply up to the "." line,
    which is answered like a command. A reply given as (bytes, True) is sent, then the
    connection is closed. Every line received is in `received`."""

    def __init__(self, greeting, respond):
        self.listener = socket.create_server(('127.0.0.1', 0))
        self.port = self.listener.getsockname()[1]
        self.received = []
        self.greeting = greeting
        self.respond = respond
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.listener.settimeout(STEP_TIMEOUT)
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(STEP_TIMEOUT)
            buffer = b''
            conn.sendall(self.greeting)
            in_content = False
            while True:
                while b'\r\n' not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                line, buffer = buffer.split(b'\r\n', 1)
                self.received.append(line)
                if in_content and line != b'.':
                    continue
                reply = self.respond(line)
                if reply is None:
                    return
                close = isinstance(reply, tuple)
                if close:
                    reply = reply[0]
                in_content = reply.startswith(b'354')
                conn.sendall(reply)
                if close:
                    return

    def close(self):
        self.listener.close()
        self.thread.join(STEP_TIMEOUT)


class SendTestCase(unittest.TestCase):
    """Runs smtpwire-send; peers are closed when the test ends."""

    def send(self, port, *args, stdin=b'', helo='client.test', host='127.0.0.1', env=None):
        """Runs smtpwire-send against `host`:`port` with `args` (and the environment
        `env`, None for this one); fails on sanitizer reports."""
        return self.run_send('--server', '%s:%d' % (host, port), '--helo', helo, *args,
                             stdin=stdin, env=env)

    def run_send(self, *args, stdin=b'', env=None):
        run = subprocess.run([SEND, *args], input=stdin, capture_output=True,
                             timeout=STEP_TIMEOUT * 2, env=env)
        result = SendResult(run)
        for marker in ('runtime error', 'Sanitizer', 'bug:'):
            self.assertNotIn(marker, result.stderr, result)
        return result

    def message_file(self, directory, data):
        path = os.path.join(directory, 'message.eml')
        with open(path, 'wb') as f:
            f.write(data)
        return path

    def start(self, peer_class, *args, **kwargs):
        """A new peer_class(*args, **kwargs), closed when the test ends."""
        peer = peer_class(*args, **kwargs)
        self.addCleanup(peer.close)
        return peer

    def assert_result(self, result, status, lines):
        """Checks the exit status and the per-recipient lines."""
        self.assertEqual((result.status, result.lines), (status, lines), result)


def require_tls():
    """Skips (exit status 77) when smtpwire-send was built without TLS or the openssl
    command is missing, or fails when SMTPWIRE_REQUIRE_INTEROP=1 (CI installs
    libssl-dev and openssl)."""
    skip_unless(send_has_tls(), 'TLS in smtpwire-send (OpenSSL, package libssl-dev)')
    skip_unless(OPENSSL is not None, 'the openssl command (package openssl)')


def main(check=None):
    """Runs the calling module's tests:
    `python3 test_send_x.py --send PATH [--serve PATH] [unittest args]`. `check`, when
    given, runs first, once SEND is known (to skip the suite)."""
    global SEND
    args = sys.argv[1:]
    if len(args) < 2 or args[0] != '--send':
        sys.exit('usage: %s --send PATH-TO-smtpwire-send [--serve PATH-TO-smtpwire-serve] '
                 '[unittest options]' % sys.argv[0])
    SEND = os.path.abspath(args[1])
    args = args[2:]
    if len(args) >= 2 and args[0] == '--serve':
        serve_harness.SERVE = os.path.abspath(args[1])
        args = args[2:]
    if check is not None:
        check()
    unittest.main(module='__main__', argv=[sys.argv[0]] + args, verbosity=2)
