"""Delivery reports written by compose_delivery_report() (write_reports.cpp), read back
with Python's email package: multipart/report; report-type=delivery-status (RFC 6522),
the text/plain, message/delivery-status (RFC 3464) and returned parts, the fields of each
block, the returned message or header, To and the envelope.

Run: python3 check_reports.py --writer PATH-TO-smtpwire-write-reports [unittest options]
"""

import email
import email.parser
import email.policy
import os
import re
import subprocess
import sys
import tempfile
import unittest

WRITER = None
DIR = None


def setUpModule():
    global DIR
    DIR = tempfile.TemporaryDirectory(prefix='smtpwire-reports-')
    subprocess.run([WRITER, DIR.name], check=True, timeout=60)


def tearDownModule():
    DIR.cleanup()


def read(name, suffix):
    with open(os.path.join(DIR.name, name + suffix), 'rb') as f:
        return f.read()


class ReportTestCase(unittest.TestCase):

    def report(self, name):
        """The report NAME parsed by both of email's policies, after the checks every
        report passes; returns the compat32 message (whose message/delivery-status payload
        is a list of blocks)."""
        raw = read(name, '.eml')
        for line in raw.split(b'\r\n')[:-1]:
            self.assertNotIn(b'\n', line)
            self.assertNotIn(b'\r', line)
            self.assertLessEqual(len(line), 998)
        self.assertTrue(raw.endswith(b'\r\n'))
        modern = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(modern.defects, [])
        for part in modern.walk():
            self.assertEqual(part.defects, [], part.get_content_type())
        msg = email.message_from_bytes(raw)
        self.assertEqual(msg.defects, [])
        self.assertEqual(msg.get_content_type(), 'multipart/report')
        self.assertEqual(msg.get_param('report-type'), 'delivery-status')
        self.assertEqual(msg['MIME-Version'], '1.0')
        self.assertEqual(msg['Auto-Submitted'], 'auto-replied')
        self.assertIsNotNone(msg['Date'])
        self.assertIsNotNone(msg['Message-ID'])
        boundary = msg.get_boundary()
        self.assertTrue(boundary.startswith('=_smtpwire-report-'))
        # The delimiter lines are the only lines that start with the boundary.
        delimiters = [line for line in raw.split(b'\r\n') if line.startswith(b'--' + boundary.encode())]
        self.assertEqual(len(delimiters), len(msg.get_payload()) + 1)
        parts = msg.get_payload()
        self.assertEqual(parts[0].get_content_type(), 'text/plain')
        self.assertEqual(parts[0].get_content_charset(), 'utf-8')
        self.assertEqual(parts[1].get_content_type(), 'message/delivery-status')

        envelope = dict(line.split('=', 1) for line in read(name, '.envelope').decode().splitlines())
        self.assertEqual(envelope['sender'], '')  # from <>
        self.assertEqual(envelope['recipient'], msg['To'])  # to the original sender only
        self.assertEqual(envelope['notify_never'], '1')
        self.assertEqual(int(envelope['size']), len(raw))
        return msg, modern, envelope

    def blocks(self, msg):
        """The message/delivery-status blocks as lists of (name, value), unfolded."""
        return [[(k, re.sub(r'\r?\n[ \t]', ' ', v)) for k, v in block.items()]
                for block in msg.get_payload()[1].get_payload()]

    def check_returned_whole(self, part, name):
        self.assertEqual(part.get_content_type(), 'message/rfc822')
        original = email.message_from_bytes(read(name, '.original'))
        returned = part.get_payload()
        self.assertEqual(len(returned), 1)
        self.assertEqual(returned[0].items(), original.items())
        self.assertEqual(returned[0].as_bytes(), original.as_bytes())

    def check_returned_header(self, part, name):
        self.assertEqual(part.get_content_type(), 'text/rfc822-headers')
        original = read(name, '.original')
        header = original[:original.index(b'\r\n\r\n') + 2]
        self.assertEqual(part.get_payload(decode=True), header)
        parsed = email.parser.BytesHeaderParser().parsebytes(part.get_payload(decode=True))
        self.assertEqual(parsed.items(), email.message_from_bytes(original).items())


class Reports(ReportTestCase):

    def test_rfc3464_simple_failure(self):
        msg, modern, envelope = self.report('simple')
        self.assertEqual(msg['To'], 'owner-info-mime@cs.utk.edu')
        self.assertEqual(msg['From'], 'Mail Delivery Subsystem <MAILER-DAEMON@cs.utk.edu>')
        self.assertEqual(msg['Subject'], 'Returned mail: Cannot send message for 5 days')
        self.assertEqual(msg['Message-ID'], '<RAA14128.773615765@cs.utk.edu>')
        self.assertEqual(str(modern['Date'].datetime), '1994-07-07 17:16:05-04:00')
        self.assertEqual(envelope['body'], '')
        parts = msg.get_payload()
        self.assertEqual(len(parts), 3)
        self.assertEqual(parts[0].get_payload(decode=True),
                         b'The original message was received at Sat, 2 Jul 1994 17:10:28 -0400\r\n'
                         b'from root@localhost\r\n')
        self.assertEqual(self.blocks(msg), [
            [('Original-Envelope-Id', 'QQ+314159'),
             ('Reporting-MTA', 'dns; cs.utk.edu'),
             ('Arrival-Date', 'Sat, 02 Jul 1994 17:10:28 -0400')],
            [('Original-Recipient', 'rfc822;louisl@larry.slip.umd.edu'),
             ('Final-Recipient', 'rfc822;louisl@larry.slip.umd.edu'),
             ('Action', 'failed'),
             ('Status', '4.0.0'),
             ('Diagnostic-Code', 'smtp; 426 connection timed out'),
             ('Last-Attempt-Date', 'Thu, 07 Jul 1994 17:15:49 -0400')],
        ])
        self.check_returned_whole(parts[2], 'simple')

    def test_rfc3464_multiple_recipients(self):
        msg, _, _ = self.report('multi')
        self.assertEqual(msg['To'], 'owner-info-mime@cs.utk.edu')
        self.assertEqual(msg['Subject'], 'Delivery Status Notification (Failure)')
        parts = msg.get_payload()
        self.assertEqual(len(parts), 3)
        text = parts[0].get_payload(decode=True).decode('ascii')
        for recipient in ('arathib@vnet.ibm.com', 'johnh@hpnjld.njd.hp.com', 'wsnell@sdcc13.ucsd.edu'):
            self.assertIn('<%s>' % recipient, text)
        self.assertIn('550 user unknown', text)
        self.assertEqual(self.blocks(msg), [
            [('Reporting-MTA', 'dns; cs.utk.edu')],
            [('Original-Recipient', 'rfc822;arathib@vnet.IBM.COM'),
             ('Final-Recipient', 'rfc822;arathib@vnet.ibm.com'),
             ('Action', 'failed'),
             ('Status', '5.0.0'),
             ('Remote-MTA', 'dns; vnet.ibm.com'),
             ('Diagnostic-Code', "smtp; 550 'arathib@vnet.IBM.COM' is not a registered gateway user")],
            [('Original-Recipient', 'rfc822;johnh@hpnjld.njd.hp.com'),
             ('Final-Recipient', 'rfc822;johnh@hpnjld.njd.hp.com'),
             ('Action', 'delayed'),
             ('Status', '4.0.0')],
            [('Final-Recipient', 'rfc822;wsnell@sdcc13.ucsd.edu'),
             ('Action', 'failed'),
             ('Status', '5.0.0'),
             ('Remote-MTA', 'dns; sdcc13.ucsd.edu'),
             ('Diagnostic-Code', 'smtp; 550 user unknown')],
        ])
        self.check_returned_header(parts[2], 'multi')

    def test_utf8_text_and_8bit_returned_message(self):
        msg, modern, envelope = self.report('eight_bit')
        self.assertEqual(envelope['body'], '8BITMIME')
        self.assertEqual(msg['Content-Transfer-Encoding'], '8bit')
        self.assertEqual(str(modern['Subject']), 'Non remis : «Déjà vu»')
        self.assertEqual(modern['From'].addresses[0].display_name, 'Système de messagerie')
        self.assertEqual(modern['From'].addresses[0].addr_spec, 'postmaster@cs.utk.edu')
        self.assertEqual(msg['Message-ID'], '<8bit.773615765@cs.utk.edu>')
        parts = msg.get_payload()
        self.assertEqual(parts[0]['Content-Transfer-Encoding'], 'quoted-printable')
        self.assertEqual(parts[0].get_payload(decode=True).decode('utf-8'),
                         "Votre message n'a pas pu être remis à jose@example.es.\r\n")
        self.assertEqual(self.blocks(msg)[1], [
            ('Final-Recipient', 'rfc822;jose@example.es'),
            ('Action', 'failed'),
            ('Status', '5.2.2'),
            ('Remote-MTA', 'dns; [192.0.2.25]'),
            ('Diagnostic-Code',
             'smtp; 552-5.2.2 Mailbox full 552 5.2.2 Quota exceeded (mailbox for user is full)')])
        self.assertEqual(parts[2]['Content-Transfer-Encoding'], '8bit')
        self.check_returned_whole(parts[2], 'eight_bit')
        returned = modern.get_payload()[2].get_content()
        self.assertEqual(str(returned['Subject']), 'Déjà vu')
        self.assertEqual(returned.get_content(), 'Déjà vu, déjà lu.\r\n')

    def test_boundary_avoids_the_content(self):
        msg, _, _ = self.report('boundary')
        self.assertNotIn(msg.get_boundary(), ('=_smtpwire-report-0000000000000000',
                                              '=_smtpwire-report-1000000000000000',
                                              '=_smtpwire-report-2000000000000000'))
        parts = msg.get_payload()
        self.assertEqual(len(parts), 3)
        self.assertEqual(parts[0].get_payload(decode=True), b'--=_smtpwire-report-2000000000000000\r\n')
        self.assertEqual(dict(self.blocks(msg)[1])['Diagnostic-Code'],
                         'smtp; 550 5.1.1 --=_smtpwire-report-1000000000000000')
        self.check_returned_whole(parts[2], 'boundary')
        inner = parts[2].get_payload()[0]
        self.assertEqual(inner.get_content_type(), 'multipart/mixed')
        self.assertEqual([p.get_payload() for p in inner.get_payload()], ['first part', 'second part'])

    def test_success_without_returned_message(self):
        msg, _, _ = self.report('success')
        self.assertEqual(msg['Subject'], 'Delivery Status Notification (Success)')
        self.assertEqual(len(msg.get_payload()), 2)
        self.assertEqual(self.blocks(msg)[1:], [
            [('Final-Recipient', 'rfc822;louisl@larry.slip.umd.edu'),
             ('Action', 'delivered'),
             ('Status', '2.0.0'),
             ('Diagnostic-Code', 'smtp; 250 2.0.0 Ok: queued as 4F2A1')],
            [('Final-Recipient', 'rfc822;old@legacy.example'),
             ('Action', 'relayed'),
             ('Status', '2.0.0'),
             ('Remote-MTA', 'dns; legacy.example')],
            [('Original-Recipient', 'rfc822;List@CS.UTK.EDU'),
             ('Final-Recipient', 'rfc822;list@cs.utk.edu'),
             ('Action', 'expanded'),
             ('Status', '2.0.0')],
        ])

    def test_multi_line_reply_folded(self):
        msg, _, _ = self.report('folded')
        self.assertEqual(dict(self.blocks(msg)[1])['Diagnostic-Code'],
                         "smtp; 550-5.1.1 The email account that you tried to reach does not exist. "
                         "Please try 550-5.1.1 double-checking the recipient's email address for typos "
                         "or 550-5.1.1 unnecessary spaces. For more information, go to "
                         "550 5.1.1 https://support.google.example/mail/?p=NoSuchUser")
        text = msg.get_payload()[0].get_payload(decode=True).decode('ascii')
        for line in text.split('\r\n'):
            self.assertLessEqual(len(line), 76)
        self.assertIn('    550 5.1.1 https://support.google.example/mail/?p=NoSuchUser\r\n', text)
        self.check_returned_header(msg.get_payload()[2], 'folded')


def main():
    global WRITER
    args = sys.argv[1:]
    if len(args) < 2 or args[0] != '--writer':
        sys.exit('usage: %s --writer PATH-TO-smtpwire-write-reports [unittest options]' % sys.argv[0])
    WRITER = os.path.abspath(args[1])
    unittest.main(module='__main__', argv=[sys.argv[0]] + args[2:], verbosity=2)


if __name__ == '__main__':
    main()
