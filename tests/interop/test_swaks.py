"""smtpwire-serve against swaks, with and without PIPELINING (RFC 2920).

Skips (exit status 77) when swaks is not installed, unless SMTPWIRE_REQUIRE_INTEROP=1.
Run: python3 test_swaks.py --serve PATH-TO-smtpwire-serve

What swaks sends for `--data @FILE` (swaks 20201014): it rewrites the header lines
with CRLF, drops a final "." line, dot-stuffs lines starting with ".", turns every LF
into CRLF and appends CRLF "." CRLF. A file whose last line is "." therefore arrives as
the file with CRLF line ends minus that last line. (Without the "." line swaks adds an
empty line at the end.) With --no-data-fixup the file goes out byte for byte followed
by CRLF, so the file must hold the dot-stuffed data and end with CRLF ".".
"""

import os
import shutil
import subprocess
import sys

from serve_harness import STEP_TIMEOUT, ServeTestCase, main


class SwaksTest(ServeTestCase):

    def swaks(self, server, data, *args):
        path = os.path.join(server.tmp.name, 'data.txt')
        with open(path, 'wb') as f:
            f.write(data)
        run = subprocess.run(
            ['swaks', '--server', '127.0.0.1:%d' % server.port, '--helo', 'client.test',
             '--from', 'sender@example.org', '--timeout', str(STEP_TIMEOUT),
             '--data', '@' + path, *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            timeout=STEP_TIMEOUT * 2)
        self.assertEqual(run.returncode, 0, run.stdout.decode('utf-8', 'replace'))
        return run.stdout

    def test_data_file(self):
        server = self.serve()
        data = b'Subject: swaks\nX-Test: 1\n\n.leading dot\n..two dots\nbody\n.\n'
        self.swaks(server, data, '--to', 'one@example.com,two@example.com')
        [(env, content)] = server.messages()
        self.assertEqual(content, b'Subject: swaks\r\nX-Test: 1\r\n\r\n'
                                  b'.leading dot\r\n..two dots\r\nbody\r\n')
        self.assert_envelope(env, 'sender@example.org', ['one@example.com', 'two@example.com'],
                             len(content))

    def test_pipelined(self):
        server = self.serve('--defer-rcpt', 'later@*')
        data = b'Subject: pipelined\r\n\r\nbody\r\n.\r\n'
        transcript = self.swaks(server, data, '--pipeline',
                                '--to', 'one@example.com,later@example.com,two@example.com')
        # The commands went out together, then all replies came back in order.
        self.assertIn(b' -> MAIL FROM:<sender@example.org>\n -> RCPT TO:<one@example.com>\n'
                      b' -> RCPT TO:<later@example.com>\n -> RCPT TO:<two@example.com>\n'
                      b' -> DATA\n<-  250 2.1.0 OK\n<-  250 2.1.5 OK\n'
                      b'<** 450 4.2.1 Recipient deferred\n<-  250 2.1.5 OK\n<-  354 ', transcript)
        [(env, content)] = server.messages()
        self.assertEqual(content, b'Subject: pipelined\r\n\r\nbody\r\n')
        self.assertEqual(env['rcpt_to'], ['one@example.com', 'two@example.com'])

    def test_no_data_fixup_is_byte_exact(self):
        server = self.serve()
        data = (b'Subject: exact\r\n\r\n..dot\r\n...\r\nbare\tTAB \xc3\xa9\r\n'
                b'\r\n\r\nlast\r\n.')
        self.swaks(server, data, '--no-data-fixup', '--to', 'one@example.com')
        [(env, content)] = server.messages()
        self.assertEqual(content, b'Subject: exact\r\n\r\n.dot\r\n..\r\nbare\tTAB \xc3\xa9\r\n'
                                  b'\r\n\r\nlast\r\n')
        self.assertEqual(env['size'], len(content))


if __name__ == '__main__':
    if shutil.which('swaks') is None:
        if os.environ.get('SMTPWIRE_REQUIRE_INTEROP') == '1':
            sys.exit('swaks is not installed and SMTPWIRE_REQUIRE_INTEROP=1')
        print('swaks is not installed: skipped')
        sys.exit(77)
    main()
