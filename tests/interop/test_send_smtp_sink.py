"""smtpwire-send against Postfix's smtp-sink: the message bytes in its dump file, its
4xx/5xx answers to RCPT and to the end of the data, 421, and missing 8BITMIME and
SMTPUTF8 (RFC 5321, 2920, 6152, 6531).

Skips (exit status 77) when smtp-sink (Debian package postfix) is not installed, unless
SMTPWIRE_REQUIRE_INTEROP=1.
Run: python3 test_send_smtp_sink.py --send PATH-TO-smtpwire-send

smtp-sink's dump file (-d, see smtp-sink(1)) holds X-Client-Addr, X-Client-Proto,
X-Helo-Args, X-Mail-Args and one X-Rcpt-Args line per RCPT, a three-line Received
header, then the message as received with the dot-stuffing removed and each CRLF
written as LF, then an empty line.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

from send_harness import (EX_TEMPFAIL, EX_UNAVAILABLE, STEP_TIMEOUT, SendTestCase, free_port,
                          main, skip_unless, wire_form)
from serve_harness import wait_until

SMTP_SINK = '/usr/sbin/smtp-sink'


class SmtpSink:
    """One smtp-sink on 127.0.0.1 dumping each transaction to a file in its own
    directory. As root it runs as nobody (smtp-sink insists on -u)."""

    def __init__(self, *args):
        self.tmp = tempfile.TemporaryDirectory(prefix='smtpwire-sink-')
        self.dump_dir = os.path.join(self.tmp.name, 'dump')
        os.mkdir(self.dump_dir)
        user = []
        if os.geteuid() == 0:
            nobody = pwd.getpwnam('nobody')
            os.chmod(self.tmp.name, 0o711)
            os.chown(self.dump_dir, nobody.pw_uid, nobody.pw_gid)
            user = ['-u', 'nobody']
        self.port = free_port()
        self.proc = subprocess.Popen(
            [SMTP_SINK, *user, '-h', 'sink.test', '-d', self.dump_dir + '/msg.', *args,
             '127.0.0.1:%d' % self.port, '10'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not wait_until(self._accepting):
            self.close()
            raise AssertionError('smtp-sink did not start listening')

    def _accepting(self):
        if self.proc.poll() is not None:
            raise AssertionError('smtp-sink exited: %r' % self.proc.stderr.read())
        try:
            socket.create_connection(('127.0.0.1', self.port), timeout=STEP_TIMEOUT).close()
            return True
        except OSError:
            time.sleep(0.05)
            return False

    def dumps(self):
        """The dump files' contents, in any order."""
        out = []
        for name in os.listdir(self.dump_dir):
            with open(os.path.join(self.dump_dir, name), 'rb') as f:
                out.append(f.read())
        return out

    def close(self):
        try:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(STEP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc.stderr.close()
        finally:
            self.tmp.cleanup()


def split_dump(dump):
    """(smtp-sink's X- header lines, the message) from one dump file."""
    lines = dump.split(b'\n')
    received = next(i for i, line in enumerate(lines) if line.startswith(b'Received: '))
    return lines[:received], b'\n'.join(lines[received + 3:])


def as_dumped(message):
    """What smtp-sink writes for `message`: its lines with LF line ends, then an empty
    line."""
    return wire_form(message).replace(b'\r\n', b'\n') + b'\n'


class SendToSmtpSinkTest(SendTestCase):

    def the_dump(self, sink):
        dumps = wait_until(sink.dumps)
        self.assertEqual(len(dumps), 1, dumps)
        # The dump is complete once it holds the empty line after the message.
        wait_until(lambda: sink.dumps()[0].endswith(b'\n\n'))
        return split_dump(sink.dumps()[0])

    def test_message_bytes_in_the_dump(self):
        sink = self.start(SmtpSink)
        data = ('Subject: sink\nX-Test: 1\n\n.leading dot\n.\n..\nGrüße\r\nbare\rCR\n'
                '\nlast line without a newline').encode()
        path = self.message_file(sink.tmp.name, data)
        result = self.send(sink.port, '--from', 'sender@example.org', '--to', 'one@example.com',
                           '--to', 'two@example.com', '--message', path)
        self.assert_result(result, 0, ['one@example.com 250 2.0.0 Ok',
                                       'two@example.com 250 2.0.0 Ok'])
        headers, message = self.the_dump(sink)
        self.assertEqual(message, as_dumped(data))
        # No SIZE offered, so none sent; the 8-bit content is declared.
        self.assertEqual(headers[2:], [b'X-Helo-Args: client.test',
                                       b'X-Mail-Args: <sender@example.org> BODY=8BITMIME',
                                       b'X-Rcpt-Args: <one@example.com>',
                                       b'X-Rcpt-Args: <two@example.com>'])

    def test_composed_message_with_cc_and_bcc(self):
        sink = self.start(SmtpSink)
        result = self.send(sink.port, '--from', 'sender@example.org', '--bcc', 'hidden@example.net',
                           '--to', 'one@example.com', '--cc', 'copy@example.net',
                           '--subject', 'composed', stdin=b'line one\n.line two\n')
        self.assertEqual(result.status, 0, result)
        headers, message = self.the_dump(sink)
        self.assertEqual(headers[-3:], [b'X-Rcpt-Args: <hidden@example.net>',
                                        b'X-Rcpt-Args: <one@example.com>',
                                        b'X-Rcpt-Args: <copy@example.net>'])
        self.assertIn(b'\nTo: one@example.com\nCc: copy@example.net\nSubject: composed\n',
                      message)
        self.assertNotIn(b'hidden', message)
        self.assertTrue(message.endswith(b'\n\nline one\n.line two\n\n'), message)

    def test_recipients_or_content_refused(self):
        # -r and -f make smtp-sink answer a command with 4xx or 5xx (and turn PIPELINING
        # off). Refused recipients: no content, RSET. Refused content: the reply to the
        # final "." decides for both accepted recipients.
        for command in ('RCPT', '.'):
            for flag, status, reply in [
                ('-r', EX_TEMPFAIL, '450 4.3.0 Error: command failed'),
                ('-f', EX_UNAVAILABLE, '500 5.3.0 Error: command failed'),
            ]:
                with self.subTest(command=command, flag=flag):
                    sink = self.start(SmtpSink, flag, command)
                    result = self.send(sink.port, '-v', '--from', 'a@example.org',
                                       '--to', 'b@example.org', '--cc', 'c@example.org',
                                       stdin=b'Subject: x\n\nbody\n')
                    self.assert_result(result, status, ['b@example.org ' + reply,
                                                        'c@example.org ' + reply])
                    log = result.stderr.splitlines()
                    self.assertEqual('C: DATA' in log, command == '.', log)
                    self.assertEqual('C: RSET' in log, command == 'RCPT', log)

    def test_421_at_data(self):
        sink = self.start(SmtpSink, '-Q', 'DATA')
        result = self.send(sink.port, '--from', 'a@example.org', '--to', 'b@example.org',
                           stdin=b'Subject: x\n\nbody\n')
        self.assert_result(result, EX_TEMPFAIL,
                           ['b@example.org 421 4.0.0 Server closing connection'])
        # smtp-sink may leave an empty dump file behind when it hangs up at DATA,
        # depending on timing; no message content may be in any dump.
        self.assertEqual([dump for dump in sink.dumps() if dump], [])

    def test_8bit_message_without_8bitmime(self):
        sink = self.start(SmtpSink, '-8')
        result = self.send(sink.port, '--from', 'a@example.org', '--to', 'b@example.org',
                           stdin='Subject: x\n\nGrüße\n'.encode())
        self.assert_result(result, EX_UNAVAILABLE, [])
        self.assertEqual(result.stderr, 'smtpwire-send: the message has 8-bit content and the '
                                        'server does not offer 8BITMIME\n')
        self.assertEqual(sink.dumps(), [])

    def test_utf8_address_without_smtputf8(self):
        sink = self.start(SmtpSink)
        result = self.send(sink.port, '--from', 'a@example.org', '--to', 'jörg@example.org',
                           stdin=b'Subject: x\n\nbody\n')
        self.assert_result(result, EX_UNAVAILABLE, [])
        self.assertEqual(result.stderr, 'smtpwire-send: an address is not ASCII and the server '
                                        'does not offer SMTPUTF8\n')


if __name__ == '__main__':
    skip_unless(shutil.which(SMTP_SINK) is not None, 'smtp-sink (package postfix)')
    main()
