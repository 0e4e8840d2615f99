"""smtpwire-serve's command line: usage, bad flags, flag forms, listen errors, and the
TLS flags of a build with or without TLS.

Run: python3 test_cli.py --serve PATH-TO-smtpwire-serve
"""

import os
import shutil
import smtplib
import socket
import subprocess
import tempfile

import serve_harness
from serve_harness import STEP_TIMEOUT, ServeTestCase, main

FLAGS = ['--listen HOST:PORT', '--store DIR', '--maildir DIR', '--hostname NAME', '--max-size BYTES',
         '--max-recipients N', '--reject-rcpt GLOB', '--defer-rcpt GLOB', '--timeout SECONDS',
         '--max-connections N', '--discard', '--received', '--tls-cert PEM', '--tls-key PEM',
         '--tls-implicit', '--auth USER:PASS', '--require-auth', '--lmtp', '--reject-delivery GLOB',
         '--defer-delivery GLOB', '--proxy-protocol',
         '--proxy-timeout SECS', '-v', '--help']


class CommandLineTest(ServeTestCase):

    def run_serve(self, *args):
        return subprocess.run([serve_harness.SERVE, *args], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=STEP_TIMEOUT)

    def test_help(self):
        run = self.run_serve('--help')
        self.assertEqual(run.returncode, 0)
        self.assertEqual(run.stderr, b'')
        out = run.stdout.decode()
        self.assertTrue(out.startswith('usage: smtpwire-serve [options]\n'))
        for flag in FLAGS:
            self.assertIn('\n  ' + flag + ' ', out)
        self.assertRegex(out, r'\n\nTLS: (OpenSSL \d.*|built without TLS)\n$')

    def test_bad_command_lines(self):
        for args, message in [
            (['--bogus'], 'unknown option --bogus'),
            (['serve'], 'unknown option serve'),
            (['--max-size'], '--max-size needs BYTES'),
            (['--max-size', '10k'], 'bad value for --max-size: 10k'),
            (['--max-recipients', '0'], 'bad value for --max-recipients: 0'),
            (['--max-connections', '0'], 'bad value for --max-connections: 0'),
            (['--max-connections', '-1'], 'bad value for --max-connections: -1'),
            (['--listen', '127.0.0.1'], 'bad value for --listen: 127.0.0.1'),
            (['--listen', '127.0.0.1:65536'], 'bad value for --listen: 127.0.0.1:65536'),
            (['--listen=:25'], 'bad value for --listen: :25'),
            (['--timeout', '0'], 'bad value for --timeout: 0'),
            (['--discard=yes'], '--discard takes no value'),
            (['--auth', 'user'], 'bad value for --auth: user'),
            (['--auth', ':secret'], 'bad value for --auth: :secret'),
            (['--auth', 'user:'], 'bad value for --auth: user:'),
            (['--require-auth'], '--require-auth needs --auth'),
            (['--proxy-timeout', '3'], '--proxy-timeout needs --proxy-protocol'),
            (['--reject-delivery', 'a@*'], '--reject-delivery and --defer-delivery need --lmtp'),
            (['--defer-delivery', 'a@*'], '--reject-delivery and --defer-delivery need --lmtp'),
            (['--lmtp=yes'], '--lmtp takes no value'),
            (['--proxy-protocol', '--proxy-timeout', '0'], 'bad value for --proxy-timeout: 0'),
            (['--proxy-protocol=yes'], '--proxy-protocol takes no value'),
            (['--tls-cert='], 'bad value for --tls-cert: '),
        ] + ([
            (['--tls-cert', 'c.pem'], '--tls-cert and --tls-key go together'),
            (['--tls-key', 'k.pem'], '--tls-cert and --tls-key go together'),
            (['--tls-implicit'], '--tls-implicit needs --tls-cert and --tls-key'),
        ] if serve_harness.serve_has_tls() else [
            (['--tls-cert', 'c.pem', '--tls-key', 'k.pem'],
             '--tls-cert, --tls-key, --tls-implicit: built without TLS'),
            (['--tls-implicit'], '--tls-cert, --tls-key, --tls-implicit: built without TLS'),
        ]):
            with self.subTest(args=args):
                run = self.run_serve(*args)
                self.assertEqual(run.returncode, 2)
                self.assertEqual(run.stdout, b'')
                err = run.stderr.decode()
                self.assertTrue(err.startswith('smtpwire-serve: ' + message + '\nusage: '), err)

    def test_flag_with_equals(self):
        server = self.serve('--max-size=1234', '--hostname=other.test')
        client = self.raw(server)
        client.expect(220, b'other.test ESMTP')
        lines = client.command(b'EHLO client.test', 250)
        self.assertIn(b'SIZE 1234', lines)

    def test_maildir_is_store_by_its_older_name(self):
        other = tempfile.mkdtemp(prefix='smtpwire-maildir-')
        self.addCleanup(shutil.rmtree, other)
        server = self.serve('--maildir', other)  # after the harness's --store: it wins
        with smtplib.SMTP('127.0.0.1', server.port, timeout=STEP_TIMEOUT) as s:
            s.sendmail('a@client.test', ['b@mx.test'], b'Subject: x\r\n\r\nbody\r\n')
        self.assertTrue(any(n.endswith('.eml') for n in os.listdir(other)))
        self.assertEqual(server.messages(), [])  # not in the --store the harness gave

    def test_address_in_use(self):
        with socket.socket() as taken:
            taken.bind(('127.0.0.1', 0))
            taken.listen()
            address = '127.0.0.1:%d' % taken.getsockname()[1]
            run = self.run_serve('--listen', address, '--discard')
        self.assertEqual(run.returncode, 1)
        self.assertEqual(run.stdout, b'')
        self.assertTrue(run.stderr.decode().startswith('smtpwire-serve: cannot listen on ' +
                                                       address + ': '), run.stderr)


if __name__ == '__main__':
    main()
