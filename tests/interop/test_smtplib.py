"""smtpwire-serve against Python's smtplib: RFC 5321 transactions, RFC 1870 SIZE,
RFC 6152 8BITMIME, RFC 6531 SMTPUTF8, RFC 4954 AUTH in clear, concurrency, and the stored
files. (TLS is in test_tls.py.)

Run: python3 test_smtplib.py --serve PATH-TO-smtpwire-serve
"""

import os
import re
import signal
import smtplib
import threading

from serve_harness import STEP_TIMEOUT, ServeTestCase, main, wait_until


def crlf(text):
    """`text` with every line ending made CRLF, as smtplib sends a str message."""
    return re.sub(r'\r\n|\n|\r', '\r\n', text).encode('ascii')


class SmtplibTest(ServeTestCase):

    def client(self, server):
        smtp = smtplib.SMTP('127.0.0.1', server.port, local_hostname='client.test',
                            timeout=STEP_TIMEOUT)
        self.addCleanup(smtp.close)
        return smtp

    def test_plain_message(self):
        server = self.serve()
        smtp = self.client(server)
        code, features = smtp.ehlo()
        self.assertEqual(code, 250)
        self.assertEqual(features.split(b'\n'),
                         [b'mx.test', b'PIPELINING', b'SIZE 10240000', b'8BITMIME', b'SMTPUTF8',
                          b'ENHANCEDSTATUSCODES', b'DSN', b'CHUNKING', b'BINARYMIME'])
        message = 'From: a@example.org\nTo: b@example.com\nSubject: plain\n\nHello,\nworld.\n'
        self.assertEqual(smtp.sendmail('a@example.org', ['b@example.com'], message), {})
        smtp.quit()
        [(env, content)] = server.messages()
        self.assertEqual(content, crlf(message))
        self.assert_envelope(env, 'a@example.org', ['b@example.com'], len(crlf(message)))
        self.assertEqual(env['parameters'], {'raw': 'size=%d' % len(crlf(message)),
                                             'size': len(crlf(message)), 'body': None,
                                             'smtputf8': False, 'ret': None, 'envid': None})
        self.assertIsNone(env['auth'])
        self.assertIsNone(env['tls'])
        self.assertEqual(server.temp_files(), [])

    def test_reply_names_the_stored_id(self):
        server = self.serve()
        smtp = self.client(server)
        smtp.ehlo()
        self.assertEqual(smtp.mail('<>'), (250, b'2.1.0 OK'))
        self.assertEqual(smtp.rcpt('postmaster'), (250, b'2.1.5 OK'))
        code, text = smtp.data(b'Subject: bounce\r\n\r\nbody\r\n')
        self.assertEqual(code, 250)
        [(env, _)] = server.messages()
        self.assertEqual(text, b'2.0.0 OK: queued as ' + env['id'].encode())
        self.assertEqual(env['mail_from'], '')
        self.assertEqual(env['rcpt_to'], ['postmaster'])
        self.assertEqual(env['parameters']['raw'], '')
        self.assertIsNone(env['parameters']['size'])

    def test_lines_starting_with_a_dot(self):
        server = self.serve()
        smtp = self.client(server)
        message = '.first line\nSubject: dots\n\n.\n..\n...three\n. \n.x\nend\n.\n'
        smtp.sendmail('a@example.org', ['b@example.com'], message)
        [(env, content)] = server.messages()
        self.assertEqual(content, crlf(message))
        self.assertEqual(env['size'], len(crlf(message)))

    def test_body_without_final_newline(self):
        server = self.serve()
        smtp = self.client(server)
        message = b'Subject: no newline\r\n\r\nlast line has no end'
        smtp.sendmail('a@example.org', ['b@example.com'], message)
        [(_, content)] = server.messages()
        self.assertEqual(content, message + b'\r\n')

    def test_empty_message(self):
        server = self.serve()
        smtp = self.client(server)
        smtp.ehlo()
        smtp.mail('a@example.org')
        smtp.rcpt('b@example.com')
        self.assertEqual(smtp.data(b'')[0], 250)
        [(env, content)] = server.messages()
        self.assertEqual(content, b'\r\n')
        self.assertEqual(env['size'], 2)

    def test_rejected_and_deferred_recipients(self):
        server = self.serve('--reject-rcpt', '*@rejected.test', '--defer-rcpt', 'LATER*',
                            '--reject-rcpt', 'nobody@*')
        smtp = self.client(server)
        refused = smtp.sendmail('a@example.org',
                                ['one@example.com', 'x@REJECTED.test', 'later@example.com',
                                 'nobody@example.com', 'two@example.com'],
                                b'Subject: some\r\n\r\nbody\r\n')
        self.assertEqual(refused, {
            'x@REJECTED.test': (550, b'5.1.1 Recipient rejected'),
            'later@example.com': (450, b'4.2.1 Recipient deferred'),
            'nobody@example.com': (550, b'5.1.1 Recipient rejected'),
        })
        [(env, _)] = server.messages()
        self.assertEqual(env['rcpt_to'], ['one@example.com', 'two@example.com'])

    def test_all_recipients_refused_stores_nothing(self):
        server = self.serve('--reject-rcpt', '*')
        smtp = self.client(server)
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as caught:
            smtp.sendmail('a@example.org', ['b@example.com'], b'x\r\n')
        self.assertEqual(caught.exception.recipients,
                         {'b@example.com': (550, b'5.1.1 Recipient rejected')})
        smtp.ehlo()
        smtp.mail('a@example.org')
        # RFC 5321 §3.3: 554 "no valid recipients" (or 503) to DATA.
        code, text = smtp.docmd('DATA')
        self.assertEqual(code, 554)
        self.assertTrue(text.startswith(b'5.5.1 '))
        self.assertEqual(server.messages(), [])

    def test_declared_size_over_the_limit(self):
        server = self.serve('--max-size', '1000')
        smtp = self.client(server)
        smtp.ehlo()
        self.assertIn(b'SIZE 1000', smtp.ehlo_resp.split(b'\n'))
        with self.assertRaises(smtplib.SMTPSenderRefused) as caught:
            smtp.sendmail('a@example.org', ['b@example.com'], b'x' * 1001)
        self.assertEqual(caught.exception.smtp_code, 552)
        self.assertTrue(caught.exception.smtp_error.startswith(b'5.3.4 '))
        # Exactly at the limit: accepted (smtplib declares SIZE=1000).
        message = b'x' * 998 + b'\r\n'
        self.assertEqual(smtp.sendmail('a@example.org', ['b@example.com'], message), {})
        [(env, content)] = server.messages()
        self.assertEqual(content, message)
        self.assertEqual(env['parameters']['size'], 1000)

    def test_undeclared_size_over_the_limit(self):
        server = self.serve('--max-size', '1000')
        smtp = self.client(server)
        smtp.ehlo()
        self.assertEqual(smtp.mail('a@example.org')[0], 250)
        self.assertEqual(smtp.rcpt('b@example.com')[0], 250)
        # The whole body is read; the answer comes after the final dot.
        code, text = smtp.data(b'y' * 100000 + b'\r\n')
        self.assertEqual(code, 552)
        self.assertTrue(text.startswith(b'5.3.4 '))
        self.assertEqual(server.messages(), [])
        self.assertEqual(server.temp_files(), [])
        # The session goes on.
        self.assertEqual(smtp.sendmail('a@example.org', ['b@example.com'], b'small\r\n'), {})
        self.assertEqual(len(server.messages()), 1)

    def test_smtputf8_addresses(self):
        server = self.serve()
        smtp = self.client(server)
        sender = 'dörte@bücher.example'
        recipients = ['用户@例子.广告', 'ascii@example.com']
        message = 'Subject: Grüße\r\nTo: 用户@例子.广告\r\n\r\nHallöchen ✓\r\n'.encode('utf-8')
        self.assertEqual(smtp.sendmail(sender, recipients, message,
                                       mail_options=['SMTPUTF8', 'BODY=8BITMIME']), {})
        [(env, content)] = server.messages()
        self.assertEqual(content, message)
        self.assert_envelope(env, sender, recipients, len(message))
        self.assertEqual(env['parameters']['smtputf8'], True)
        self.assertEqual(env['parameters']['body'], '8BITMIME')
        # The UTF-8 is stored as is, not escaped.
        with open(os.path.join(server.maildir, env['id'] + '.json'), 'rb') as f:
            self.assertIn('"用户@例子.广告"'.encode('utf-8'), f.read())

    def test_dsn_parameters_are_recorded(self):
        # RFC 3461: smtplib sends RET/ENVID on MAIL and NOTIFY/ORCPT on RCPT as given;
        # the envelope keeps them decoded, per recipient.
        server = self.serve()
        smtp = self.client(server)
        smtp.ehlo()
        self.assertTrue(smtp.has_extn('dsn'))
        self.assertEqual(smtp.sendmail('a@example.org', ['b@example.com', 'c@example.com'], b'dsn\r\n',
                                       mail_options=['RET=HDRS', 'ENVID=QQ+2B314159'],
                                       rcpt_options=['NOTIFY=SUCCESS,FAILURE',
                                                     'ORCPT=rfc822;b+2Btag@example.com']), {})
        [(env, content)] = server.messages()
        self.assertEqual(env['parameters']['ret'], 'HDRS')
        self.assertEqual(env['parameters']['envid'], 'QQ+314159')
        self.assertEqual(env['recipients'], [
            {'mailbox': 'b@example.com',
             'parameters': {'notify': 'SUCCESS,FAILURE', 'orcpt': 'rfc822;b+tag@example.com'}},
            {'mailbox': 'c@example.com',
             'parameters': {'notify': 'SUCCESS,FAILURE', 'orcpt': 'rfc822;b+tag@example.com'}}])
        # Invalid values are 501 5.5.4, and nothing is stored for them.
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.sendmail('a@example.org', ['b@example.com'], b'x\r\n', rcpt_options=['NOTIFY=NEVER,DELAY'])
        self.assertEqual(refused.exception.recipients['b@example.com'][0], 501)
        self.assertEqual(len(server.messages()), 1)

    def test_no_dsn_refuses_the_dsn_parameters(self):
        server = self.serve('--no-dsn')
        smtp = self.client(server)
        smtp.ehlo()
        self.assertFalse(smtp.has_extn('dsn'))
        with self.assertRaises(smtplib.SMTPSenderRefused) as refused:
            smtp.sendmail('a@example.org', ['b@example.com'], b'x\r\n', mail_options=['RET=FULL'])
        self.assertEqual(refused.exception.smtp_code, 555)
        self.assertEqual(server.messages(), [])

    def test_eight_bit_body(self):
        server = self.serve()
        smtp = self.client(server)
        message = (b'Subject: 8bit\r\nContent-Type: text/plain; charset=latin1\r\n\r\n' +
                   bytes(range(0x80, 0x100)) + b'\r\n\xe9t\xe9\r\n')
        smtp.sendmail('a@example.org', ['b@example.com'], message, mail_options=['BODY=8BITMIME'])
        [(env, content)] = server.messages()
        self.assertEqual(content, message)
        self.assertEqual(env['parameters']['body'], '8BITMIME')
        self.assertEqual(env['parameters']['raw'], 'size=%d BODY=8BITMIME' % len(message))

    def test_several_messages_in_one_session(self):
        server = self.serve()
        smtp = self.client(server)
        smtp.sendmail('a@example.org', ['b@example.com', 'c@example.com'], b'first\r\n')
        smtp.sendmail('d@example.org', ['e@example.com'], b'second\r\n')
        smtp.sendmail('<>', ['f@example.com'], b'third\r\n')
        smtp.quit()
        stored = server.messages()
        self.assertEqual([c for _, c in stored], [b'first\r\n', b'second\r\n', b'third\r\n'])
        self.assertEqual([(e['mail_from'], e['rcpt_to']) for e, _ in stored], [
            ('a@example.org', ['b@example.com', 'c@example.com']),
            ('d@example.org', ['e@example.com']),
            ('', ['f@example.com']),
        ])
        self.assertEqual(len({e['id'] for e, _ in stored}), 3)

    def test_concurrent_clients(self):
        server = self.serve()
        clients, per_client = 20, 5
        barrier = threading.Barrier(clients, timeout=STEP_TIMEOUT)
        errors = []

        def run(n):
            try:
                with smtplib.SMTP('127.0.0.1', server.port, local_hostname='client.test',
                                  timeout=STEP_TIMEOUT) as smtp:
                    smtp.ehlo()
                    barrier.wait()
                    for k in range(per_client):
                        body = ('Subject: %d.%d\r\n\r\n' % (n, k) + 'line %d\r\n' % k * 50)
                        smtp.sendmail('c%d@example.org' % n, ['r%d.%d@example.com' % (n, k)],
                                      body.encode('ascii'))
            except Exception as e:  # reported by the main thread
                errors.append((n, e))

        threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(STEP_TIMEOUT * 3)
        self.assertEqual(errors, [])
        stored = server.messages()
        self.assertEqual(len(stored), clients * per_client)
        seen = set()
        for env, content in stored:
            n, k = re.match(rb'Subject: (\d+)\.(\d+)\r\n', content).groups()
            n, k = int(n), int(k)
            self.assertEqual(content, ('Subject: %d.%d\r\n\r\n' % (n, k) +
                                       'line %d\r\n' % k * 50).encode('ascii'))
            self.assertEqual(env['mail_from'], 'c%d@example.org' % n)
            self.assertEqual(env['rcpt_to'], ['r%d.%d@example.com' % (n, k)])
            seen.add((n, k))
        self.assertEqual(len(seen), clients * per_client)
        self.assertEqual(server.temp_files(), [])

    def test_rset_forgets_the_envelope(self):
        server = self.serve()
        smtp = self.client(server)
        smtp.ehlo()
        smtp.mail('old@example.org')
        smtp.rcpt('old@example.com')
        self.assertEqual(smtp.rset(), (250, b'2.0.0 OK'))
        self.assertEqual(smtp.docmd('RCPT TO:<x@example.com>'),
                         (503, b'5.5.1 Error: need MAIL command'))
        smtp.sendmail('new@example.org', ['new@example.com'], b'after rset\r\n')
        [(env, _)] = server.messages()
        self.assertEqual((env['mail_from'], env['rcpt_to']), ('new@example.org', ['new@example.com']))

    def test_auth_in_clear_without_tls(self):
        # No certificate: a development sink that takes the password in clear.
        server = self.serve('--auth', 'user:secret', '--auth', 'other:pa:ss', '--require-auth',
                            '--received')
        smtp = self.client(server)
        code, features = smtp.ehlo()
        self.assertIn(b'AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER SCRAM-SHA-256', features.split(b'\n'))
        self.assertNotIn(b'STARTTLS', features.split(b'\n'))
        with self.assertRaises(smtplib.SMTPSenderRefused) as e:
            smtp.sendmail('a@example.org', ['b@example.com'], b'x\r\n')
        self.assertEqual((e.exception.smtp_code, e.exception.smtp_error),
                         (530, b'5.7.0 Authentication required'))
        with self.assertRaises(smtplib.SMTPAuthenticationError) as e:
            smtp.login('user', 'pa:ss')
        self.assertEqual((e.exception.smtp_code, e.exception.smtp_error),
                         (535, b'5.7.8 Authentication credentials invalid'))
        self.assertEqual(smtp.login('other', 'pa:ss'), (235, b'2.7.0 Authentication successful'))
        self.assertEqual(smtp.sendmail('a@example.org', ['b@example.com'], b'x\r\n'), {})
        smtp.quit()
        [(env, content)] = server.messages()
        self.assertEqual(env['auth'], 'other')
        self.assertIsNone(env['tls'])
        self.assertRegex(content, rb'^Received: from client\.test \(\[127\.0\.0\.1\]\) by mx\.test '
                                  rb'with ESMTPA\r\n')

    def test_vrfy(self):
        server = self.serve()
        smtp = self.client(server)
        smtp.ehlo()
        code, text = smtp.verify('someone@example.com')
        self.assertEqual(code, 252)
        self.assertTrue(text.startswith(b'2.5.0 '))

    def test_discard_stores_nothing(self):
        server = self.serve('--discard')
        smtp = self.client(server)
        smtp.ehlo()
        smtp.mail('a@example.org')
        smtp.rcpt('b@example.com')
        self.assertEqual(smtp.data(b'x' * 200000 + b'\r\n'), (250, b'2.0.0 OK: discarded'))
        smtp.quit()
        self.assertFalse(os.path.exists(server.maildir))

    def test_verbose_log(self):
        server = self.serve('-v')
        smtp = self.client(server)
        smtp.sendmail('a@example.org', ['b@example.com'], b'x\r\n')
        smtp.quit()
        self.assertTrue(wait_until(lambda: 'conn 1: closed' in server.stderr()))
        lines = server.stderr().splitlines()
        for expected in ['conn 1: hello EHLO client.test', 'conn 1: rcpt_to <b@example.com>',
                         'conn 1: data_begin 1 recipients', 'conn 1: closing: quit']:
            self.assertIn(expected, lines)
        self.assertTrue(any(re.fullmatch(r'conn 1: message_end 3 bytes, stored as [\d.]+', line)
                            for line in lines), lines)

    def test_sigint_ends_sessions_with_421(self):
        server = self.serve()
        smtp = self.client(server)
        smtp.ehlo()
        smtp.mail('a@example.org')
        smtp.rcpt('b@example.com')
        self.assertEqual(smtp.docmd('DATA')[0], 354)
        smtp.send(b'partial content\r\n')
        self.assertTrue(wait_until(lambda: server.temp_files()))
        server.proc.send_signal(signal.SIGINT)
        self.assertEqual(smtp.getreply(), (421, b'4.3.2 Service shutting down'))
        smtp.close()
        self.assertEqual(server.stop(), 0)
        self.assertEqual(server.messages(), [])
        self.assertEqual(server.temp_files(), [])


if __name__ == '__main__':
    main()
