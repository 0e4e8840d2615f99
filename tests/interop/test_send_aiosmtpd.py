"""smtpwire-send against aiosmtpd: message bytes, UTF-8 addresses (RFC 6531), 8BITMIME
and SIZE parameters, a rejected recipient, and a server without PIPELINING.

Skips (exit status 77) when no Python with aiosmtpd is found (Debian package
python3-aiosmtpd, for /usr/bin/python3), unless SMTPWIRE_REQUIRE_INTEROP=1.
Run: python3 test_send_aiosmtpd.py --send PATH-TO-smtpwire-send
"""

import json
import os
import re
import selectors
import shutil
import subprocess
import sys
import tempfile

from send_harness import EX_UNAVAILABLE, STEP_TIMEOUT, SendTestCase, main, skip_unless, wire_form

SINK_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'aiosmtpd_sink.py')


def find_aiosmtpd_python():
    """The first of this Python, Debian's and the python3 on PATH that imports aiosmtpd."""
    for candidate in (sys.executable, '/usr/bin/python3', shutil.which('python3')):
        if candidate and os.path.exists(candidate) and subprocess.run(
                [candidate, '-c', 'import aiosmtpd'], capture_output=True).returncode == 0:
            return candidate
    return None


PYTHON = find_aiosmtpd_python()


class AiosmtpdSink:
    """aiosmtpd_sink.py running on 127.0.0.1 with its own message directory."""

    def __init__(self, *args):
        self.tmp = tempfile.TemporaryDirectory(prefix='smtpwire-aiosmtpd-')
        self.proc = subprocess.Popen([PYTHON, '-B', SINK_SCRIPT, self.tmp.name, *args],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            ready = sel.select(STEP_TIMEOUT)
        line = self.proc.stdout.readline() if ready else b''
        m = re.fullmatch(rb'listening on 127\.0\.0\.1:(\d+)\n', line)
        if not m:
            self.close()
            raise AssertionError('aiosmtpd_sink.py did not start: %r' % line)
        self.port = int(m.group(1))

    def messages(self):
        """The stored messages as (envelope dict, content bytes), in arrival order."""
        out = []
        count = len([n for n in os.listdir(self.tmp.name) if n.endswith('.json')])
        for n in range(1, count + 1):
            stem = os.path.join(self.tmp.name, str(n))
            with open(stem + '.json', encoding='utf-8') as f, open(stem + '.eml', 'rb') as g:
                out.append((json.load(f), g.read()))
        return out

    def close(self):
        try:
            if self.proc.poll() is None:
                self.proc.terminate()
            _, err = self.proc.communicate(timeout=STEP_TIMEOUT)
            if self.proc.returncode != 0:
                raise AssertionError('aiosmtpd_sink.py exited with %d: %s'
                                     % (self.proc.returncode, err.decode('utf-8', 'replace')))
        finally:
            self.tmp.cleanup()


class SendToAiosmtpdTest(SendTestCase):

    def test_utf8_addresses(self):
        sink = self.start(AiosmtpdSink)
        data = 'Subject: UTF-8\nFrom: jörg@bücher.example\n\n.Grüße\n\rCR\n.'.encode()
        path = self.message_file(sink.tmp.name, data)
        result = self.send(sink.port, '-v', '--from', 'jörg@bücher.example',
                           '--to', 'ascii@example.com', '--to', '用户@例子.广告',
                           '--message', path)
        self.assert_result(result, 0, ['ascii@example.com 250 2.0.0 stored as 1',
                                       '用户@例子.广告 250 2.0.0 stored as 1'])
        [(env, content)] = sink.messages()
        self.assertEqual(content, wire_form(data))
        self.assertEqual(env, {'helo': 'client.test', 'mail_from': 'jörg@bücher.example',
                               'mail_options': ['SIZE=%d' % len(content), 'BODY=8BITMIME',
                                                'SMTPUTF8'],
                               'rcpt_to': ['ascii@example.com', '用户@例子.广告'],
                               'smtputf8': True, 'tls': False, 'authenticated': False})
        # aiosmtpd offers no PIPELINING: each command waited for its reply.
        log = result.stderr.splitlines()
        mail = log.index('C: MAIL FROM:<jörg@bücher.example> SIZE=%d BODY=8BITMIME SMTPUTF8'
                         % len(content))
        self.assertEqual(log[mail:mail + 7], [
            log[mail], 'S: 250 OK', 'C: RCPT TO:<ascii@example.com>', 'S: 250 2.1.5 OK',
            'C: RCPT TO:<用户@例子.广告>', 'S: 250 2.1.5 OK', 'C: DATA'])

    def test_ascii_message_declares_nothing_extra(self):
        sink = self.start(AiosmtpdSink)
        data = b'Subject: plain\r\n\r\n..two dots\r\n.\r\n'
        result = self.send(sink.port, '--from', 'a@example.org', '--to', 'b@example.org',
                           stdin=data)
        self.assertEqual(result.status, 0, result)
        [(env, content)] = sink.messages()
        self.assertEqual(content, data)
        self.assertEqual(env['mail_options'], ['SIZE=%d' % len(data)])
        self.assertFalse(env['smtputf8'])

    def test_rejected_recipient(self):
        sink = self.start(AiosmtpdSink, '--reject-rcpt', 'bad@example.org')
        data = b'Subject: partly\n\nbody\n'
        result = self.send(sink.port, '--from', 'a@example.org', '--to', 'bad@example.org',
                           '--to', 'good@example.org', stdin=data)
        self.assert_result(result, EX_UNAVAILABLE, [
            'bad@example.org 550 5.1.1 Recipient rejected',
            'good@example.org 250 2.0.0 stored as 1'])
        [(env, content)] = sink.messages()
        self.assertEqual(env['rcpt_to'], ['good@example.org'])
        self.assertEqual(content, wire_form(data))


if __name__ == '__main__':
    skip_unless(PYTHON is not None, 'aiosmtpd (package python3-aiosmtpd)')
    main()
