"""LMTP (RFC 2033) end to end: Postfix's lmtp(8) delivery agent, Python's smtplib.LMTP,
swaks --protocol LMTP and a raw client pipelining BDAT chunks (RFC 3030) into
smtpwire-serve --lmtp, and smtpwire-send --lmtp into aiosmtpd's LMTP server. After the
data (the final dot, or BDAT LAST) every recipient accepted at RCPT gets its own reply,
in RCPT order; serve's --reject-delivery and --defer-delivery refuse chosen recipients
there, and only the others are in the stored envelope.

Every peer runs on 127.0.0.1, started and stopped by the test; the Postfix is a private
instance under a temporary directory (see test_send_postfix.py) whose only route is a
transport map sending the test domain over lmtp to the serve under test (any other
domain resolves to error(8) and is refused at RCPT). Skips (exit status 77) when a peer is missing, unless
SMTPWIRE_REQUIRE_INTEROP=1.
Run: python3 test_lmtp.py --send PATH-TO-smtpwire-send --serve PATH-TO-smtpwire-serve
"""

import os
import re
import shutil
import smtplib
import subprocess
import tempfile
import unittest

import send_harness
import serve_harness
from serve_harness import STEP_TIMEOUT, RawClient, ServeProcess, wait_until

SWAKS = shutil.which('swaks')

MESSAGE = b'Subject: lmtp\r\n\r\nbody\r\n'


class ServeLmtpTest(unittest.TestCase):
    """Clients speaking LMTP to smtpwire-serve --lmtp."""

    def setUp(self):
        self.serve = ServeProcess('--lmtp', '--reject-delivery', 'refused@*',
                                  '--defer-delivery', 'later@*', '--reject-rcpt', 'nobody@*')
        self.addCleanup(self.serve.close)

    def test_helo_and_ehlo_are_not_lmtp(self):
        c = RawClient(self.serve.port)
        self.addCleanup(c.close)
        c.expect(220, b'mx.test LMTP')
        c.command(b'HELO client.test', 500)
        c.command(b'EHLO client.test', 500)
        lines = c.command(b'LHLO client.test', 250)
        self.assertIn(b'PIPELINING', lines)
        self.assertIn(b'ENHANCEDSTATUSCODES', lines)
        c.command(b'QUIT', 221)

    def test_bdat_chunks_pipelined_then_one_reply_per_recipient(self):
        c = RawClient(self.serve.port)
        self.addCleanup(c.close)
        c.expect(220, b'mx.test LMTP')
        lines = c.command(b'LHLO client.test', 250)
        for keyword in (b'CHUNKING', b'DSN', b'PIPELINING', b'ENHANCEDSTATUSCODES'):
            self.assertIn(keyword, lines)
        # BDAT content is taken as it is (RFC 3030): no dot-stuffing, a line of a lone
        # dot does not end it, and a bare LF is kept. The cuts fall between CR and LF,
        # after a lone dot, and after the bare LF.
        content = (b'Subject: bdat over lmtp\r\n'
                   b'\r\n'
                   b'.a line starting with a dot\r\n'
                   b'..two dots\r\n'
                   b'.\r\n'
                   b'a bare LF\nin the middle\r\n'
                   b'last line\r\n')
        cuts = [content.index(b'\r\n.a') + 1, content.index(b'\r\n.\r\n') + 3,
                content.index(b'LF\n') + 3]
        chunks = [content[i:j] for i, j in zip([0] + cuts, cuts + [len(content)])]
        self.assertEqual(b''.join(chunks), content)
        # The whole transaction in one write: a recipient refused at RCPT (nobody@) gets
        # no reply after the data; a@ is answered after LAST before later@, although
        # serve answers later@ (450 after the data) first.
        batch = (b'MAIL FROM:<sender@client.test>\r\n'
                 b'RCPT TO:<a@mx.test>\r\n'
                 b'RCPT TO:<nobody@mx.test>\r\n'
                 b'RCPT TO:<later@mx.test>\r\n')
        for i, chunk in enumerate(chunks):
            last = b' LAST' if i == len(chunks) - 1 else b''
            batch += b'BDAT %d%s\r\n' % (len(chunk), last) + chunk
        c.send(batch)
        c.expect(250, b'2.1.0')  # MAIL
        c.expect(250, b'2.1.5')  # a@
        c.expect(550, b'5.1.1')  # nobody@
        c.expect(250, b'2.1.5')  # later@
        received = 0
        for chunk in chunks[:-1]:
            received += len(chunk)
            self.assertEqual(c.expect(250), [b'2.0.0 OK: %d' % received])
        delivered = c.expect(250, b'2.0.0 OK: queued as ')
        c.expect(450, b'4.2.1 Delivery deferred')
        c.assert_silent()
        c.command(b'QUIT', 221)
        [(env, stored)] = self.serve.messages()
        self.assertEqual(stored, content)
        self.assertEqual(delivered[-1], b'2.0.0 OK: queued as ' + env['id'].encode())
        self.assertEqual(env['helo'], 'client.test')
        self.assertEqual(env['helo_verb'], 'LHLO')
        self.assertEqual(env['mail_from'], 'sender@client.test')
        self.assertEqual(env['rcpt_to'], ['a@mx.test'])
        self.assertEqual(env['recipients'],
                         [{'mailbox': 'a@mx.test', 'parameters': {'notify': None, 'orcpt': None}}])
        self.assertEqual(env['size'], len(content))

    def test_smtplib_lmtp_reads_one_reply_per_recipient(self):
        s = smtplib.LMTP('127.0.0.1', self.serve.port, timeout=STEP_TIMEOUT)
        self.addCleanup(s.close)
        self.assertEqual(s.ehlo('client.test')[0], 250)  # LMTP.ehlo() sends LHLO
        self.assertEqual(s.mail('sender@client.test')[0], 250)
        for rcpt in ('a@mx.test', 'refused@mx.test', 'later@mx.test', 'b@mx.test'):
            self.assertEqual(s.rcpt(rcpt)[0], 250)
        # smtplib.LMTP.data() reads the first reply; the others follow in RCPT order.
        first = s.data(MESSAGE)
        replies = [first] + [s.getreply() for _ in range(3)]
        self.assertEqual([code for code, _ in replies], [250, 550, 450, 250])
        self.assertTrue(replies[0][1].startswith(b'2.0.0 OK: queued as '))
        self.assertEqual(replies[1][1], b'5.2.1 Delivery refused')
        self.assertEqual(replies[2][1], b'4.2.1 Delivery deferred')
        self.assertEqual(s.quit()[0], 221)
        [(env, content)] = self.serve.messages()
        self.assertEqual(env['rcpt_to'], ['a@mx.test', 'b@mx.test'])
        self.assertEqual(env['helo_verb'], 'LHLO')
        self.assertEqual(content, MESSAGE)

    def test_smtplib_lmtp_one_recipient(self):
        with smtplib.LMTP('127.0.0.1', self.serve.port, timeout=STEP_TIMEOUT) as s:
            self.assertEqual(s.sendmail('sender@client.test', ['only@mx.test'], MESSAGE), {})
        [(env, _)] = self.serve.messages()
        self.assertEqual(env['rcpt_to'], ['only@mx.test'])

    def test_swaks_protocol_lmtp(self):
        if SWAKS is None:
            if os.environ.get('SMTPWIRE_REQUIRE_INTEROP') == '1':
                self.fail('swaks is not installed and SMTPWIRE_REQUIRE_INTEROP=1')
            self.skipTest('swaks is not installed')
        run = subprocess.run(
            [SWAKS, '--server', '127.0.0.1', '--port', str(self.serve.port),
             '--protocol', 'LMTP', '--from', 'sender@client.test',
             '--to', 'a@mx.test,refused@mx.test', '--helo', 'client.test',
             '--header', 'Subject: swaks', '--body', 'hello'],
            capture_output=True, timeout=STEP_TIMEOUT * 3)
        out = run.stdout.decode('utf-8', 'replace')
        self.assertIn('-> LHLO client.test', out)
        self.assertIn('<-  250 2.0.0 OK: queued as', out)
        self.assertIn('<** 550 5.2.1 Delivery refused', out)
        [(env, _)] = self.serve.messages()
        self.assertEqual(env['rcpt_to'], ['a@mx.test'])


class PostfixLmtpTest(unittest.TestCase):
    """Postfix's lmtp(8) delivering into smtpwire-serve --lmtp."""

    def test_postfix_delivers_per_recipient(self):
        from test_send_postfix import PostfixInstance, postfix_available
        send_harness.skip_unless(postfix_available() and os.geteuid() == 0,
                                 'Postfix run as root')
        serve = ServeProcess('-v', '--lmtp', '--defer-delivery', 'later@*', '--reject-delivery', 'refused@*')
        self.addCleanup(serve.close)
        tmp = tempfile.TemporaryDirectory(prefix='smtpwire-lmtp-')
        self.addCleanup(tmp.cleanup)
        os.chmod(tmp.name, 0o755)  # Postfix's daemons run as mail_owner
        cert, key = send_harness.make_certificate(tmp.name, 'postfix.test', 'DNS:postfix.test')
        # The only route to serve is the transport map's entry for mx.test: every other
        # destination resolves to error(8), which smtpd refuses at RCPT.
        transport = os.path.join(tmp.name, 'transport')
        with open(transport, 'w', encoding='ascii') as f:
            f.write('mx.test lmtp:inet:127.0.0.1:%d\n' % serve.port)
        postfix = PostfixInstance(
            cert, key,
            main_cf='smtpd_recipient_restrictions = permit_mynetworks, reject\n'
                    'transport_maps = texthash:%s\n'
                    'default_transport = error:no route but the transport map\n'
                    'bounce_queue_lifetime = 0\n'
                    'notify_classes =\n' % transport,
            master_cf='lmtp      unix  - - n - - lmtp\n'
                      'error     unix  - - n - - error\n')
        self.addCleanup(postfix.close)
        routed = ('a@mx.test', 'later@mx.test', 'refused@mx.test', 'b@mx.test')
        with smtplib.SMTP('127.0.0.1', postfix.port, timeout=STEP_TIMEOUT) as s:
            refused = s.sendmail('<>', ['a@mx.test', 'later@mx.test', 'nobody@elsewhere.test',
                                        'refused@mx.test', 'b@mx.test'], MESSAGE)
        self.assertEqual(refused, {'nobody@elsewhere.test': (
            550, b'5.1.1 <nobody@elsewhere.test>: Recipient address rejected: '
                 b'no route but the transport map')})

        def delivery_lines():
            """Each recipient's delivery line in the maillog, once all four are there."""
            lines = {}
            for line in postfix.maillog().splitlines():
                m = re.search(r' to=<([^>]*)>, .*relay=.* status=', line)
                if m and m.group(1) not in lines:
                    lines[m.group(1)] = line
            return lines if len(lines) == len(routed) else None
        lines = wait_until(delivery_lines, STEP_TIMEOUT * 3)
        self.assertTrue(lines, postfix.maillog())
        self.assertEqual(sorted(lines), sorted(routed))
        # Each delivered through the map's next hop.
        for r in routed:
            self.assertIn(' relay=127.0.0.1[127.0.0.1]:%d,' % serve.port, lines[r])
        self.assertIn('status=sent (250 2.0.0 OK: queued as', lines['a@mx.test'])
        self.assertIn('status=sent (250 2.0.0 OK: queued as', lines['b@mx.test'])
        self.assertIn('status=deferred (host 127.0.0.1[127.0.0.1] said: 450 4.2.1 Delivery deferred',
                      lines['later@mx.test'])
        self.assertIn('status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.2.1 Delivery refused',
                      lines['refused@mx.test'])
        # One transaction for the four (Postfix's lmtp(8) sends DATA, and ORCPT as
        # DSN is offered), answered per recipient after the data.
        self.assertIn('data_begin 4 recipients\n', serve.stderr())
        self.assertIn('delivered to 2 of 4', serve.stderr())
        [(env, content)] = serve.messages()
        self.assertEqual(sorted(env['rcpt_to']), ['a@mx.test', 'b@mx.test'])
        self.assertEqual(env['helo_verb'], 'LHLO')
        self.assertTrue(content.endswith(b'\r\n\r\nbody\r\n'), content)


class SendLmtpTest(send_harness.SendTestCase):
    """smtpwire-send --lmtp into aiosmtpd's LMTP server, and with BDAT into serve --lmtp."""

    def test_send_lmtp_bdat_into_serve(self):
        serve = ServeProcess('--lmtp', '--reject-delivery', 'refused@*', '--defer-delivery', 'later@*')
        self.addCleanup(serve.close)
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        # Several chunks; BDAT content goes as it is, so a leading dot stays single.
        data = (b'Subject: chunks over lmtp\r\n\r\n.leading dot\r\n' +
                b''.join(b'line %05d of the body\r\n' % i for i in range(4000)))
        result = self.send(serve.port, '-v', '--lmtp', '--bdat', 'always', '--from', 'sender@client.test',
                           '--to', 'a@mx.test', '--to', 'refused@mx.test', '--to', 'later@mx.test',
                           '--to', 'b@mx.test', '--message', self.message_file(tmp.name, data))
        [(env, stored)] = serve.messages()
        queued = '250 2.0.0 OK: queued as ' + env['id']
        # A deferred recipient makes the run's status temporary (EX_TEMPFAIL).
        self.assert_result(result, send_harness.EX_TEMPFAIL,
                           ['a@mx.test ' + queued,
                            'refused@mx.test 550 5.2.1 Delivery refused',
                            'later@mx.test 450 4.2.1 Delivery deferred',
                            'b@mx.test ' + queued])
        self.assertEqual(stored, data)
        self.assertEqual(env['helo_verb'], 'LHLO')
        self.assertEqual(env['rcpt_to'], ['a@mx.test', 'b@mx.test'])
        # The trace shows each chunk's BDAT line where it falls among the content.
        chunks = re.findall(r'BDAT (\d+)( LAST)?', result.stderr)
        self.assertGreater(len(chunks), 1, result.stderr[:2000])
        self.assertEqual(sum(int(size) for size, _ in chunks), len(data))
        self.assertEqual([last for _, last in chunks], [''] * (len(chunks) - 1) + [' LAST'])

    def test_send_lmtp_into_aiosmtpd(self):
        from test_send_aiosmtpd import PYTHON, AiosmtpdSink
        send_harness.skip_unless(PYTHON is not None, 'aiosmtpd')
        sink = AiosmtpdSink('--lmtp', '--refuse-delivery', 'refused@aiosmtpd.test')
        self.addCleanup(sink.close)
        data = b'Subject: to aiosmtpd\n\nbody\n'
        result = self.send(sink.port, '--lmtp', '--from', 'sender@client.test',
                           '--to', 'a@aiosmtpd.test', '--to', 'refused@aiosmtpd.test',
                           '--to', 'b@aiosmtpd.test', '--message', self.message_file(sink.tmp.name, data))
        self.assert_result(result, send_harness.EX_UNAVAILABLE,
                           ['a@aiosmtpd.test 250 2.0.0 stored as 1',
                            'refused@aiosmtpd.test 550 5.2.1 Delivery refused',
                            'b@aiosmtpd.test 250 2.0.0 stored as 1'])
        [(env, content)] = sink.messages()
        self.assertEqual(env['helo'], 'client.test')
        self.assertEqual(env['rcpt_to'], ['a@aiosmtpd.test', 'refused@aiosmtpd.test', 'b@aiosmtpd.test'])
        self.assertEqual(content, data.replace(b'\n', b'\r\n'))


if __name__ == '__main__':
    send_harness.main()
