"""smtpwire-send against smtpwire-serve: messages as given and composed, per-recipient
results and exit statuses, SIZE and 8BITMIME (RFC 5321, 1870, 2920, 6152), DSN requests
(RFC 3461), BDAT (RFC 3030).

Run: python3 test_send_serve.py --send PATH-TO-smtpwire-send --serve PATH-TO-smtpwire-serve
"""

import email
import email.policy
import re
import time

from send_harness import EX_TEMPFAIL, EX_UNAVAILABLE, SendTestCase, main, wire_form
from serve_harness import ServeTestCase


def queued(env):
    """smtpwire-serve's reply to the end of the data for the stored message `env`."""
    return '250 2.0.0 OK: queued as ' + env['id']


class SendToServeTest(ServeTestCase, SendTestCase):

    def test_message_file_arrives_byte_for_byte(self):
        server = self.serve()
        data = (b'Subject: file\nX-Test: 1\n\n.leading dot\n.\n..\nbare\rCR\r\n'
                b'CRLF line\r\n\r\nlast line without a newline')
        path = self.message_file(server.tmp.name, data)
        result = self.send(server.port, '--from', 'sender@example.org', '--to', 'one@example.com',
                           '--to', 'two@example.com', '--message', path)
        [(env, content)] = server.messages()
        self.assert_result(result, 0, ['one@example.com ' + queued(env),
                                       'two@example.com ' + queued(env)])
        self.assertEqual(content, wire_form(data))
        self.assert_envelope(env, 'sender@example.org', ['one@example.com', 'two@example.com'],
                             len(content))
        # SIZE declared the size the server counted (RFC 1870 §3); no BODY for 7-bit data.
        self.assertEqual(env['parameters'], {'raw': 'SIZE=%d' % len(content),
                                             'size': len(content), 'body': None,
                                             'smtputf8': False, 'ret': None, 'envid': None})
        self.assertEqual(result.stderr, '')

    def test_message_on_stdin_with_8bit_content(self):
        server = self.serve()
        data = 'Subject: stdin\n\nGrüße\n.\n'.encode()
        result = self.send(server.port, '--from', '', '--to', 'one@example.com', stdin=data)
        [(env, content)] = server.messages()
        self.assert_result(result, 0, ['one@example.com ' + queued(env)])
        self.assertEqual(content, wire_form(data))
        self.assertEqual(env['mail_from'], '')
        self.assertEqual(env['parameters']['raw'], 'SIZE=%d BODY=8BITMIME' % len(content))

    def test_composed_message_keeps_bcc_out_of_the_headers(self):
        server = self.serve()
        before = time.time()
        result = self.send(server.port, '--from', 'sender@example.org',
                           '--to', 'one@example.com', '--cc', 'copy@example.net',
                           '--bcc', 'hidden@example.net', '--to', 'two@example.com',
                           '--subject', 'Grüße aus Köln',
                           stdin='Hallo\n.dot line\nÄ\n'.encode())
        [(env, content)] = server.messages()
        self.assert_result(result, 0, [
            'one@example.com ' + queued(env), 'copy@example.net ' + queued(env),
            'hidden@example.net ' + queued(env), 'two@example.com ' + queued(env)])
        # The envelope has every recipient in command-line order, Bcc included.
        self.assertEqual(env['rcpt_to'], ['one@example.com', 'copy@example.net',
                                          'hidden@example.net', 'two@example.com'])
        self.assertNotIn(b'hidden', content)
        self.assertNotIn(b'\nBcc:', content)
        self.assertEqual(content, wire_form(content))
        self.assertEqual(env['size'], len(content))
        msg = email.message_from_bytes(content, policy=email.policy.default)
        self.assertEqual(msg['From'], 'sender@example.org')
        self.assertEqual(msg['To'], 'one@example.com, two@example.com')
        self.assertEqual(msg['Cc'], 'copy@example.net')
        self.assertEqual(msg['Subject'], 'Grüße aus Köln')
        self.assertRegex(msg['Message-ID'], r'^<[0-9a-f]{32}@client\.test>$')
        sent_at = msg['Date'].datetime.timestamp()
        # Whole seconds, and a virtual machine's clock may be stepped: allow a few.
        self.assertTrue(before - 5 <= sent_at <= time.time() + 5, (msg['Date'], before))
        # Non-ASCII text travels quoted-printable, so the message needs no 8BITMIME.
        self.assertEqual(msg['Content-Transfer-Encoding'], 'quoted-printable')
        self.assertIsNone(env['parameters']['body'])
        self.assertEqual(msg.get_content(), 'Hallo\r\n.dot line\r\nÄ\r\n')

    def test_two_composed_messages_have_distinct_ids(self):
        server = self.serve()
        for _ in range(2):
            self.send(server.port, '--from', 'a@example.org', '--to', 'b@example.org',
                      '--subject', 'id', stdin=b'text\n')
        ids = [re.search(rb'Message-ID: (<[^>]+>)', c).group(1) for _, c in server.messages()]
        self.assertEqual(len(ids), 2)
        self.assertNotEqual(ids[0], ids[1])

    def test_large_message_to_many_recipients(self):
        # More than the output buffer and the socket take at once: RCPTs and content
        # wait for room and go out in pieces.
        server = self.serve()
        lines = [('.' if i % 7 == 0 else '') + 'line %d %s' % (i, 'x' * (i % 90))
                 for i in range(20000)]
        data = ('Subject: large\n\n' + '\n'.join(lines) + '\n').encode()
        to = ['rcpt%d@example.com' % i for i in range(150)]
        args = ['--from', 'a@example.org']
        for address in to:
            args += ['--to', address]
        path = self.message_file(server.tmp.name, data)
        result = self.send(server.port, *args, '--message', path)
        [(env, content)] = server.messages()
        self.assert_result(result, 0, [a + ' ' + queued(env) for a in to])
        self.assertEqual(content, wire_form(data))
        self.assertEqual(env['rcpt_to'], to)

    def test_rejected_and_deferred_recipients(self):
        server = self.serve('--reject-rcpt', 'bad@*', '--defer-rcpt', 'later@*')
        data = b'Subject: some fail\n\nbody\n'
        rejected = '550 5.1.1 Recipient rejected'
        deferred = '450 4.2.1 Recipient deferred'
        # None: the line of the accepted recipient, the reply naming the stored message.
        for to, status, replies in [
            (['ok@example.com', 'bad@example.com'], EX_UNAVAILABLE, [None, rejected]),
            (['later@example.com', 'ok@example.com'], EX_TEMPFAIL, [deferred, None]),
            (['bad@example.com'], EX_UNAVAILABLE, [rejected]),
            # A transient failure makes the whole run transient.
            (['bad@example.com', 'later@example.com'], EX_TEMPFAIL, [rejected, deferred]),
        ]:
            with self.subTest(to=to):
                stored_before = len(server.messages())
                args = ['--from', 'sender@example.org']
                for address in to:
                    args += ['--to', address]
                result = self.send(server.port, *args, stdin=data)
                stored = server.messages()[stored_before:]
                self.assertEqual(len(stored), 1 if None in replies else 0)
                for env, content in stored:
                    self.assertEqual(env['rcpt_to'], ['ok@example.com'])
                    self.assertEqual(content, wire_form(data))
                    replies = [queued(env) if r is None else r for r in replies]
                self.assert_result(result, status,
                                   [a + ' ' + r for a, r in zip(to, replies)])

    def test_message_over_the_size_limit_is_not_sent(self):
        server = self.serve('--max-size', '100')
        data = b'Subject: big\n\n' + b'x' * 200 + b'\n'
        result = self.send(server.port, '--from', 'a@example.org', '--to', 'b@example.org',
                           stdin=data)
        self.assert_result(result, EX_UNAVAILABLE, [])
        self.assertEqual(result.stderr, 'smtpwire-send: the message (%d octets) is larger '
                                        "than the server's SIZE limit of 100 octets\n"
                                        % len(wire_form(data)))
        self.assertEqual(server.messages(), [])

    # Every DSN flag, with values xtext must encode: '+' and '=' in ENVID, '+' in the
    # ORCPT address.
    DSN_FLAGS = ['--ret', 'hdrs', '--envid', 'QQ+314=159', '--notify', 'delay,success',
                 '--orcpt', 'rfc822;list+tag@example.net']

    def test_dsn_requests_are_recorded_for_every_recipient(self):
        # Given raw, ENVID and the ORCPT address travel xtext-encoded and are stored
        # decoded; NOTIFY and ORCPT go with every recipient, Bcc included.
        server = self.serve()
        to = ['one@example.com', 'two@example.com', 'hidden@example.net']
        for flags, raw, ret, envid, notify, orcpt in [
                (self.DSN_FLAGS, ' RET=HDRS ENVID=QQ+2B314+3D159', 'HDRS', 'QQ+314=159',
                 'SUCCESS,DELAY', 'rfc822;list+tag@example.net'),
                (['--ret', 'FULL', '--envid', '<id@client.test>', '--notify', 'NEVER',
                  '--orcpt', 'rfc822;"first last"@example.net'],
                 ' RET=FULL ENVID=<id@client.test>', 'FULL', '<id@client.test>', 'NEVER',
                 'rfc822;"first last"@example.net'),
                (['--notify', 'failure'], '', None, None, 'FAILURE', None)]:
            with self.subTest(flags=flags):
                stored_before = len(server.messages())
                result = self.send(server.port, '--from', 'a@example.org', '--to', to[0],
                                   '--cc', to[1], '--bcc', to[2], *flags,
                                   stdin=b'Subject: dsn\n\nbody\n')
                [(env, content)] = server.messages()[stored_before:]
                self.assert_result(result, 0, [a + ' ' + queued(env) for a in to])
                self.assertEqual(env['parameters'], {
                    'raw': 'SIZE=%d%s' % (len(content), raw), 'size': len(content),
                    'body': None, 'smtputf8': False, 'ret': ret, 'envid': envid})
                self.assertEqual(env['recipients'], [
                    {'mailbox': a, 'parameters': {'notify': notify, 'orcpt': orcpt}} for a in to])

    def test_dsn_requests_are_left_out_without_dsn(self):
        # smtpwire-serve --no-dsn would refuse each DSN parameter with 555: none is sent,
        # and the message is delivered as without the flags.
        server = self.serve('--no-dsn')
        to = ['one@example.com', 'two@example.com']
        result = self.send(server.port, '--from', 'a@example.org', '--to', to[0], '--to', to[1],
                           *self.DSN_FLAGS, stdin=b'Subject: no dsn\n\nbody\n')
        [(env, content)] = server.messages()
        self.assert_result(result, 0, [a + ' ' + queued(env) for a in to])
        self.assert_envelope(env, 'a@example.org', to, len(content))
        self.assertEqual(env['parameters'], {'raw': 'SIZE=%d' % len(content),
                                             'size': len(content), 'body': None,
                                             'smtputf8': False, 'ret': None, 'envid': None})
        self.assertEqual(result.stderr, '')

    def test_verbose_logs_the_dialogue(self):
        server = self.serve()
        data = b'Subject: v\n\n.x\n'
        result = self.send(server.port, '-v', '--bdat', 'never', '--from', 'a@example.org',
                           '--to', 'b@example.org', stdin=data)
        self.assertEqual(result.status, 0, result)
        log = result.stderr.splitlines()
        self.assertEqual(log[:2], ['S: 220 mx.test ESMTP', 'C: EHLO client.test'])
        self.assertIn('C: MAIL FROM:<a@example.org> SIZE=%d' % len(wire_form(data)), log)
        self.assertIn('C: ..x', log)  # dot-stuffed on the wire
        self.assertEqual(log[-2:], ['C: QUIT', 'S: 221 2.0.0 mx.test Service closing '
                                               'transmission channel'])
        self.assertTrue(all(line[:3] in ('C: ', 'S: ') for line in log), log)

    def test_bdat_when_offered_stores_the_message_byte_for_byte(self):
        # smtpwire-serve offers CHUNKING: the message goes in BDAT chunks, neither
        # dot-stuffed nor ended by a dot, pipelined with MAIL and RCPT.
        server = self.serve('-v')
        data = (b'Subject: bdat\n\n.leading dot\n.\n..\nbare\rCR\r\n' +
                b'x' * 70000 + b'\nlast line without a newline')
        path = self.message_file(server.tmp.name, data)
        result = self.send(server.port, '-v', '--from', 'sender@example.org', '--to', 'one@example.com',
                           '--message', path)
        [(env, content)] = server.messages()
        self.assert_result(result, 0, ['one@example.com ' + queued(env)])
        self.assertEqual(content, wire_form(data))
        self.assert_envelope(env, 'sender@example.org', ['one@example.com'], len(content))
        log = result.stderr.splitlines()
        self.assertNotIn('C: DATA', log)
        self.assertIn('C: .leading dot', log)  # not dot-stuffed
        # A chunk's command follows the octets of the one before, mid-line or not.
        chunks = re.findall(r'BDAT (\d+)( LAST)?\n', result.stderr)
        self.assertGreater(len(chunks), 1, log)  # 70 KB in chunks of the output buffer's size
        self.assertEqual([last for _, last in chunks], [''] * (len(chunks) - 1) + [' LAST'])
        sizes = [int(size) for size, _ in chunks]
        self.assertEqual(sum(sizes), len(content))
        # The server answered each chunk with the octets it had so far (RFC 3030 §2).
        self.assertIn('S: 250 2.0.0 OK: %d' % sizes[0], log)
        self.assertIn('data_begin 1 recipients (BDAT)', server.stderr())

    def test_bdat_never_and_always(self):
        data = b'Subject: d\n\n.x\n'
        server = self.serve('-v')
        result = self.send(server.port, '-v', '--bdat', 'never', '--from', 'a@example.org',
                           '--to', 'b@example.org', stdin=data)
        self.assertEqual(result.status, 0, result)
        self.assertIn('C: DATA', result.stderr.splitlines())
        self.assertNotIn('C: BDAT', result.stderr)
        [(env, content)] = server.messages()
        self.assertEqual(content, wire_form(data))
        self.assertNotIn('(BDAT)', server.stderr())
        plain = self.serve('--no-chunking')
        result = self.send(plain.port, '--bdat', 'always', '--from', 'a@example.org',
                           '--to', 'b@example.org', stdin=data)
        self.assertEqual(result.status, EX_UNAVAILABLE, result)
        self.assertIn('--bdat always and the server does not offer CHUNKING', result.stderr)
        self.assertEqual(plain.messages(), [])


if __name__ == '__main__':
    main()
