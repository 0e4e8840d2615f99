"""smtpwire-send against a private Postfix smtpd with STARTTLS (RFC 3207): opportunistic,
required with the certificate checked, refused on a failed check, none, and a port
where Postfix requires TLS (smtpd_tls_security_level=encrypt); the message checked
byte for byte in Postfix's queue file, its Received field saying ESMTPS; BDAT (RFC 3030,
which Postfix offers) and DATA.

The test starts its own Postfix: a config_directory, queue_directory, data_directory
and maillog_file under a temporary directory, master(8) run in the foreground by the
test (-c DIR, -e as a safety stop) and stopped with SIGTERM, its smtpd listening on
127.0.0.1 only. It never touches the system's Postfix: nothing is read from or written
to /etc/postfix or /var/spool/postfix, and no system service is started. Every
message accepted is put on hold (check_client_access static:HOLD), where postcat(1)
reads it, and every transport is discard(8), so nothing leaves the machine.
master(8) must run as root (it drops to mail_owner for the other daemons).

Skips (exit status 77) when not root, or when Postfix (package postfix), the openssl
command or TLS in smtpwire-send is missing, unless SMTPWIRE_REQUIRE_INTEROP=1.
Run: python3 test_send_postfix.py --send PATH-TO-smtpwire-send
"""

import grp
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from send_harness import (EX_TEMPFAIL, EX_UNAVAILABLE, STEP_TIMEOUT, SendTestCase,
                          default_store_environment, free_port, main, make_certificate,
                          require_tls, skip_unless, wire_form)
from serve_harness import wait_until

POSTFIX = '/usr/sbin/postfix'
POSTCONF = '/usr/sbin/postconf'
POSTCAT = '/usr/sbin/postcat'

MAIN_CF = '''\
# A private Postfix for smtpwire's tests: everything under {root}.
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
myhostname = postfix.test
mydomain = postfix.test
mydestination =
relay_domains =
relayhost =
mynetworks = 127.0.0.0/8
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
alias_maps =
alias_database =
# Store the message as it came: no headers added or rewritten (Message-Id, Date, ...).
local_header_rewrite_clients =
# Nothing leaves this instance: accepted mail is held, and every transport discards.
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = check_client_access static:HOLD, permit_mynetworks, reject
default_transport = discard:
local_transport = discard:
relay_transport = discard:
virtual_transport = discard:
smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
'''

MASTER_CF = '''\
127.0.0.1:{port} inet n - n - - smtpd
127.0.0.1:{encrypt_port} inet n - n - - smtpd -o smtpd_tls_security_level=encrypt
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
discard   unix  - - n - - discard
'''


def postfix_available():
    return all(os.access(p, os.X_OK) for p in (POSTFIX, POSTCONF, POSTCAT))


class PostfixInstance:
    """A Postfix of its own under a temporary directory: smtpd on 127.0.0.1:`port`
    (STARTTLS offered) and 127.0.0.1:`encrypt_port` (STARTTLS required), with the
    certificate `cert` and its key `key`. `main_cf` and `master_cf` are appended to the
    configuration (a later main.cf setting wins over an earlier one)."""

    def __init__(self, cert, key, main_cf='', master_cf=''):
        self.tmp = tempfile.TemporaryDirectory(prefix='smtpwire-postfix-')
        root = self.tmp.name
        os.chmod(root, 0o755)  # the daemons run as mail_owner
        self.conf = os.path.join(root, 'conf')
        self.maillog_path = os.path.join(root, 'maillog')
        for d in ('conf', 'queue', 'data'):
            os.mkdir(os.path.join(root, d), 0o755)
        owner = pwd.getpwnam('postfix')
        os.chown(os.path.join(root, 'data'), owner.pw_uid, owner.pw_gid)
        self.port = free_port()
        self.encrypt_port = free_port()
        with open(os.path.join(self.conf, 'main.cf'), 'w', encoding='ascii') as f:
            f.write(MAIN_CF.format(root=root, cert=cert, key=key) + main_cf)
        with open(os.path.join(self.conf, 'master.cf'), 'w', encoding='ascii') as f:
            f.write(MASTER_CF.format(port=self.port, encrypt_port=self.encrypt_port) + master_cf)
        self.proc = None
        try:
            # Creates the queue directories with their owners and modes.
            subprocess.run([POSTFIX, '-c', self.conf, 'check'], check=True,
                           capture_output=True, timeout=STEP_TIMEOUT * 3)
            daemon_directory = subprocess.run(
                [POSTCONF, '-c', self.conf, '-h', 'daemon_directory'], check=True,
                capture_output=True, timeout=STEP_TIMEOUT).stdout.decode().strip()
            # In the foreground, as this process's child; -e ends it should the test
            # not (child processes then finish by themselves).
            self.proc = subprocess.Popen(
                [os.path.join(daemon_directory, 'master'), '-c', self.conf, '-e', '600'],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if not wait_until(self._accepting):
                raise AssertionError('Postfix did not start listening; maillog:\n'
                                     + self.maillog())
        except BaseException:
            self.close()
            raise

    def _accepting(self):
        if self.proc.poll() is not None:
            raise AssertionError('master exited with %d; maillog:\n%s'
                                 % (self.proc.returncode, self.maillog()))
        try:
            for port in (self.port, self.encrypt_port):
                socket.create_connection(('127.0.0.1', port), timeout=STEP_TIMEOUT).close()
            return True
        except OSError:
            time.sleep(0.05)
            return False

    def maillog(self):
        try:
            with open(self.maillog_path, encoding='utf-8', errors='replace') as f:
                return f.read()
        except FileNotFoundError:
            return ''

    def postcat(self, *args):
        return subprocess.run([POSTCAT, '-c', self.conf, *args], check=True,
                              capture_output=True, timeout=STEP_TIMEOUT).stdout

    def held(self):
        """The queue ids of the messages on hold."""
        return sorted(os.listdir(os.path.join(self.tmp.name, 'queue', 'hold')))

    def message(self, queue_id):
        """(The Received field Postfix added, the rest of the message) of a held message,
        with LF line ends."""
        lines = self.postcat('-bh', '-q', queue_id).split(b'\n')
        end = 1
        while lines[end][:1] in (b' ', b'\t'):
            end += 1
        return b'\n'.join(lines[:end]), b'\n'.join(lines[end:])

    def envelope(self, queue_id):
        records = self.postcat('-e', '-q', queue_id).decode().splitlines()
        return ([r.split(': ', 1)[1] for r in records if r.startswith('sender: ')],
                [r.split(': ', 1)[1] for r in records if r.startswith('recipient: ')])

    def close(self):
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)  # passed on to its children
                try:
                    self.proc.wait(STEP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            # Children may still be finishing; what they write there no longer matters.
            time.sleep(0.2)
            shutil.rmtree(self.tmp.name, ignore_errors=True)


class SendToPostfixTest(SendTestCase):

    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.TemporaryDirectory(prefix='smtpwire-postfix-certs-')
        os.chmod(cls.certs.name, 0o755)
        cls.cert, cls.key = make_certificate(cls.certs.name, 'localhost',
                                             'DNS:localhost,IP:127.0.0.1')
        try:
            cls.postfix = PostfixInstance(cls.cert, cls.key)
        except BaseException:
            cls.certs.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.postfix.close()
        finally:
            cls.certs.cleanup()

    def deliver(self, *args, port=None, data=b'Subject: to Postfix\n\n.dot\nbody\n',
                host='127.0.0.1', env=None):
        """Sends `data` with `args`; returns the result and, when Postfix queued it, its
        queue id (checked against the hold queue)."""
        before = set(self.postfix.held())
        result = self.send(port or self.postfix.port, '-v', '--from', 'a@example.org',
                           '--to', 'b@example.org', *args, stdin=data, host=host, env=env)
        # After BDAT ... LAST Postfix says how many octets it queued.
        m = re.fullmatch(r'b@example\.org 250 2\.0\.0 Ok: (?:\d+ bytes )?queued as (\w+)',
                         result.lines[0] if result.lines else '')
        new = sorted(set(self.postfix.held()) - before)
        self.assertEqual(new, [m.group(1)] if m else [], result)
        return result, m.group(1) if m else None

    def assert_stored(self, queue_id, data, tls):
        received, content = self.postfix.message(queue_id)
        self.assertEqual(content, wire_form(data).replace(b'\r\n', b'\n'))
        self.assertEqual(self.postfix.envelope(queue_id), (['a@example.org'], ['b@example.org']))
        if tls:
            self.assertRegex(received, rb'\(using TLSv1\.[23] with cipher ')
            self.assertIn(b' with ESMTPS id ' + queue_id.encode(), received)
        else:
            self.assertNotIn(b'using TLS', received)
            self.assertIn(b' with ESMTP id ' + queue_id.encode(), received)

    def test_opportunistic_starttls(self):
        data = b'Subject: to Postfix\n\n.dot\n..two\nbody\n'
        result, queue_id = self.deliver(data=data)
        self.assertEqual(result.status, 0, result)
        log = result.stderr.splitlines()
        starttls = log.index('C: STARTTLS')
        self.assertEqual(log[starttls + 1], 'S: 220 2.0.0 Ready to start TLS')
        self.assertRegex(log[starttls + 2], r'^\* TLS: TLSv1\.[23] \S+, certificate not verified$')
        self.assertEqual(log[starttls + 3], 'C: EHLO client.test')
        self.assert_stored(queue_id, data, tls=True)
        self.assertIn('TLS connection established from localhost[127.0.0.1]',
                      self.postfix.maillog())

    def test_starttls_required_and_verified(self):
        for host in ('127.0.0.1', 'localhost'):
            with self.subTest(host=host):
                data = b'Subject: verified\n\nfor ' + host.encode() + b'\n'
                result, queue_id = self.deliver('--starttls', 'required', '--tls-ca', self.cert,
                                                data=data, host=host)
                self.assertEqual(result.status, 0, result)
                self.assertIn('* TLS: ', result.stderr)
                self.assertIn(', certificate verified for %s\n' % host, result.stderr)
                self.assert_stored(queue_id, data, tls=True)

    def test_starttls_required_unverifiable(self):
        result, queue_id = self.deliver('--starttls', 'required', env=default_store_environment())
        self.assertEqual((result.status, result.lines, queue_id), (EX_TEMPFAIL, [], None), result)
        self.assertEqual(result.stderr.splitlines()[-1],
                         'smtpwire-send: TLS handshake failed: certificate verify failed: '
                         'self-signed certificate (127.0.0.1)')
        self.assertNotIn('C: MAIL', result.stderr)

    def test_starttls_none(self):
        data = b'Subject: in clear\n\nbody\n'
        result, queue_id = self.deliver('--starttls', 'none', data=data)
        self.assertEqual(result.status, 0, result)
        self.assertNotIn('C: STARTTLS', result.stderr.splitlines())
        self.assert_stored(queue_id, data, tls=False)

    def test_port_requiring_tls(self):
        # smtpd_tls_security_level=encrypt: MAIL in clear is refused; with STARTTLS the
        # message goes through.
        result, _ = self.deliver('--starttls', 'none', port=self.postfix.encrypt_port)
        self.assert_result(result, EX_UNAVAILABLE, [
            'b@example.org 530 5.7.0 Must issue a STARTTLS command first'])
        data = b'Subject: encrypt\n\nbody\n'
        result, queue_id = self.deliver('--starttls', 'required', '--tls-ca', self.cert,
                                        port=self.postfix.encrypt_port, data=data)
        self.assertEqual(result.status, 0, result)
        self.assert_stored(queue_id, data, tls=True)

    def test_bdat_and_data(self):
        # Postfix offers CHUNKING (RFC 3030): by default the message goes in BDAT chunks,
        # not dot-stuffed; with --bdat never by DATA. Postfix stores the same octets.
        data = b'Subject: chunks\n\n.dot\n..two\n' + b'y' * 9000 + b'\nlast'
        for mode, command in (('auto', 'BDAT'), ('never', 'DATA')):
            with self.subTest(bdat=mode):
                result, queue_id = self.deliver('--starttls', 'none', '--bdat', mode, data=data)
                self.assertEqual(result.status, 0, result)
                log = result.stderr.splitlines()
                if command == 'BDAT':
                    self.assertNotIn('C: DATA', log)
                    self.assertIn('C: .dot', log)
                    chunks = re.findall(r'BDAT (\d+)( LAST)?\n', result.stderr)
                    self.assertGreater(len(chunks), 1, chunks)
                    self.assertEqual(chunks[-1][1], ' LAST')
                    self.assertEqual(sum(int(size) for size, _ in chunks), len(wire_form(data)))
                else:
                    self.assertIn('C: DATA', log)
                    self.assertIn('C: ..dot', log)
                    self.assertNotIn('BDAT', result.stderr)
                self.assert_stored(queue_id, data, tls=False)

    def test_large_message_over_tls(self):
        # About 4 MiB through TLS records and partial writes, every line to be stuffed.
        lines = [b'.%06d ' % i + b'x' * (i % 97) for i in range(75000)]
        data = b'Subject: large\n\n' + b'\n'.join(lines) + b'\n'
        result, queue_id = self.deliver('--starttls', 'required', '--tls-ca', self.cert,
                                        data=data)
        self.assertEqual(result.status, 0, result)
        self.assert_stored(queue_id, data, tls=True)


def check():
    skip_unless(os.geteuid() == 0, 'root (Postfix master(8) must run as root)')
    skip_unless(postfix_available(), 'Postfix (package postfix)')
    try:
        pwd.getpwnam('postfix')
        grp.getgrnam('postdrop')
    except KeyError:
        skip_unless(False, "Postfix's user postfix and group postdrop")
    require_tls()


if __name__ == '__main__':
    main(check)
