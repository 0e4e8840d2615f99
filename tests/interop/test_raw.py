"""smtpwire-serve against hand-written bytes: what no well-behaved client sends.
RFC 5321 §2.3.8 (CRLF only), §4.1.1.4 (end of data), §4.5.3.1.4 (line length),
§4.5.3.2.7 (timeout), §4.4 (Received), Appendix C (source routes); RFC 2920
(pipelining); RFC 6531 §3.2 (UTF-8 needs SMTPUTF8), §3.7.3 (UTF8SMTP).

Run: python3 test_raw.py --serve PATH-TO-smtpwire-serve
"""

import datetime
import email
import email.utils
import re
import subprocess

import serve_harness
from serve_harness import STEP_TIMEOUT, ServeTestCase, main, wait_until


class RawTest(ServeTestCase):

    def start_data(self, client):
        client.greet()
        client.command(b'MAIL FROM:<a@example.org>', 250, b'2.1.0')
        client.command(b'RCPT TO:<b@example.com>', 250, b'2.1.5')
        client.command(b'DATA', 354)

    def test_unknown_command(self):
        server = self.serve()
        client = self.raw(server)
        client.greet()
        client.command(b'FOO bar', 500, b'5.5.1 ')
        client.command(b'NOOP', 250, b'2.0.0')

    def test_bare_lf_in_a_command_line(self):
        server = self.serve()
        client = self.raw(server)
        client.greet()
        # One line (only CRLF ends it): one error reply, and neither NOOP is run.
        client.send(b'NOOP\nNOOP\r\n')
        client.expect(500, b'5.5.2 ')
        client.assert_silent()
        client.send(b'RSET\rMAIL FROM:<a@example.org>\r\n')
        client.expect(500, b'5.5.2 ')
        client.assert_silent()
        client.send(b'NO\0OP\r\n')
        client.expect(500, b'5.5.2 ')
        client.command(b'RCPT TO:<b@example.com>', 503, b'5.5.1 ')
        client.command(b'NOOP', 250)

    def test_overlong_line_gets_one_reply(self):
        server = self.serve()
        client = self.raw(server)
        client.greet()
        client.send(b'MAIL FROM:<' + b'a' * 5000 + b'@example.org>\r\n')
        client.expect(500, b'5.5.2 ')
        client.assert_silent()
        # No piece of the long line was run: this MAIL is not a nested one.
        client.command(b'MAIL FROM:<a@example.org>', 250)
        client.command(b'RCPT TO:<b@example.com>', 250)

    def test_overlong_line_in_pieces(self):
        server = self.serve()
        client = self.raw(server)
        client.greet()
        for _ in range(10):
            client.send(b'X' * 1000)
        client.expect(500, b'5.5.2 ')
        client.send(b'Y' * 1000 + b'\r\n')
        client.assert_silent()
        client.command(b'NOOP', 250)

    def test_smuggled_end_of_data_is_not_the_end(self):
        server = self.serve()
        client = self.raw(server)
        self.start_data(client)
        client.send(b'Subject: smuggling\r\n\r\nbefore\r\n.\nRSET\r\n'
                    b'MAIL FROM:<evil@example.org>\r\nRCPT TO:<victim@example.com>\r\n'
                    b'DATA\r\nmiddle\n.\r\nNOOP\r\nafter\r\n')
        # Neither "\r\n.\n" nor "\n.\r\n" ended the data: nothing was answered.
        client.assert_silent()
        client.send(b'.\r\n')
        client.expect(550, b'5.5.2 ')
        client.assert_silent()
        self.assertEqual(server.messages(), [])
        self.assertEqual(server.temp_files(), [])
        client.command(b'NOOP', 250)
        client.command(b'RCPT TO:<b@example.com>', 503)

    def test_dot_stuffing_is_undone(self):
        server = self.serve()
        client = self.raw(server)
        self.start_data(client)
        client.send(b'..one\r\n...two\r\n.\r\n')
        client.expect(250, b'2.0.0 OK: queued as ')
        [(_, content)] = server.messages()
        self.assertEqual(content, b'.one\r\n..two\r\n')

    def test_end_of_data_split_across_writes(self):
        server = self.serve()
        client = self.raw(server)
        self.start_data(client)
        pieces = [b'line\r', b'\n', b'.', b'.x\r', b'\n.', b'\r', b'\n']
        for piece in pieces[:-1]:
            client.send(piece)
            client.assert_silent(0.05)
        client.send(pieces[-1])
        client.expect(250)
        [(_, content)] = server.messages()
        self.assertEqual(content, b'line\r\n.x\r\n')

    def test_utf8_address_needs_smtputf8(self):
        server = self.serve()
        client = self.raw(server)
        client.greet()
        client.command('MAIL FROM:<dörte@example.org>'.encode('utf-8'), 553, b'5.6.7 ')
        client.command('MAIL FROM:<dörte@example.org> SMTPUTF8'.encode('utf-8'), 250)
        client.command('RCPT TO:<用户@例子.广告>'.encode('utf-8'), 250)

    def test_bdat_chunks_stored_byte_for_byte(self):
        # RFC 3030 §2: chunks pipelined with the commands around them, in one write;
        # their octets are stored as sent: no dot-unstuffing, bare CR and LF kept, NUL
        # and 0xFF kept (BODY=BINARYMIME).
        server = self.serve()
        client = self.raw(server)
        client.greet()
        first = b'Subject: bdat\r\n\r\n..a dot\r\n.\r\n'
        second = b'bare\nLF \x00\xff\rend\r\n'
        client.send(b'MAIL FROM:<a@example.org> BODY=BINARYMIME\r\nRCPT TO:<b@example.com>\r\n'
                    b'BDAT %d\r\n' % len(first) + first +
                    b'BDAT %d LAST\r\n' % len(second) + second + b'NOOP\r\n')
        client.expect(250, b'2.1.0')
        client.expect(250, b'2.1.5')
        client.expect(250, b'2.0.0 OK: %d' % len(first))
        client.expect(250, b'2.0.0')
        client.expect(250, b'2.0.0 OK')
        [(env, content)] = server.messages()
        self.assertEqual(content, first + second)
        self.assertEqual(env['size'], len(first + second))
        self.assertEqual(env['parameters']['body'], 'BINARYMIME')

    def test_bdat_octets_are_never_commands(self):
        # A BDAT refused for its place (no MAIL) or for its end marker still consumes
        # its octets, and is answered after them: the QUIT inside is content.
        server = self.serve()
        client = self.raw(server)
        client.greet()
        client.send(b'BDAT 6\r\nQUIT\r\n')
        client.expect(503, b'5.5.1 ')
        client.command(b'MAIL FROM:<a@example.org>', 250)
        client.command(b'RCPT TO:<b@example.com>', 250)
        client.send(b'BDAT 6 FIRST\r\nRSET\r\n')
        client.expect(501, b'5.5.4 ')
        client.command(b'DATA', 354)
        client.send(b'via DATA\r\n.\r\n')
        client.expect(250, b'2.0.0')
        [(env, content)] = server.messages()
        self.assertEqual(content, b'via DATA\r\n')

    def test_no_chunking(self):
        server = self.serve('--no-chunking')
        client = self.raw(server)
        features = client.greet()
        self.assertNotIn(b'CHUNKING', features)
        client.command(b'BDAT 4 LAST', 502, b'5.5.1 ')

    def test_pipelined_replies_in_order(self):
        server = self.serve('--reject-rcpt', 'bad@*')
        client = self.raw(server)
        client.greet()
        client.send(b'MAIL FROM:<a@example.org> BODY=8BITMIME\r\n'
                    b'RCPT TO:<one@example.com>\r\nRCPT TO:<bad@example.com>\r\n'
                    b'RCPT TO:<two@example.com>\r\nDATA\r\n')
        client.expect(250, b'2.1.0')
        client.expect(250, b'2.1.5')
        client.expect(550, b'5.1.1 Recipient rejected')
        client.expect(250, b'2.1.5')
        client.expect(354)
        client.send(b'pipelined\r\n.\r\nNOOP\r\n')
        client.expect(250, b'2.0.0')
        client.expect(250)
        [(env, content)] = server.messages()
        self.assertEqual(content, b'pipelined\r\n')
        self.assertEqual(env['rcpt_to'], ['one@example.com', 'two@example.com'])
        self.assertEqual(env['parameters'],
                         {'raw': 'BODY=8BITMIME', 'size': None, 'body': '8BITMIME',
                          'smtputf8': False, 'ret': None, 'envid': None})

    def test_recipient_policy_matches_the_mailbox(self):
        # The globs see the mailbox: the local part's value (quotes and quoted-pairs
        # undone), '@', the domain; never the source route (RFC 5321 Appendix C).
        server = self.serve('--reject-rcpt', 'user@c.example', '--defer-rcpt', 'later@*',
                            '--reject-rcpt', '@*', '--reject-rcpt', 'a b@c.example')
        client = self.raw(server)
        client.greet()
        client.command(b'MAIL FROM:<a@example.org>', 250)
        for path in [b'<user@c.example>', b'<USER@C.Example>', b'<"user"@c.example>',
                     b'<"\\u\\s\\e\\r"@c.example>', b'<@x.example:user@c.example>',
                     b'<@x.example,@y.example:"user"@C.EXAMPLE>', b'<"a b"@c.example>',
                     b'<"a\\ b"@c.example>']:
            with self.subTest(path=path):
                client.command(b'RCPT TO:' + path, 550, b'5.1.1 Recipient rejected')
        for path in [b'<"later"@example.com>', b'<@x.example:later@example.com>']:
            with self.subTest(path=path):
                client.command(b'RCPT TO:' + path, 450, b'4.2.1 Recipient deferred')
        # Other mailboxes, whatever the route says.
        for path in [b'<"user "@c.example>', b'<user@c.example.org>', b'<@c.example:u@d.example>',
                     b'<"user@c.example"@d.example>']:
            with self.subTest(path=path):
                client.command(b'RCPT TO:' + path, 250, b'2.1.5')

    def test_envelope_holds_canonical_mailboxes(self):
        # Source routes dropped (RFC 5321 Appendix C); local parts written as a
        # Dot-string when they can be, else as a minimal Quoted-string.
        server = self.serve()
        client = self.raw(server)
        client.greet()
        client.command(b'MAIL FROM:<@relay.example:"sender"@example.org> BODY=7BIT', 250)
        for path in [b'<@x.example,@y.example:"us\\er"@C.Example>', b'<"a b"@c.example>',
                     b'<"a\\ b\\"c\\\\"@c.example>', b'<"x..y"@c.example>', b'<plain@c.example>',
                     b'<"first.last"@c.example>', b'<"@"@c.example>', b'<PostMaster>']:
            client.command(b'RCPT TO:' + path, 250)
        client.command(b'DATA', 354)
        client.send(b'x\r\n.\r\n')
        client.expect(250)
        [(env, _)] = server.messages()
        mailboxes = ['user@C.Example', '"a b"@c.example', '"a b\\"c\\\\"@c.example',
                     '"x..y"@c.example', 'plain@c.example', 'first.last@c.example',
                     '"@"@c.example', 'postmaster']
        self.assertEqual(env['mail_from'], 'sender@example.org')
        self.assertEqual(env['rcpt_to'], mailboxes)
        self.assertEqual(env['recipients'], [{'mailbox': m, 'parameters': {'notify': None, 'orcpt': None}} for m in mailboxes])
        self.assertEqual(env['parameters']['raw'], 'BODY=7BIT')
        self.assertEqual(env['peer'], '127.0.0.1:%d' % client.sock.getsockname()[1])
        self.assertEqual(env['helo'], 'client.test')
        self.assertEqual(env['helo_verb'], 'EHLO')

    def test_envelope_after_helo_and_with_utf8(self):
        server = self.serve()
        client = self.raw(server)
        client.expect(220)
        client.command(b'HELO [127.0.0.1]', 250)
        client.command(b'MAIL FROM:<>', 250)
        client.command(b'RCPT TO:<b@example.com>', 250)
        client.command(b'DATA', 354)
        client.send(b'x\r\n.\r\n')
        client.expect(250)
        client.command(b'EHLO client.test', 250)
        client.command('MAIL FROM:<"dörte"@example.org> SMTPUTF8'.encode(), 250)
        client.command('RCPT TO:<"用户 x"@例子.广告>'.encode(), 250)
        client.command(b'DATA', 354)
        client.send(b'y\r\n.\r\n')
        client.expect(250)
        [(first, _), (second, _)] = server.messages()
        self.assertEqual((first['helo'], first['helo_verb']), ('[127.0.0.1]', 'HELO'))
        self.assertEqual((first['mail_from'], first['rcpt_to']), ('', ['b@example.com']))
        self.assertEqual((second['helo'], second['helo_verb']), ('client.test', 'EHLO'))
        self.assertEqual(second['mail_from'], 'dörte@example.org')
        self.assertEqual(second['rcpt_to'], ['"用户 x"@例子.广告'])
        self.assertEqual(first['peer'], second['peer'])

    def send_message(self, client, mail_from, rcpts, content):
        client.command(b'MAIL FROM:' + mail_from, 250)
        for rcpt in rcpts:
            client.command(b'RCPT TO:' + rcpt, 250)
        client.command(b'DATA', 354)
        client.send(content + b'.\r\n')
        client.expect(250)

    def split_received(self, stored):
        """The stored message's leading Received field, unfolded, and the rest. Checks the
        field's lines: CRLF ends, continuation lines start with a space, 78 octets at most."""
        self.assertTrue(stored.startswith(b'Received: '), stored)
        end = re.search(rb'\r\n(?![ \t])', stored).end()
        field, rest = stored[:end], stored[end:]
        for line in field[:-2].split(b'\r\n'):
            self.assertLessEqual(len(line), 78, field)
            self.assertNotIn(b'\r', line)
            self.assertNotIn(b'\n', line)
        return re.sub(rb'\r\n(?=[ \t])', b'', field), rest

    def check_date(self, text):
        stamp = email.utils.parsedate_to_datetime(text.decode())
        self.assertIsNotNone(stamp.tzinfo)
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertLess(abs((now - stamp).total_seconds()), 120, text)

    def test_received_field_is_prepended(self):
        server = self.serve('--received')
        client = self.raw(server)
        client.greet()
        content = b'Subject: trace\r\n\r\n..body\r\nline two\r\n'
        self.send_message(client, b'<a@example.org>', [b'<@x.example:"user"@c.example>'], content)
        [(env, stored)] = server.messages()
        field, rest = self.split_received(stored)
        # The rest is byte for byte what arrived (dot-stuffing undone).
        self.assertEqual(rest, b'Subject: trace\r\n\r\n.body\r\nline two\r\n')
        self.assertEqual(env['size'], len(rest))
        # RFC 5321 §4.4: Stamp = From-domain By-domain Opt-info [CFWS] ";" FWS date-time
        m = re.fullmatch(rb'Received: from client\.test \(\[127\.0\.0\.1\]\) by mx\.test'
                         rb' with ESMTP id <([0-9.]+)@mx\.test> for <user@c\.example>;'
                         rb' ([^\r\n]+)\r\n', field)
        self.assertIsNotNone(m, field)
        self.assertEqual(m.group(1).decode(), env['id'])
        self.check_date(m.group(2))
        parsed = email.message_from_bytes(stored)
        self.assertEqual(parsed.keys(), ['Received', 'Subject'])
        self.assertEqual(parsed.get_payload(), '.body\r\nline two\r\n')

    def test_received_field_protocols_and_recipients(self):
        server = self.serve('--received')
        client = self.raw(server)
        client.expect(220)
        client.command(b'HELO [127.0.0.1]', 250)
        self.send_message(client, b'<>', [b'<one@example.com>', b'<two@example.com>'], b'1\r\n')
        client.command(b'EHLO client.test', 250)
        self.send_message(client, '<"dörte"@example.org> SMTPUTF8'.encode(),
                          ['<"用户 x"@例子.广告>'.encode()], b'2\r\n')
        self.send_message(client, b'<a@example.org>', [b'<Postmaster>'], b'3\r\n')
        # A UTF-8 HELO name cannot be written without SMTPUTF8: the address literal is.
        client.command('EHLO bücher.example'.encode(), 250)
        self.send_message(client, b'<a@example.org>', [b'<"a b"@example.com>'], b'4\r\n')
        self.send_message(client, b'<a@example.org> SMTPUTF8', [b'<b@example.com>'], b'5\r\n')
        fields = []
        for env, stored in server.messages():
            field, rest = self.split_received(stored)
            self.assertEqual(rest, str(len(fields) + 1).encode() + b'\r\n')
            self.assertIn(b' id <' + env['id'].encode() + b'@mx.test>', field)
            fields.append(re.sub(rb' id <[0-9.]+@mx\.test>', b'', field))
        # Several recipients, or <postmaster> (no Mailbox), give no "for" clause.
        self.assertRegex(fields[0], rb'^Received: from \[127\.0\.0\.1\] \(\[127\.0\.0\.1\]\)'
                                    rb' by mx\.test with SMTP; [^\r\n]+\r\n$')
        self.assertRegex(fields[1], '^Received: from client\\.test \\(\\[127\\.0\\.0\\.1\\]\\)'
                                    ' by mx\\.test with UTF8SMTP for <"用户 x"@例子\\.广告>;'
                                    ' [^\\r\\n]+\\r\\n$'.encode())
        self.assertRegex(fields[2], rb'^Received: from client\.test \(\[127\.0\.0\.1\]\)'
                                    rb' by mx\.test with ESMTP; [^\r\n]+\r\n$')
        self.assertRegex(fields[3], rb'^Received: from \[127\.0\.0\.1\] \(\[127\.0\.0\.1\]\)'
                                    rb' by mx\.test with ESMTP for <"a b"@example\.com>;'
                                    rb' [^\r\n]+\r\n$')
        self.assertRegex(fields[4], '^Received: from bücher\\.example \\(\\[127\\.0\\.0\\.1\\]\\)'
                                    ' by mx\\.test with UTF8SMTP for <b@example\\.com>;'
                                    ' [^\\r\\n]+\\r\\n$'.encode())
        self.assertEqual(len(fields), 5)

    def test_received_needs_a_domain_as_hostname(self):
        # An address literal may greet, but cannot be the Received field's By-domain.
        run = subprocess.run([serve_harness.SERVE, '--listen', '127.0.0.1:0', '--discard',
                              '--received', '--hostname', '[127.0.0.1]'],
                             stdin=subprocess.DEVNULL, capture_output=True, timeout=STEP_TIMEOUT)
        self.assertEqual(run.returncode, 1)
        self.assertEqual(run.stderr, b'smtpwire-serve: --received needs a host name that is a'
                                     b' domain (--hostname): [127.0.0.1]\n')

    def test_an_invalid_hostname_is_refused_at_start(self):
        run = subprocess.run([serve_harness.SERVE, '--listen', '127.0.0.1:0', '--discard',
                              '--hostname', 'not a domain'],
                             stdin=subprocess.DEVNULL, capture_output=True, timeout=STEP_TIMEOUT)
        self.assertEqual(run.returncode, 1)
        self.assertIn(b'cannot serve as "not a domain"', run.stderr)

    def test_connection_limit(self):
        server = self.serve('--max-connections', '2', '-v')
        one = self.raw(server)
        one.expect(220, b'mx.test')
        two = self.raw(server)
        two.expect(220, b'mx.test')
        # Beyond the limit: 421 at once and closed, without a session.
        for _ in range(3):
            extra = self.raw(server)
            extra.expect(421, b'4.7.0 mx.test Too many connections')
            extra.assert_closed()
            extra.close()
        # The sessions within the limit go on.
        one.command(b'EHLO client.test', 250)
        two.command(b'EHLO client.test', 250)
        one.command(b'QUIT', 221)
        one.assert_closed()
        one.close()

        # Once the server has closed the first, a new connection gets a session.
        def greeted():
            client = self.raw(server)
            return client if client.reply()[0] == 220 else None
        three = wait_until(greeted)
        self.assertIsNotNone(three)
        three.command(b'EHLO client.test', 250)
        two.command(b'NOOP', 250)
        # The refused connections never had a session: the new one is the third.
        log = server.stderr()
        self.assertIn('refused: too many connections', log)
        self.assertIn('conn 3: client_connected', log)
        self.assertNotIn('conn 4:', log)

    def test_connection_limit_of_one(self):
        server = self.serve('--max-connections', '1')
        one = self.raw(server)
        one.greet()
        extra = self.raw(server)
        extra.expect(421, b'4.7.0 mx.test Too many connections')
        extra.assert_closed()
        self.send_message(one, b'<a@example.org>', [b'<b@example.com>'], b'x\r\n')
        self.assertEqual(len(server.messages()), 1)

    def test_early_input_is_refused(self):
        server = self.serve()
        client = self.raw(server)
        client.expect(220)
        # EHLO must be answered before the client goes on (RFC 2920 §3.1). A reply to
        # EHLO carries no enhanced status code (RFC 2034 §3).
        client.send(b'EHLO client.test\r\nMAIL FROM:<a@example.org>\r\n')
        client.expect(554, b'Error: SMTP protocol synchronization')
        client.assert_closed()

    def test_early_input_after_noop_is_refused_with_a_status(self):
        server = self.serve()
        client = self.raw(server)
        client.greet()
        client.send(b'NOOP\r\nNOOP\r\n')
        client.expect(554, b'5.5.0 ')
        client.assert_closed()

    def test_too_many_recipients(self):
        server = self.serve('--max-recipients', '2')
        client = self.raw(server)
        client.greet()
        client.command(b'MAIL FROM:<a@example.org>', 250)
        client.command(b'RCPT TO:<one@example.com>', 250)
        client.command(b'RCPT TO:<two@example.com>', 250)
        client.command(b'RCPT TO:<three@example.com>', 452, b'4.5.3 ')
        client.command(b'DATA', 354)
        client.send(b'two recipients\r\n.\r\n')
        client.expect(250)
        [(env, _)] = server.messages()
        self.assertEqual(env['rcpt_to'], ['one@example.com', 'two@example.com'])

    def test_too_many_errors_closes_with_421(self):
        server = self.serve()
        client = self.raw(server)
        client.greet()
        client.send(b'BAD\r\n' * 20)
        for _ in range(20):
            client.expect(500, b'5.5.1 ')
        client.expect(421, b'4.7.0 ')
        client.assert_closed()

    def test_quit(self):
        server = self.serve()
        client = self.raw(server)
        client.greet()
        client.command(b'QUIT', 221, b'2.0.0 mx.test')
        client.assert_closed()

    def test_disconnect_during_data_stores_nothing(self):
        server = self.serve()
        client = self.raw(server)
        self.start_data(client)
        client.send(b'Subject: cut\r\n\r\nsome content\r\n')
        self.assertTrue(wait_until(lambda: server.temp_files()))
        client.close()
        self.assertTrue(wait_until(lambda: not server.temp_files()))
        self.assertEqual(server.messages(), [])

    def test_idle_timeout(self):
        server = self.serve('--timeout', '1')
        client = self.raw(server)
        client.greet()
        client.expect(421, b'4.4.2 ')
        client.assert_closed()


if __name__ == '__main__':
    main()
