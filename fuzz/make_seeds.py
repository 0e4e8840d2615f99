#!/usr/bin/env python3
# Writes the seed corpora into fuzz/corpus/<target>/, each file named by the SHA-256 of
# its content. Seeds follow each target's input layout (the comment at the top of its
# .cpp); the server seeds are the client bytes of tests/transcripts/*.txt. Existing
# files are kept (regression inputs among them); a seed that changes gets a new name,
# so delete the old one by hand.
import base64
import glob
import hashlib
import os
import random
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'fuzz', 'corpus')
seeds = {}

def add(target, data):
    if isinstance(data, str):
        data = data.encode('latin-1') if all(ord(c) < 256 for c in data) else data.encode('utf-8')
    seeds.setdefault(target, []).append(bytes(data))

def u(s):
    """UTF-8 text to bytes."""
    return s.encode('utf-8')

# --- fuzz_command -------------------------------------------------------------
for line in [
    b'EHLO bar.com', b'HELO relay.example.org', b'LHLO lmtp.example', b'ehlo lowercase.example',
    b'EHLO [192.0.2.1]', b'EHLO [IPv6:2001:db8::1]',
    b'MAIL FROM:<Smith@bar.com>', b'MAIL FROM:<> SIZE=1000 BODY=8BITMIME', b'MAIL FROM: <a@b.example>',
    b'MAIL FROM:<@hosta.int,@jkl.org:userc@d.bar.org>', b'MAIL FROM:<> SIZE=12345 AUTH=<>',
    u('MAIL FROM:<üser@exämple.com> SMTPUTF8'),
    b'RCPT TO:<postmaster>', b'RCPT TO:<"foo@x> ORCPT=rfc822;evil"@example.com>',
    b'RCPT TO:<user@[IPv6:2001:db8::1]> NOTIFY=SUCCESS,FAILURE', b'rcpt to:<Jones@foo.com>',
    b'DATA', b'DATA x', b'RSET', b'NOOP hello', b'NOOP', b'QUIT', b'QUIT now', b'VRFY Crispin',
    b'EXPN Example-People', b'HELP MAIL', b'BDAT 100 LAST', b'AUTH PLAIN AGFsaWNlAHNlY3JldA==',
    b'STARTTLS', b'MAIL TO:<a@b>', b'RCPT FROM:<a@b>', b'EHLOx', b'MAIL', b'EHLO', b'XEXPS GSSAPI',
    b'QUIT\r\nRSET', b'NOOP\x00', b'RSET\nMAIL FROM:<a@b.example>', b'',
]:
    add('fuzz_command', line)

# --- fuzz_reply ---------------------------------------------------------------
ehlo_gmail = ('250-smtp.gmail.com at your service, [203.0.113.5]\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n'
              '250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n')
ehlo_postfix = ('250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n'
                '250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n')
ehlo_exchange = ('250-BN8PR12CA0001.outlook.office365.com Hello [203.0.113.5]\r\n250-SIZE 157286400\r\n'
                 '250-PIPELINING\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250-8BITMIME\r\n'
                 '250-BINARYMIME\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n')
ehlo_exim = ('250-mx.example.net Hello client.example [203.0.113.5]\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n'
             '250-PIPELINING\r\n250-PIPE_CONNECT\r\n250-AUTH PLAIN LOGIN\r\n250-CHUNKING\r\n250-STARTTLS\r\n'
             '250-PRDR\r\n250 HELP\r\n')
ehlo_legacy_auth = ('250-old.example.com Hello\r\n250-AUTH=LOGIN PLAIN\r\n250-AUTH LOGIN PLAIN CRAM-MD5\r\n'
                    '250-starttls\r\n250 size\r\n')
for cfg, text in [
    (0, '220 foo.com Simple Mail Transfer Service Ready\r\n'),
    (0, ehlo_gmail), (0, ehlo_postfix), (0, ehlo_exchange), (0, ehlo_exim), (0, ehlo_legacy_auth),
    (0, '550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n'
        '550-5.1.1 double-checking the recipient\'s email address for typos or\r\n'
        '550-5.1.1 unnecessary spaces. Learn more at\r\n550 5.1.1  https://support.google.com/mail/?p=NoSuchUser\r\n'),
    (0, '250 2.0.0 OK  1700000000 abc123.456 - gsmtp\r\n'),
    (0, '354  Go ahead abc123.456 - gsmtp\r\n'), (0, '354 \r\n'), (0, '250\r\n'), (0, '250-\r\n250 \r\n'),
    (0, '421 4.7.0 Try again later, closing connection.\r\n'),
    (0, '250-2.0.0 first\r\n250-2.0.0 second\r\n250 2.0.0 third\r\n'),
    (0, '250-2.0.0 first\r\n250-2.1.0 second\r\n250 third\r\n'),
    (0, '250-a\r\n251 b\r\n'), (0, '999 bad code\r\n'), (0, '25\r\n'), (0, '250x\r\n'),
    (0, '250 text\x01 with a control byte\r\n'), (0, '250 caf\xc3\xa9\r\n'), (0, '250 \xff\xfe invalid utf-8\r\n'),
    (0, '250 bare\nLF\r\n250 bare\rCR\r\n'), (0, '250 tab\there\r\n'),
    (0, '250 ' + 'word ' * 130 + '\r\n'), (0, '250 ' + 'x' * 700 + '\r\n'),
    (1, '250 ' + 'x' * 520 + '\r\n'), (2, '250 a somewhat long line\r\n'),
    (4, '250-a\r\n250-b\r\n250-c\r\n250 d\r\n'), (0, '250-2.0.0\r\n250 2.0.0 \r\n'),
    (0, '554 5.7.1 <evil@example.com>: Relay access denied\r\n250 2.0.0 Ok: queued as 4F2A\r\n'),
]:
    add('fuzz_reply', bytes([cfg]) + text.encode('latin-1'))

# --- fuzz_path ----------------------------------------------------------------
# bit 0 forward, bit 1 utf8, bit 2 missing brackets, bit 3 trailing dot
for cfg, arg in [
    (0, b'<Smith@bar.com>'), (0, b'<>'), (1, b'<postmaster>'), (1, b'<Postmaster>'), (0, b'<postmaster>'),
    (1, b'<>'), (0, b'<> SIZE=1000 BODY=8BITMIME'), (0, b'<@hosta.int,@jkl.org:userc@d.bar.org>'),
    (1, b'<"foo@x> ORCPT=rfc822;evil"@example.com>'), (1, b'<"John \\"Q\\" Public"@example.com> NOTIFY=NEVER'),
    (1, b'<"quoted"@example.com>'), (1, b'<"a\\b"@example.com>'),
    (1, b'<user@[IPv6:2001:db8::1]>'), (1, b'<user@[IPv6:::ffff:192.0.2.1]>'), (1, b'<user@[IPv6:1:2:3:4:5:6:7:8]>'),
    (1, b'<user@[IPv6:1::2::3]>'), (1, b'<user@[192.0.2.1]>'), (1, b'<user@[256.0.0.1]>'), (1, b'<user@[x-tag:content]>'),
    (3, u('<üser@exämple.com>')), (1, u('<üser@exämple.com>')), (3, b'<\xc3\x28@example.com>'),
    (5, b'user@example.com SIZE=10'), (4, b'user@example.com'), (9, b'<user.@example.com>'), (1, b'<user.@example.com>'),
    (1, b'<a..b@example.com>'), (1, b'<.a@example.com>'), (1, b'<a@-bad.example>'), (1, b'<a@example.com'),
    (1, b'<a@exa mple.com>'), (1, b'<' + b'x' * 65 + b'@example.com>'), (1, b'<a@' + (b'a' * 63 + b'.') * 4 + b'com>'),
    (1, b'<xn--bcher-kva.example>'), (1, b'<a@xn--bcher-kva.example>'), (1, b'<@a,@b:c@d>'), (1, b'<@a,b:c@d>'),
    (1, b'<!#$%&\'*+-/=?^_`{|}~@example.com>'), (0, b''), (0, b'<'), (1, b'<a@b>junk'),
]:
    add('fuzz_path', bytes([cfg]) + arg)

# --- fuzz_esmtp_param -----------------------------------------------------------
# bit 0 utf8 reader, bits 1-4 offer SIZE, 8BITMIME, SMTPUTF8, DSN
for cfg, text in [
    (30, b' RET=HDRS ENVID=QQ314159'), (30, b' ret=full envid=a+2Bb'), (30, b' RET=FULL RET=HDRS'),
    (30, b' ENVID=QQ+0A'), (30, b' NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob@Big-Box.example'),
    (30, b' NOTIFY=NEVER'), (30, b' NOTIFY=NEVER,DELAY'), (30, b' notify=delay,success orcpt=RFC822;"a+20b"@c'),
    (30, b' ORCPT=rfc822;a+00b'), (30, b' ORCPT=a@b'), (31, b' ORCPT=utf-8;caf\xc3\xa9@x'),
    (30, b' ENVID=' + b'x' * 101),
    (14, b' SIZE=1000 BODY=8BITMIME SMTPUTF8'), (14, b''), (14, b' SIZE=18446744073709551615'),
    (14, b' SIZE=18446744073709551616'), (14, b' SIZE=00000000000000000001'), (14, b' SIZE=1 SIZE=2'),
    (14, b' BODY=7BIT'), (14, b' body=8bitmime'), (14, b' BODY=BINARYMIME'), (14, b' BODY'), (14, b' AUTH=<>'),
    (14, b' RET=HDRS ENVID=QQ314159'), (14, b' ORCPT=rfc822;bob@example.com NOTIFY=SUCCESS,FAILURE'),
    (14, b'  SIZE=1'), (14, b' SIZE=1 '), (14, b' =x'), (14, b' -bad=1'), (14, b' KEY='), (14, b' KEY=a=b'),
    (15, b' X=caf\xc3\xa9'), (14, b' X=\xff'), (0, b' SIZE=10'), (14, b'SIZE=10'), (14, b' SMTPUTF8=yes'),
    (14, b' SMTPUTF8 SMTPUTF8'), (14, b' BY=120;R MT-PRIORITY=3'), (8, b' SIZE=5 SMTPUTF8'), (14, b' SIZE=-1'),
    (14, b' X-TAG'), (14, b' A=<>'),
]:
    add('fuzz_esmtp_param', bytes([cfg]) + text)

# --- fuzz_capabilities ----------------------------------------------------------
def lines_after_code(reply):
    return ''.join(l[4:] + '\r\n' for l in reply.split('\r\n') if l)
for cfg, text in [
    (0, lines_after_code(ehlo_gmail)), (0, lines_after_code(ehlo_postfix)), (0, lines_after_code(ehlo_exchange)),
    (0, lines_after_code(ehlo_exim)), (0, lines_after_code(ehlo_legacy_auth)),
    (0, 'mx.example\r\nAUTH=LOGIN PLAIN\r\nauth login plain xoauth2 OAUTHBEARER SCRAM-SHA-256 SCRAM-SHA-1 PLAIN-PLUS\r\n'),
    (0, 'mx.example\r\nSIZE\r\nSIZE 0\r\nSIZE 1000\r\nSIZE 500\r\nSIZE 99999999999999999999\r\nSIZE abc\r\n'),
    (0, 'mx.example\r\nX-EXPS GSSAPI NTLM\r\nPIPE_CONNECT\r\n_bad\r\n\r\nXFOO  spaced   params  \t\r\nREQUIRETLS\r\n'),
    (0, 'mx.example\r\n' + ''.join('KEYWORD%d\r\n' % i for i in range(40)) + 'STARTTLS\r\n'),
    (0, 'mx.example\r\nX-LONG ' + 'p' * 1100 + '\r\nSTARTTLS\r\nPIPELINING\r\n'),
    (0, '\r\nPIPELINING\r\n'), (0, 'caf\xc3\xa9.example greets\r\n8BITMIME\r\n'), (0, 'bad\x01domain\r\nDSN\r\n'),
    (1, 'first.example\r\nPIPELINING\r\n\r\nsecond.example\r\nSIZE 10\r\n'),
    (0, 'mx.example\r\nDSN\r\nBINARYMIME\r\nCHUNKING\r\nENHANCEDSTATUSCODES\r\n8bitmime\r\nSmtpUtf8\r\n'),
]:
    add('fuzz_capabilities', bytes([cfg]) + text.encode('latin-1'))

# --- fuzz_data_decoder ------------------------------------------------------------
for head, wire in [
    (b'\x00\x80\x35', b'Subject: hi\r\n\r\nBlah blah blah...\r\n...etc. etc. etc.\r\n.\r\n'),
    (b'\x00\x80\x35', b'Subject: hi\r\n\r\nhello\n.\nMAIL FROM:<evil@x.example>\nRCPT TO:<victim@mx.example>\nDATA\n\nforged'
                      b'\r\n.\nstill content\n.\r\nand\r\n.\rmore\r.\rend\r\n.\r\n'),
    (b'\x00\x00\x00', b'.\r\n'), (b'\x00\x40\x11', b'..\r\n.\r\n'), (b'\x00\x40\x11', b'\r\n.\r\n'),
    (b'\x00\xff\x22', b'.\r'), (b'\x00\x80\x22', b'a\r'), (b'\x00\x80\x22', b'.x\r\n.\r\n'),
    (b'\x00\x80\x35', b'x' * 1001 + b'\r\n' + b'y' * 998 + b'\r\n.\r\n'), (b'\x05\x30\x10', b'ab\r\nabcdef\r\n.a\r\n.\r\n'),
    (b'\x00\x80\x35', b'\r\r\n.\r\n'), (b'\x00\x80\x35', b'\n.\r\n'), (b'\x00\x80\x35', b'\r\n..\r\n.\r\n'),
    (b'\x00\x80\x35', b'caf\xc3\xa9\x00\xff\r\n.\r\n'), (b'\x00\x80\x35', b'partial line without end'),
    (b'\x00\x80\x35', b'a\r\n.\r\nMAIL FROM:<x@y>\r\n'), (b'\x00\x10\xf1', b'.\n.\r\n.\r.\r\n..\n\r\n.\r\n'),
    (b'\x02\x80\xff', b'.\r\n.\r\n'),
]:
    add('fuzz_data_decoder', head + wire)

# --- fuzz_server_session ------------------------------------------------------------
EXT = {'PIPELINING': 1, 'SIZE': 2, '8BITMIME': 4, 'SMTPUTF8': 8, 'ENHANCEDSTATUSCODES': 16}
EXT6 = {'CHUNKING': 1, 'BINARYMIME': 2, 'DSN': 4}  # byte 6
LMTP = 8                                           # byte 6

def unescape(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != '\\' or i + 1 == len(s):
            out += c.encode('utf-8'); i += 1; continue
        e = s[i + 1]; i += 2
        if e == 'r': out += b'\r'
        elif e == 'n': out += b'\n'
        elif e == 't': out += b'\t'
        elif e == '0': out += b'\0'
        elif e == 'x': out.append(int(s[i:i + 2], 16)); i += 2
        else: out += e.encode('latin-1')
    return bytes(out)

def server_header(b0, b1, pattern=0, b4=0, split=0x80, b6=0):
    return bytes([b0, b1]) + struct.pack('<H', pattern) + bytes([b4, split, b6])

for path in sorted(glob.glob(os.path.join(ROOT, 'tests', 'transcripts', '*.txt'))):
    stream = b''
    ext = 31
    b0 = 0
    tls = 0
    b6 = 0
    for line in open(path, encoding='utf-8').read().split('\n'):
        if line.startswith('C: '): stream += unescape(line[3:]) + b'\r\n'
        elif line == 'C:': stream += b'\r\n'
        elif line.startswith('c: '): stream += unescape(line[3:])
        elif line.startswith('@'):
            for kv in line[1:].split():
                k, v = kv.split('=', 1)
                if k == 'extensions': ext = sum(EXT[x.upper()] for x in v.split(',') if x.upper() in EXT)
                if k == 'extensions': b6 |= sum(EXT6[x.upper()] for x in v.split(',') if x.upper() in EXT6)
                if k == 'lmtp' and v == '1': b6 |= LMTP
                if k == 'message_size' and 0 < int(v) <= 1000: b0 |= 8
                if k == 'extensions' and 'starttls' in v.split(','): tls = 0x80
                if k == 'extensions' and 'auth' in v.split(','): tls |= 0x40
                if k == 'bare_newlines': b0 |= {'reject': 0, 'normalize': 1, 'allow': 2}[v]
                if k == 'early_input' and v == 'tolerate': b0 |= 4
    add('fuzz_server_session', server_header(b0, ext, 0, tls, b6=b6) + stream)      # accept all, at once
    add('fuzz_server_session', server_header(b0 | 4 | 32 | 64, ext, 0x9c36, 0x53 | tls, b6=b6) + stream)  # tolerate, patterned, deferred

ehlo = b'EHLO client.example\r\n'
tx = b'MAIL FROM:<alice@client.example>\r\nRCPT TO:<bob@mx.example>\r\nRCPT TO:<carol@mx.example>\r\nRCPT TO:<dave@mx.example>\r\nDATA\r\n'
body = b'Subject: test\r\n\r\n.leading dot\r\nline\r\n.\r\n'
mail_rcpt = b'MAIL FROM:<a@b.example>\r\nRCPT TO:<b@c.example>\r\n'
lhlo = b'LHLO client.example\r\n'
lmtp_example = (b'LHLO foo.edu\r\nMAIL FROM:<chris@bar.com>\r\nRCPT TO:<pat@foo.edu>\r\nRCPT TO:<jones@foo.edu>\r\n'
                b'RCPT TO:<green@foo.edu>\r\nDATA\r\nBlah blah blah...\r\n....etc. etc. etc.\r\n.\r\nQUIT\r\n')
for hdr, stream in [
    (server_header(4, 31), ehlo + tx + body + b'QUIT\r\n'),                              # pipelined batch
    (server_header(0, 31), ehlo + tx + body + b'QUIT\r\n'),                              # same, early input refused
    (server_header(8 | 4, 31), ehlo + b'MAIL FROM:<a@b.example> SIZE=99999999\r\nQUIT\r\n'),
    (server_header(8 | 4, 31), ehlo + b'MAIL FROM:<a@b.example>\r\n' + b''.join(b'RCPT TO:<r%d@mx.example>\r\n' % i for i in range(6)) + b'DATA\r\n' + b'x' * 1200 + b'\r\n.\r\nQUIT\r\n'),
    (server_header(8 | 4, 31), ehlo + b'NOOP ' + b'a' * 600 + b'\r\nRSET\r\n'),            # overlong line
    (server_header(4, 31), ehlo + b'RSET\nMAIL FROM:<a@b.example>\r\nQUIT\r\n'),          # bare LF in a command
    (server_header(4, 31), ehlo + b'VRFY postmaster\r\nEXPN staff\r\nHELP\r\nNOOP\r\nSTARTTLS\r\nAUTH PLAIN\r\nBDAT 10\r\nXYZZY\r\nQUIT\r\n'),
    (server_header(8 | 4, 0), b'HELO client.example\r\n' + b'FOO\r\n' * 6),             # error limit
    (server_header(4, 31, 0, 0x80), ehlo + b'STARTTLS\r\nMAIL FROM:<evil@x.example>\r\n' + ehlo + tx + body + b'QUIT\r\n'),  # injection behind STARTTLS
    (server_header(4 | 32, 31, 0x00c0, 0x40), ehlo + b'AUTH LOGIN\r\ndGlt\r\ndGFuc3RhYWZ0YW5zdGFhZg==\r\nAUTH PLAIN\r\n*\r\nAUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n' + tx + body),  # AUTH exchanges
    (server_header(4, 31), ehlo + u('MAIL FROM:<üser@exämple.com>\r\nMAIL FROM:<üser@exämple.com> SMTPUTF8\r\nRCPT TO:<ü@exämple.com>\r\nQUIT\r\n')),
    (server_header(4, 23), ehlo + u('MAIL FROM:<üser@exämple.com> SMTPUTF8\r\nQUIT\r\n')),
    (server_header(4, 31), ehlo + b'MAIL FROM:<a@b.example> FOO=BAR\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<b@c.example> NOTIFY=NEVER\r\nRCPT TO:<b@c.example\r\nQUIT\r\n'),
    (server_header(4, 31), ehlo + b'MA\x00IL FROM:<a@b>\r\nQUIT\r\n'),
    (server_header(4 | 16, 31), ehlo + b'MAIL FROM: <a@b.example>\r\nRCPT TO:c@d.example\r\nRCPT TO:<e.@f.example>\r\nQUIT\r\n'),
    (server_header(4 | 128, 31 | 0x80, 0, 0x02), ehlo + tx + body),                    # shutdown at the 3rd decision
    (server_header(4 | 128, 31, 0, 0x05), ehlo + tx + b'part of a message'),             # timeout during DATA
    (server_header(4 | 32, 31, 0xffff), ehlo + tx + body + b'QUIT\r\n'),                # reject everything
    (server_header(4 | 32 | 64, 31 | 0x60, 0x6e4b, 0x31), ehlo + tx + body + b'QUIT\r\n'),  # 250-octet hostname
    (server_header(4 | 1, 31 | 0x40, 0x1111, 0x20), ehlo + tx + b'a\nb\rc\r\n.\r\n'),       # normalize, CRLF hostname
    (server_header(4, 31), b''),                                                          # immediate EOF
    (server_header(0, 31), ehlo + b'MAIL FROM:<a@b.example>\r\nRCPT TO:<b@c.example>\r\nDATA\r\n' + body + b'QUIT'),
    # CHUNKING, BINARYMIME (RFC 3030) and DSN (RFC 3461), byte 6.
    (server_header(4, 31, b6=1), ehlo + mail_rcpt + b'BDAT 9\r\nSubject: \r\nBDAT 4\r\n.\r\n.BDAT 3 LAST\r\nend' + mail_rcpt + b'BDAT 0 LAST\r\nQUIT\r\n'),  # pipelined
    (server_header(0, 30, b6=1), ehlo + mail_rcpt + b'BDAT 9\r\nSubject: \r\nBDAT 4\r\n.\r\n.BDAT 3 LAST\r\nendQUIT\r\n'),  # no PIPELINING, early input refused
    (server_header(4, 31, b6=1), ehlo + b'BDAT 22\r\nRSET\r\nVRFY postmaster\r\nMAIL FROM:<a@b.example>\r\nBDAT 6 LAST\r\nQUIT\r\n' + mail_rcpt + b'BDAT 12 LASTX\r\nQUIT\r\nNOOP\r\nQUIT\r\n'),  # refused, octets like commands
    (server_header(4 | 32, 31, 0x0300, b6=1), ehlo + mail_rcpt + b'BDAT 14\r\nRCPT TO:<x@y>\r\nBDAT 2 LAST\r\n\r\nQUIT\r\n'),  # the application refuses the content
    (server_header(4 | 32 | 64, 31, 0x0300, b6=1), ehlo + mail_rcpt + b'BDAT 0\r\nBDAT 0 LAST\r\n' + mail_rcpt + b'BDAT 5 LAST\r\nQUIT\r\nQUIT\r\n'),  # refused, deferred
    (server_header(4 | 8, 31, b6=1), ehlo + mail_rcpt + b'BDAT 600\r\n' + b'x' * 600 + b'BDAT 500 LAST\r\n' + b'y' * 500 + mail_rcpt + b'BDAT 1001 LAST\r\n' + b'z' * 1001 + b'QUIT\r\n'),  # over the size limit
    (server_header(4, 31, b6=1), ehlo + mail_rcpt + b'BDAT 5\r\nhelloDATA\r\nBDAT 1 LAST\r\n!DATA\r\n' + mail_rcpt + b'DATA\r\n' + body + b'BDAT 3\r\nabcQUIT\r\n'),  # DATA after BDAT
    (server_header(4, 31, b6=3), ehlo + b'MAIL FROM:<a@b.example> BODY=BINARYMIME\r\nRCPT TO:<b@c.example>\r\nDATA\r\nBDAT 4 LAST\r\n\x00\xff\r\n' + mail_rcpt + b'DATA\r\n' + body + b'QUIT\r\n'),  # BINARYMIME with DATA
    (server_header(4, 31, b6=1), ehlo + mail_rcpt + b'bdat 3 last\r\na\nb' + mail_rcpt + b'BDAT 4  LAST\r\nBDAT 18446744073709551615 LAST\r\nQUIT\r\n'),  # lower case, bad marker, chunk past the end
    (server_header(4 | 128, 31, 0, 0x02, b6=1), ehlo + mail_rcpt + b'BDAT 10\r\n0123'),  # timeout in a chunk
    (server_header(4, 31, b6=4), ehlo + b'MAIL FROM:<a@b.example> RET=HDRS ENVID=QQ314159\r\nRCPT TO:<b@c.example> NOTIFY=SUCCESS,delay ORCPT=rfc822;b+40c.example\r\nRCPT TO:<d@c.example> NOTIFY=NEVER\r\nRCPT TO:<e@c.example> notify=failure orcpt=x;y\r\nDATA\r\n' + body + b'QUIT\r\n'),  # DSN valid
    (server_header(4, 31, b6=4), ehlo + b'MAIL FROM:<a@b.example> RET=ALL\r\nMAIL FROM:<a@b.example> ENVID=\r\nMAIL FROM:<a@b.example> RET=FULL RET=HDRS\r\nMAIL FROM:<a@b.example> ret=full\r\nRCPT TO:<b@c.example> NOTIFY=NEVER,SUCCESS\r\nRCPT TO:<b@c.example> ORCPT=rfc822\r\nRCPT TO:<b@c.example> NOTIFY=\r\nRCPT TO:<b@c.example> ORCPT=;x\r\nQUIT\r\n'),  # DSN invalid
    (server_header(4, 31), ehlo + b'MAIL FROM:<a@b.example> RET=HDRS\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<b@c.example> NOTIFY=NEVER\r\nBDAT 4 LAST\r\nQUIT\r\n'),  # neither offered
    # LMTP (RFC 2033), byte 6 bit 3: RFC 2033 §4.3's example, answered per recipient in
    # the orders and mixes the pattern chooses, at once and deferred.
    # Decisions 0-7: greeting, LHLO, MAIL, 3 RCPT (jones@ refused), DATA, message_end.
    (server_header(4 | 32, 2, 0x1382, b6=LMTP), lmtp_example),                   # 550 for green@, 250 for pat@
    (server_header(4 | 32 | 64, 2, 0x5382, b6=LMTP), lmtp_example),              # one own answer, accept() the rest
    (server_header(0 | 32 | 64, 2, 0x9382, b6=LMTP), lmtp_example),              # one own answer, reject() the rest
    (server_header(4 | 32, 2, 0xd382, b6=LMTP), lmtp_example),                   # reject() all
    (server_header(4, 2, b6=LMTP), ehlo + b'HELO client.example\r\n' + lhlo + b'EHLO again.example\r\nQUIT\r\n'),  # HELO and EHLO refused
    # 20 recipients answered last to first with long texts: the waiting area fills.
    (server_header(4 | 32, 0, 0x2100, b6=LMTP), lhlo + b'MAIL FROM:<a@b.example>\r\n' + b''.join(b'RCPT TO:<r%d@mx.example>\r\n' % i for i in range(20)) + b'DATA\r\n' + body + b'QUIT\r\n'),
    (server_header(4 | 8, 0, b6=LMTP), lhlo + tx + b'x' * 1200 + b'\r\n.\r\nQUIT\r\n'),                    # 552 per recipient
    (server_header(4, 0, b6=LMTP), lhlo + tx + b'bare\nLF\r\n.\r\nQUIT\r\n'),                              # 550 per recipient
    (server_header(4 | 8, 0, b6=LMTP | 1), lhlo + tx.replace(b'DATA\r\n', b'') + b'BDAT 600\r\n' + b'x' * 600 + b'BDAT 500 LAST\r\n' + b'y' * 500 + b'QUIT\r\n'),  # 552 after BDAT
    (server_header(4 | 32, 0, 0x3000, b6=LMTP | 1), lhlo + tx.replace(b'DATA\r\n', b'') + b'BDAT 3 LAST\r\nabc' + b'QUIT\r\n'),  # BDAT LAST refused at data_begin
]:
    add('fuzz_server_session', hdr + stream)

# --- fuzz_client_session ------------------------------------------------------------
g220 = '220 mx.example ESMTP Postfix\r\n'
# Which of the target's address table entries client_session accepts (see the target).
SENDER_OK = [True, True, True, True, 'utf8', True, False, True]
RCPT_OK = [True, True, True, True, True, True, True, 'utf8', False, False, True, False, True, True]

def bdat_chunks(body, piece, chunk_size, end_with_last):
    """How many BDAT chunks the target's application makes client_session send: each
    piece of `piece` octets (0: the whole body) in chunks of at most chunk_size, and
    "BDAT 0 LAST" unless end_body() came with the last piece."""
    pieces = [body[i:i + piece] for i in range(0, len(body), piece)] if piece else ([body] if body else [])
    n = sum((len(p) + chunk_size - 1) // chunk_size for p in pieces)
    return n + (0 if end_with_last and body else 1)

def script(b0, b1=0, b2=0, b3=0, b4=0, split=0x80, wchunk=0, body=None, greeting=g220, ehlo=ehlo_postfix,
           rcpt_reply=lambda i: '250 2.1.5 Ok', data_reply='354 End data with <CR><LF>.<CR><LF>',
           final_reply='250 2.0.0 Ok: queued as 4F2A', quit_reply='221 2.0.0 Bye',
           security=None, before_ehlo='', after_ehlo='', bdat=None, dsn=None, chunk_reply=None,
           mail_refused=False, lmtp_reply=None):
    """A client seed whose server replies match what the application will send.
    security: bytes 7 and 8 (STARTTLS and AUTH); before_ehlo: replies up to the EHLO that
    counts (an EHLO and STARTTLS in clear, then NUL); after_ehlo: the AUTH exchange.
    bdat: bytes 9 and 10 (byte 1 bit 6): BDAT policy, BINARYMIME, end_body() with the last
    piece, the window of unacknowledged octets, chunk size (1-127 here); dsn: its bytes
    (RET and ORCPT form, NOTIFY, ENVID,
    ORCPT), with byte 9 bit 3. The body must come from the input (b0 bits 4-6 = 7) when
    BDAT is used. chunk_reply(k, n): the reply to chunk k of n (default 250); None for
    a chunk never sent. mail_refused: the client refuses every MAIL itself. With LMTP
    (b1 bit 5) the end of the content (the final dot or the LAST chunk) is answered once
    per accepted recipient: lmtp_reply(i) for the i-th (default final_reply), and the
    LAST chunk waits for every RCPT reply."""
    lmtp = bool(b1 & 0x20)
    server_utf8 = 'SMTPUTF8' in ehlo
    out = greeting + before_ehlo + ehlo + after_ehlo
    messages = 2 if b0 & 128 else 1
    for m in range(messages):
        sender = SENDER_OK[((b1 >> 2) + m) % len(SENDER_OK)]
        utf8 = bool(b3 & 4) or sender == 'utf8'
        if sender is False or (utf8 and not server_utf8) or mail_refused:
            continue
        out += '250 2.1.0 Ok\r\n'
        accepted = 0
        for r in range(1 + (b1 & 3)):
            ok = RCPT_OK[(b2 + 3 * r + 5 * m) % len(RCPT_OK)]
            if ok is True or (ok == 'utf8' and utf8):
                reply = rcpt_reply(r)
                if reply is None:  # refused by the client itself
                    continue
                accepted += reply.startswith('2')
                out += reply + '\r\n'
        chunks = 0
        if bdat and bdat[0] & 3 and 'CHUNKING' in ehlo:
            chunks = bdat_chunks(body, b4, bdat[1], bdat[0] & 16)
        if accepted == 0:
            if chunks > (1 if lmtp else 0) and b0 & 1 and 'PIPELINING' in ehlo:
                out += '554 5.5.1 Error: no valid recipients\r\n'  # the first chunk, pipelined
            out += '250 2.0.0 Ok\r\n'  # the RSET
            continue
        if chunks:
            # Without PIPELINING nothing follows a refused chunk but RSET; with it, every
            # chunk sent before the refusal was read is answered (chunk_reply says None
            # for those never sent).
            refused = False
            for k in range(chunks):
                reply = chunk_reply(k, chunks) if chunk_reply else ''
                if reply is None:
                    break
                if lmtp and k == chunks - 1 and not reply:
                    out += ''.join((lmtp_reply(i) if lmtp_reply else final_reply) + '\r\n' for i in range(accepted))
                    continue
                out += (reply or (final_reply if k == chunks - 1 else '250 2.0.0 OK: %d octets' % (k + 1))) + '\r\n'
                if reply and not reply.startswith('2'):
                    refused = True
                    if not (b0 & 1 and 'PIPELINING' in ehlo):
                        break
            if refused:
                out += '250 2.0.0 Ok\r\n'  # the RSET
            continue
        if lmtp:
            out += data_reply + '\r\n' + ''.join((lmtp_reply(i) if lmtp_reply else final_reply) + '\r\n'
                                                for i in range(accepted))
            continue
        out += data_reply + '\r\n' + final_reply + '\r\n'
    out += quit_reply + '\r\n'
    h = bytes([b0, b1 | (0x80 if security else 0) | (0x40 if bdat else 0), b2, b3, b4, split, wchunk])
    if security:
        h += bytes(security)
    if bdat:
        h += bytes([bdat[0] | (8 if dsn else 0), bdat[1]])
        if dsn:
            d0, notify, envid, orcpt = dsn
            h += bytes([d0, notify, len(envid)]) + envid + bytes([len(orcpt)]) + orcpt
    if body is not None:
        h += bytes([len(body)]) + body
    return h + out.encode('latin-1')

for data in [
    script(0x11, 0x05, rcpt_reply=lambda i: ['250 2.1.5 Ok', '550 5.1.1 <carol@[192.0.2.1]>: Recipient address rejected'][i]),
    script(0x10, 0x05),                                                   # one command at a time
    script(0x51, 0x04, 0, 0x03, greeting='220 smtp.gmail.com ESMTP abc123.456 - gsmtp\r\n', ehlo=ehlo_gmail,
           data_reply='354  Go ahead abc123.456 - gsmtp', final_reply='250 2.0.0 OK  1700000000 - gsmtp'),
    script(0x91, 0x07, 4, greeting='220 BN8PR12CA0001.outlook.office365.com Microsoft ESMTP MAIL Service ready\r\n',
           ehlo=ehlo_exchange, final_reply='250 2.6.0 <id@example.com> Queued mail for delivery'),
    script(0x21, 0x0b, 1, 0x08, greeting='220 mx.example.net ESMTP Exim 4.96\r\n', ehlo=ehlo_exim),
    script(0x10, 0x00, ehlo='502 5.5.1 Command not implemented\r\n250 old.example\r\n'),   # EHLO refused: HELO
    script(0x11, 0x05, rcpt_reply=lambda i: ['550 5.1.1 no', '450 4.2.1 busy'][i], data_reply='554 5.5.1 Error: no valid recipients', final_reply='250 2.0.0 Ok'),
    script(0x91, 0x17, 5, 0x08),                                          # quoting, DSN parameters
    script(0x11, 0x13, 6, 0x04), script(0x01, 0x13, 7, 0x02), script(0x11, 0x03, 9, 0x10),
    script(0x71, 0x01, 0, 0, 3, 0x40, 5, body=b'.\r\n..\n\r.x\r\n.'),   # body from the input, tiny writes
    script(0x31, 0x01, 0, 0, 0, 0x80, 1),                                 # 1200-octet line, one-octet writes
    script(0x45, 0x00, 0, 0x01, 7),                                       # smuggling-like body, small buffer
    script(0x11, 0x10, 0, 0x01, ehlo=ehlo_postfix.replace('SIZE 10240000', 'SIZE 10')),  # declared SIZE too large
]:
    add('fuzz_client_session', data)

def client_header(b0, b1=0, b2=0, b3=0, b4=0, split=0x80, wchunk=0):
    return bytes([b0, b1, b2, b3, b4, split, wchunk])
lmtp_greeting = '220 foo.edu LMTP server ready\r\n'
lmtp_lhlo = '250-foo.edu\r\n250-PIPELINING\r\n250 SIZE\r\n'
lmtp_354 = '354 Start mail input; end with <CRLF>.<CRLF>\r\n'
for hdr, server in [
    (client_header(0x10), '554 5.7.1 No SMTP service here\r\n221 2.0.0 Bye\r\n'),      # greeting refused
    (client_header(0x10), '421 4.3.2 Service not available\r\n'),
    (client_header(0x11, 0x01), g220 + ehlo_postfix + '553 5.7.1 Sender address rejected\r\n554 5.5.1 no valid recipients\r\n250 Ok\r\n221 Bye\r\n'),
    (client_header(0x10), g220 + '250-mx.example\r\n251 mixed codes\r\n'),
    (client_header(0x10), g220 + '250 ok\nbare LF\r\n'),
    (client_header(0x12), g220 + '250-mx.example ' + 'x' * 100 + '\r\n250 ok\r\n'),
    (client_header(0x12), g220 + ''.join('250-LINE%d\r\n' % i for i in range(7)) + '250 end\r\n'),
    (client_header(0x10, 0x01), g220 + ehlo_postfix + '250 2.1.0 Ok\r\n421 4.4.2 timeout\r\n'),
    (client_header(0x10, 0x01), g220 + ehlo_postfix + '250 2.1.0 Ok\r\n'),             # server closes early
    (client_header(0x10, 0, 0, 0x60), '220 mx\r\n'),                                    # HELO name with CRLF
    (client_header(0x10), g220 + '550 no\r\n550 no\r\n221 bye\r\n'),                    # EHLO and HELO refused
    (client_header(0x10), g220 + '250 ok\r\n250 unexpected\r\n'),
    # LMTP, byte 1 bit 5: RFC 2033 §4.3's example (bob@ refused at RCPT, carol@ over quota
    # after the content), all delivered with CHUNKING offered, LHLO refused (no HELO),
    # and the connection closing between the replies to the content.
    (client_header(0x11, 0x22), lmtp_greeting + lmtp_lhlo + '250 2.1.0 OK\r\n550 5.1.1 No such user here\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n' + lmtp_354 + '250 2.0.0 OK\r\n452 4.2.2 <"a\\\\b\\"c d"@example.com> is temporarily over quota\r\n221 2.0.0 Bye\r\n'),
    (client_header(0x10, 0x22), lmtp_greeting + lmtp_lhlo.replace('250 SIZE', '250-CHUNKING\r\n250 SIZE') + '250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n' + lmtp_354 + '250 2.0.0 OK\r\n250 2.0.0 OK\r\n250 2.0.0 OK\r\n221 2.0.0 Bye\r\n'),
    (client_header(0x10, 0x20), lmtp_greeting + '500 5.5.1 Unknown command\r\n221 2.0.0 Bye\r\n'),
    (client_header(0x11, 0x21), lmtp_greeting + lmtp_lhlo + '250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n' + lmtp_354 + '250 2.0.0 OK\r\n421 4.3.2 Shutting down\r\n'),
]:
    add('fuzz_client_session', hdr + server.encode('latin-1'))

# STARTTLS and AUTH: bytes 7 and 8, after byte 1 bit 7 (see the target).
OPPORTUNISTIC, REQUIRED, IMPLICIT_TLS, HANDSHAKE_FAILS, IN_CLEAR = 1, 2, 4, 8, 16
def creds(n):
    return n << 5
PLAIN, LOGIN, CRAM_MD5, XOAUTH2, OAUTHBEARER, SCRAM = 1, 2, 4, 8, 16, 32
HOST_AND_PORT = 0x40
def b64(text):
    return base64.b64encode(text.encode('latin-1')).decode('ascii')
ehlo_tls = '250-mx.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n'
ehlo_plain = '250-mx.example\r\n250 PIPELINING\r\n'
ehlo_auth = ('250-mx.example\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n'
             '250 AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER SCRAM-SHA-256\r\n')
# The clear part up to the handover, with replies injected behind the 220, then NUL.
tls_220 = ehlo_tls + '220 2.0.0 Ready to start TLS\r\n250-evil.example\r\n250 PIPELINING\r\n\0'
ok235 = '235 2.7.0 Authentication successful\r\n'
bad535 = '535 5.7.8 Authentication credentials invalid\r\n'
cram_challenge = '334 ' + b64('<1896.697170952@postoffice.reston.mci.net>') + '\r\n'
login_prompts = '334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n'
# RFC 7677 §3, for the user, password and nonce of credentials 2 and 4.
scram_first = '334 ' + b64('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096') + '\r\n'
scram_final = '334 ' + b64('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=') + '\r\n'
scram_tampered = '334 ' + b64('v=6rriTRBi23WpSR/wtup+mMhUZUn/dB5nLTJRsjl95G4=') + '\r\n'
google_error = '334 ' + b64('{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}\n') + '\r\n'
bearer_error = '334 ' + b64('{"status":"invalid_token","scope":"example_scope",'
                            '"openid-configuration":"https://example.com/.well-known/openid-configuration"}') + '\r\n'
for data in [
    script(0x11, 0x01, security=(REQUIRED, 0), before_ehlo=tls_220),                    # injection dropped
    script(0x91, 0x05, security=(OPPORTUNISTIC, 0), before_ehlo=tls_220, split=0x30, wchunk=3),
    script(0x11, 0x01, security=(OPPORTUNISTIC, 0), ehlo=ehlo_tls, after_ehlo='454 4.7.0 TLS not available\r\n'),
    script(0x11, 0x01, security=(OPPORTUNISTIC, 0), ehlo=ehlo_plain),                    # not offered: clear
    script(0x11, 0x01, security=(REQUIRED | IMPLICIT_TLS | creds(1), PLAIN), ehlo=ehlo_auth, after_ehlo=ok235),
    script(0x11, 0x01, security=(REQUIRED | creds(1), PLAIN), before_ehlo=ehlo_tls + '220 go\r\n235 2.7.0 injected\r\n\0',
           ehlo=ehlo_auth, after_ehlo=ok235),                                            # STARTTLS, then PLAIN
    script(0x11, 0x01, security=(IN_CLEAR | creds(1), PLAIN), ehlo=ehlo_auth, after_ehlo=ok235),
    script(0x11, 0x01, security=(IN_CLEAR | creds(1), LOGIN), ehlo=ehlo_auth, after_ehlo=login_prompts + ok235),
    script(0x11, 0x01, security=(creds(1), CRAM_MD5), ehlo=ehlo_auth, after_ehlo=cram_challenge + ok235),
    script(0x11, 0x01, security=(IN_CLEAR | creds(3), XOAUTH2), ehlo=ehlo_auth, after_ehlo=ok235),
    script(0x11, 0x01, security=(IN_CLEAR | creds(3), OAUTHBEARER | HOST_AND_PORT), ehlo=ehlo_auth, after_ehlo=ok235),
    script(0x11, 0x01, security=(creds(2), SCRAM), ehlo=ehlo_auth, after_ehlo=scram_first + scram_final + ok235),
    script(0x11, 0x01, security=(IN_CLEAR | creds(4), 0), ehlo=ehlo_auth, after_ehlo=scram_first + scram_final + ok235),
    script(0x11, 0x01, security=(IN_CLEAR | creds(5), PLAIN), ehlo=ehlo_auth, after_ehlo='334 \r\n' + ok235),   # too long for AUTH
    script(0x11, 0x01, security=(IN_CLEAR | creds(6), XOAUTH2), ehlo=ehlo_auth, after_ehlo='334 \r\n' + ok235),
    script(0x11, 0x01, security=(IN_CLEAR | creds(7), LOGIN), ehlo=ehlo_auth, after_ehlo=login_prompts + ok235),
]:
    add('fuzz_client_session', data)

# BDAT (RFC 3030) and DSN (RFC 3461): bytes 9 and 10 and the DSN bytes, after byte 1 bit 6.
AUTOMATIC, ALWAYS, BINARY, WITH_LAST, WINDOW_512, WINDOW_1024 = 1, 2, 4, 16, 32, 64
RET_FULL, RET_HDRS = 1, 2
ORCPT_RAW, ORCPT_RFC822_RAW, ORCPT_RFC822_ADDRESS, ORCPT_RAW_TYPE = 0, 4, 8, 12
NEVER, SUCCESS, FAILURE, DELAY = 1, 2, 4, 8
ehlo_binary = ('250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n250-DSN\r\n'
               '250-ENHANCEDSTATUSCODES\r\n250-CHUNKING\r\n250 BINARYMIME\r\n')
PIPELINED_512 = 58  # one-octet chunks sent when the refusal of the second is read (a 512-octet window)
ehlo_chunking_only = '250-mx.example\r\n250 CHUNKING\r\n'
text_body = b'Subject: chunks\r\n\r\n.leading dot\r\nbare LF\nbare CR\r' + b'x' * 40 + b'\r\n.\r\n'
binary_body = bytes(range(256))[:200]
for data in [
    # Pipelined chunks of 16 octets, "BDAT 0 LAST" at the end; with LAST on the last one.
    script(0x71, 0x05, 0, 0, 0, body=text_body, bdat=(AUTOMATIC, 16)),
    script(0x71, 0x05, 0, 0, 24, body=text_body, bdat=(ALWAYS | WITH_LAST, 10)),
    # Without PIPELINING (client or server): each chunk waits for its reply.
    script(0x70, 0x01, 0, 0, 0, body=text_body, bdat=(AUTOMATIC | WITH_LAST, 7), split=0x40, wchunk=5),
    script(0x71, 0x01, 0, 0, 0, body=text_body, bdat=(AUTOMATIC, 20), ehlo=ehlo_chunking_only),
    # BODY=BINARYMIME with every octet value; BINARYMIME not offered: 8BITMIME retry.
    script(0x71, 0x01, 0, 0x02, 50, body=binary_body, bdat=(AUTOMATIC | BINARY | WITH_LAST, 64), ehlo=ehlo_binary),
    script(0x71, 0x01, 0, 0x02, 0, body=binary_body, bdat=(AUTOMATIC | BINARY, 100)),
    # A chunk refused: no chunk after it, then RSET; pipelined within a 512-octet window,
    # the chunks already sent are answered first.
    script(0x71, 0x05, 0, 0, 0, body=bytes(range(32, 127)) * 2, bdat=(AUTOMATIC | WINDOW_512, 1),
           chunk_reply=lambda k, n: '452 4.3.1 Insufficient system storage' if k == 1 else '' if k < PIPELINED_512 else None),
    script(0x70, 0x01, 0, 0, 0, body=text_body, bdat=(AUTOMATIC, 8),
           chunk_reply=lambda k, n: '554 5.6.0 Message content rejected' if k == 2 else ''),
    # Every recipient refused while the first chunk was pipelined behind them.
    script(0x71, 0x05, 0, 0, 0, body=text_body, bdat=(AUTOMATIC, 30),
           rcpt_reply=lambda i: '550 5.1.1 no such user'),
    # An empty body: "BDAT 0 LAST"; two messages; BDAT always without CHUNKING offered.
    script(0xf1, 0x05, 0, 0, 0, body=b'', bdat=(AUTOMATIC, 1)),
    script(0x71, 0x01, 0, 0, 0, body=text_body, bdat=(ALWAYS, 16), ehlo=ehlo_plain, mail_refused=True),
    # DSN: RET, ENVID needing xtext, NOTIFY, ORCPT; invalid ones (NEVER with another,
    # CR LF in ENVID, NUL in ORCPT, no ';') are refused by the client.
    script(0x71, 0x05, 0, 0, 0, body=text_body, bdat=(AUTOMATIC | WITH_LAST, 32),
           dsn=(RET_HDRS | ORCPT_RFC822_ADDRESS, SUCCESS | FAILURE | (DELAY << 4), b'QQ+314=159', b'')),
    script(0x11, 0x05, 0, 0, 0, dsn=(RET_FULL | ORCPT_RFC822_RAW, DELAY | (NEVER << 4), b'id', b'list+tag@example.net'),
           bdat=(0, 0)),
    script(0x11, 0x01, 0, 0, 0, dsn=(RET_FULL | ORCPT_RAW, NEVER | SUCCESS, b'a\r\nb', b'rfc822;x\x00y'),
           bdat=(0, 0), mail_refused=True),
    script(0x11, 0x05, 0, 0, 0, dsn=(ORCPT_RAW_TYPE, NEVER | SUCCESS | (FAILURE << 4), b'+' * 33, b'x-local'),
           bdat=(0, 0), rcpt_reply=lambda i: None if i == 0 else '250 2.1.5 Ok'),
    script(0x11, 0x05, 0, 0, 0, dsn=(RET_HDRS | ORCPT_RAW, SUCCESS | (FAILURE << 4), b'no-dsn-offered', b'rfc822;a@b'),
           bdat=(0, 0), ehlo=ehlo_exim),
    script(0x11, 0x05, 0, 0, 0, dsn=(ORCPT_RFC822_RAW, 0, b'id', b'x\x00y'), bdat=(0, 0),
           rcpt_reply=lambda i: None),
    # LMTP over BDAT (byte 1 bit 5): the LAST chunk waits for every RCPT reply and is
    # answered once per accepted recipient (RFC 2033 §4.2).
    script(0x71, 0x25, 0, 0, 0, body=text_body, bdat=(AUTOMATIC, 16), ehlo=ehlo_binary),
    script(0x71, 0x26, 0, 0, 24, body=text_body, bdat=(ALWAYS | WITH_LAST, 10), ehlo=ehlo_binary,
           lmtp_reply=lambda i: '452 4.2.2 Mailbox full' if i == 1 else '250 2.0.0 Delivered'),
    script(0x70, 0x25, 0, 0, 0, body=text_body, bdat=(AUTOMATIC | WITH_LAST, 7), ehlo=ehlo_binary,
           split=0x40, wchunk=5),
    script(0x71, 0x26, 0, 0, 0, body=text_body, bdat=(AUTOMATIC, 30), ehlo=ehlo_binary,
           rcpt_reply=lambda i: '550 5.1.1 no such user' if i == 0 else '250 2.1.5 Ok'),
    script(0x71, 0x25, 0, 0, 0, body=bytes(range(32, 127)) * 2, bdat=(AUTOMATIC | WINDOW_512, 1), ehlo=ehlo_binary,
           chunk_reply=lambda k, n: '452 4.3.1 Insufficient system storage' if k == 1 else '' if k < PIPELINED_512 else None),
    script(0xf1, 0x25, 0, 0x02, 50, body=binary_body, bdat=(AUTOMATIC | BINARY | WITH_LAST, 64), ehlo=ehlo_binary),
]:
    add('fuzz_client_session', data)

def secure_header(b7, b8, b0=0x11, b1=0x01):
    return client_header(b0, b1 | 0x80) + bytes([b7, b8])
for hdr, server in [
    (secure_header(REQUIRED, 0), g220 + ehlo_tls + '220 go\r\n\0' + ehlo_postfix),      # then EOF
    (secure_header(REQUIRED | HANDSHAKE_FAILS, 0), g220 + tls_220 + ehlo_postfix),
    (secure_header(REQUIRED, 0), g220 + ehlo_tls + '454 4.7.0 TLS not available due to temporary reason\r\n221 bye\r\n'),
    (secure_header(REQUIRED, 0), g220 + ehlo_plain + '221 bye\r\n'),                      # not offered
    (secure_header(IN_CLEAR | creds(1), PLAIN), g220 + ehlo_auth + bad535 + '221 bye\r\n'),
    (secure_header(IN_CLEAR | creds(1), LOGIN), g220 + ehlo_auth + login_prompts + bad535 + '221 bye\r\n'),
    (secure_header(creds(1), CRAM_MD5), g220 + ehlo_auth + cram_challenge + bad535 + '221 bye\r\n'),
    (secure_header(IN_CLEAR | creds(3), XOAUTH2), g220 + ehlo_auth + google_error + bad535 + '221 bye\r\n'),
    (secure_header(IN_CLEAR | creds(3), OAUTHBEARER), g220 + ehlo_auth + bearer_error + bad535 + '221 bye\r\n'),
    (secure_header(creds(2), SCRAM), g220 + ehlo_auth + scram_first + '334 ' + b64('e=invalid-proof') + '\r\n' + bad535 + '221 bye\r\n'),
    (secure_header(creds(2), SCRAM), g220 + ehlo_auth + scram_first + scram_tampered + ok235),
    (secure_header(creds(2), SCRAM), g220 + ehlo_auth + scram_first + ok235),            # no server signature
    (secure_header(IN_CLEAR | creds(1), PLAIN), g220 + ehlo_auth + '454 4.7.0 Temporary authentication failure\r\n221 bye\r\n'),
    (secure_header(creds(1), CRAM_MD5), g220 + ehlo_auth + '504 5.5.4 Unrecognized authentication type\r\n221 bye\r\n'),
    (secure_header(creds(1), PLAIN | LOGIN), g220 + ehlo_auth + '221 bye\r\n'),            # no secret in clear
    (secure_header(creds(1), CRAM_MD5), g220 + ehlo_auth + '334 \r\n501 5.7.0 cancelled\r\n221 bye\r\n'),
    (secure_header(IN_CLEAR | creds(7), 0), g220),                                           # invalid token
]:
    add('fuzz_client_session', hdr + server.encode('latin-1'))

# --- fuzz_round_trip ------------------------------------------------------------------
def mailbox(local, domain_index):
    return bytes([len(local) - 1]) + local + bytes([domain_index])
def message(sender, rcpts, body, reject=False, null=False, flags=0):
    m = bytes([0 if null else 1]) + sender
    m += bytes([(len(rcpts) - 1) | (4 if reject else 0) | flags])
    for verdict, box in rcpts:
        m += bytes([verdict]) + box
    m += struct.pack('<H', len(body)) + body
    return m
def scenario(b0, nmsg, chunk, seed, messages):
    return bytes([b0, (nmsg - 1) | ((chunk - 1) << 2)]) + struct.pack('>Q', seed) + b''.join(messages)
# local-part octets map onto chr(32 + b % 95): subtract 32 to choose characters
def lp(text):
    return bytes((ord(c) - 32) for c in text)
quoted = lp('foo@x> ORCPT=rfc822;evil')
for b0, n, chunk, seed, msgs in [
    (0x1f, 1, 7, 1, [message(mailbox(lp('alice'), 0), [(0, mailbox(lp('bob'), 0)), (4, mailbox(lp('carol'), 1))], b'Subject: hi\r\n\r\n.dot\r\nbody\r\n')]),
    (0x0f, 1, 64, 2, [message(mailbox(lp('a'), 0), [(0, mailbox(quoted, 2))], b'x' * 300, null=True)]),
    (0x3f, 3, 1, 3, [message(mailbox(lp('john "q" public'), 3), [(5, mailbox(lp('x'), 4)), (6, mailbox(lp('y'), 5))], b'\r\n.\r\n'),
                     message(mailbox(lp('s'), 6), [(7, mailbox(lp('z\\'), 7))], b'.\n.\r.\r\n', reject=True),
                     message(mailbox(lp('t'), 0), [(0, mailbox(lp('u'), 0))], b'')]),
    (0xd6, 2, 13, 4, [message(mailbox(bytes([0xf0, 0xf1]) + lp('x'), 0), [(0, mailbox(bytes([0xf5]), 1))], 'caf\u00e9 \u00ff\r\n'.encode('utf-8') + b'\x00\xff'),
                      message(mailbox(lp('b'), 0), [(1, mailbox(lp('c.d'), 0)), (2, mailbox(lp('..'), 0)), (3, mailbox(lp(' '), 0))], b'a' * 2000)]),
    (0x00, 1, 5, 5, [message(mailbox(lp('plain'), 0), [(0, mailbox(lp('r'), 0))], b'no newline at end')]),
    (0x10, 1, 2, 6, [message(mailbox(lp('p'), 0), [(4, mailbox(lp('r1'), 0)), (5, mailbox(lp('r2'), 0))], b'body\r\n')]),
]:
    add('fuzz_round_trip', scenario(b0, n, chunk, seed, msgs))

# CHUNKING (seed bit 60), BINARYMIME (61), DSN (62), a chunk size from the seed's second
# byte (63); per message RET (bits 3-4), ENVID (5), end_body() with the last piece (6);
# per recipient NOTIFY (verdict bits 3-6: NEVER, SUCCESS, FAILURE, DELAY) and ORCPT (7).
RT_CHUNKING, RT_BINARY, RT_DSN, RT_CHUNK_SIZE = 1 << 60, 1 << 61, 1 << 62, 1 << 63
RT_TLS, RT_AUTH = 1 << 56, 1 << 57
RT_RET_FULL, RT_RET_HDRS, RT_ENVID, RT_WITH_LAST = 8, 16, 32, 64
RT_NEVER, RT_SUCCESS, RT_FAILURE, RT_DELAY, RT_ORCPT = 8, 16, 32, 64, 128
def chunk_size(n):
    return RT_CHUNK_SIZE | (n - 1) << 48
binary = bytes(range(256))
for b0, n, chunk, seed, msgs in [
    (0x1f, 1, 5, RT_CHUNKING | RT_DSN | chunk_size(7) | 7,
     [message(mailbox(lp('a+b=c d'), 0), [(RT_SUCCESS | RT_FAILURE | RT_ORCPT, mailbox(lp('bob'), 0)),
                                          (4 | RT_NEVER, mailbox(lp('carol'), 1)),
                                          (RT_DELAY | RT_ORCPT, mailbox(lp('x+y=z w'), 2))],
              b'Subject: chunks\r\n\r\n.dot\r\nbare LF\n' + b'z' * 100, flags=RT_RET_FULL | RT_ENVID | RT_WITH_LAST)]),
    (0x02, 1, 64, RT_CHUNKING | RT_BINARY | 9, [message(mailbox(lp('bin'), 0), [(0, mailbox(lp('r'), 0))], binary * 3)]),
    (0x11, 1, 3, RT_CHUNKING | chunk_size(1) | 3,
     [message(mailbox(lp('s'), 0), [(4, mailbox(lp('r1'), 0)), (5, mailbox(lp('r2'), 0))], b'never delivered\r\n')]),
    (0x37, 3, 17, RT_CHUNKING | RT_DSN | RT_TLS | RT_AUTH | chunk_size(200) | 11,
     [message(mailbox(lp('one'), 0), [(RT_NEVER | RT_ORCPT, mailbox(lp('u'), 0))], b'', flags=RT_RET_HDRS),
      message(mailbox(lp('two'), 1), [(RT_SUCCESS, mailbox(lp('v'), 0))], b'x' * 600, reject=True, flags=RT_ENVID),
      message(mailbox(lp('three'), 2), [(7, mailbox(lp('w'), 0))], b'.\r\n', flags=RT_WITH_LAST)]),
    (0x10, 1, 9, RT_DSN | 13, [message(mailbox(lp('d s n'), 3), [(RT_FAILURE | RT_DELAY | RT_ORCPT, mailbox(lp('q'), 4))],
                                      b'DATA with DSN\r\n', flags=RT_RET_HDRS | RT_ENVID, null=True)]),
]:
    add('fuzz_round_trip', scenario(b0, n, chunk, seed, msgs))

rng = random.Random(20261123)
for k in range(12):
    msgs = []
    n = 1 + k % 3
    for m in range(n):
        sender = mailbox(bytes(rng.randrange(256) for _ in range(1 + rng.randrange(12))), rng.randrange(8))
        rcpts = [(rng.randrange(8), mailbox(bytes(rng.randrange(256) for _ in range(1 + rng.randrange(10))), rng.randrange(8)))
                 for _ in range(1 + rng.randrange(4))]
        alphabet = b'..\r\n\r\nab \x00\xff\xc3'
        body = bytes(rng.choice(alphabet) for _ in range(rng.choice([0, 3, 40, 300, 1500])))
        msgs.append(message(sender, rcpts, body, reject=rng.randrange(5) == 0, null=rng.randrange(6) == 0))
    add('fuzz_round_trip', scenario(rng.randrange(256), n, 1 + rng.randrange(64), rng.getrandbits(64), msgs))

for cfg, text in [
    (0, 'mx.google.com at your service\r\nSIZE 157286400\r\n8BITMIME\r\nAUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\nENHANCEDSTATUSCODES\r\nPIPELINING\r\nCHUNKING\r\nSMTPUTF8\r\n'),
    (0, 'smtp.office365.com Hello [203.0.113.5]\r\nSIZE 157286400\r\nPIPELINING\r\nDSN\r\nENHANCEDSTATUSCODES\r\nAUTH LOGIN XOAUTH2\r\n8BITMIME\r\nBINARYMIME\r\nCHUNKING\r\nSMTPUTF8\r\n'),
    (0, 'localhost\r\nSIZE 18446744073709551615\r\nSIZE 18446744073709551616\r\n'),
    (0, '[192.0.2.1]\r\nAUTH\r\nAUTH  \r\nAUTH=\r\n'),
    (0, 'x\r\n' + 'K' * 1030 + '\r\nSTARTTLS\r\n'),
]:
    add('fuzz_capabilities', bytes([cfg]) + text.encode('latin-1'))

# --- fuzz_sasl ------------------------------------------------------------------
# byte 0: the entry point (mod 10); writer modes take length-prefixed arguments.
def lpa(*parts):
    return b''.join(bytes([len(p)]) + p for p in parts)
token = b'vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=='
for mode, data in [
    (0, b'\x00tim\x00tanstaaftanstaaf'), (0, b'Ursel\x00Kurt\x00xipj3plmq'), (0, b'test\x00test\x001234'),
    (0, u('\x00jörg\x00pä:ss wörd')), (0, b'\x00tim'), (0, b'a\x00b\x00c\x00d'), (0, b'\x00u\x00p\xc0\xaf'),
    (1, lpa(b'', b'tim') + b'tanstaaftanstaaf'), (1, lpa(b'Ursel', b'Kurt') + b'xipj3plmq'),
    (1, lpa(b'a\x00', b'u') + b'p'),
    (2, b'user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01'),
    (2, b'user=u\x01auth=bearer  t==\x01\x01'), (2, b'user=u\x01auth=Bearer t\x01x=y\x01\x01'),
    (3, lpa(b'someuser@example.com') + b'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg'),
    (4, b'n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer ' + token + b'\x01\x01'),
    (4, b'n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=\x01\x01'),
    (4, b'y,,\x01auth=bearer t\x01qs=\x01port=1\x01host=h h\x01\x01'), (4, b'n,a=a=2Cb,\x01auth=Bearer t\x01\x01'),
    (4, b'p=tls-unique,,\x01auth=Bearer t\x01\x01'), (4, b'n,user=someuser@example.com,\x01auth=Bearer t\x01\x01'),
    (4, b'\x01'),
    (5, lpa(b'user@example.com', b'server.example.com') + bytes([143, 0]) + token),
    (5, lpa(b'a,b=c', b'') + bytes([0, 0])),
    (6, b'{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-config"}'),
    (6, b'{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}\n'),
    (6, b' {"status" : 401, "n": -1.5e+3, "t": true, "z": null, "u": "\\u00e9\\/\\ud83d\\udd11"} '),
    (6, b'{"status":"a","x":[1]}'), (6, b'{"status":"\\ud83d"}'),
    (7, b'rfc822;George+20@Tax-+20ME+20.GOV'), (7, b'e+3Dmc2@example.com'), (7, b'<>'), (7, b'+2b'),
    (7, bytes(range(256))),
    (8, b'n,a=user@example.com,\x01'), (8, b'F,p=tls-exporter,a=x=2Cy,'), (8, b'a=2Cb=3Dc'), (8, b'n,a=x=2c,'),
    (9, b'LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH'), (9, b'scram-sha-256'),
    (9, b'Username:'), (9, b'Bearer ' + token), (9, b'BEARER  a=b'),
]:
    add('fuzz_sasl', bytes([mode]) + data)

# --- fuzz_proxy_protocol ------------------------------------------------------------
# byte 0 the v2 limit (0: 536, else 4 times it); byte 1 a split offset; byte 2 the piece
# size - 1, high bit: the first CRC32C TLV gets the header's checksum.
V2_SIGNATURE = b'\r\n\r\n\x00\r\nQUIT\n'

def v2(ver_cmd, family, block):
    return V2_SIGNATURE + bytes([ver_cmd, family]) + struct.pack('>H', len(block)) + block

def tlv(kind, value):
    return bytes([kind]) + struct.pack('>H', len(value)) + value

ipv4_block = bytes([192, 0, 2, 1, 198, 51, 100, 25]) + struct.pack('>HH', 49152, 25)
ipv6_block = (bytes.fromhex('20010db8000000000000000000000001') +
              bytes.fromhex('20010db8000000000000000000000025') + struct.pack('>HH', 49152, 587))
ssl_tlv = tlv(0x20, b'\x07\x00\x00\x00\x00' + tlv(0x21, b'TLSv1.3') + tlv(0x22, b'client.example') +
              tlv(0x23, b'TLS_AES_256_GCM_SHA384') + tlv(0x24, b'SHA256') + tlv(0x25, b'RSA2048'))
crc_tlv = tlv(0x03, b'\x00' * 4)
ffff = b'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'
# A header HAProxy 2.6 sent with "send-proxy-v2 proxy-v2-options crc32c,unique-id".
haproxy_v2 = bytes.fromhex(
    '0d0a0d0a000d0a515549540a211100447f0000017f0000015ba2b8cf0300047057d0c905002e3746'
    '3030303030313a354241325f37463030303030313a423843465f36423130343037315f303030303a'
    '36353732')
for head, data in [
    (b'\x00\x80\x00', b'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n\r\n'),
    (b'\x00\x40\x03', b'PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n'),
    (b'\x00\x40\x07', b'PROXY TCP6 ' + ffff + b' ' + ffff + b' 65535 65535\r\n'),
    (b'\x00\x80\x01', b'PROXY TCP6 2001:db8::1 ::ffff:192.0.2.1 0 25\r\nEHLO client.example\r\n'),
    (b'\x00\x80\x01', b'PROXY TCP6 2001:DB8:0:0:0:0:0:1 1:2:3:4:5:6:1.2.3.4 1 2\r\n'),
    (b'\x00\x20\x00', b'PROXY UNKNOWN\r\nQUIT\r\n'),
    (b'\x00\x20\x00', b'PROXY UNKNOWN ' + ffff + b' ' + ffff + b' 65535 65535\r\n'),
    (b'\x00\x80\x02', b'PROXY TCP4 192.168.0.01 1.2.3.4 0443 25\r\n'),
    (b'\x00\x80\x02', b'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n'),
    (b'\x00\x80\x02', b'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n'),
    (b'\x00\x80\x02', b'EHLO client.example\r\n'),
    (b'\x00\x80\x05', v2(0x21, 0x11, ipv4_block) + b'EHLO client.example\r\n'),
    (b'\x00\x80\x05', v2(0x21, 0x21, ipv6_block)),
    (b'\x00\x80\x05', v2(0x21, 0x12, ipv4_block + tlv(0x01, b'smtp'))),
    (b'\x00\x80\x0f', haproxy_v2 + b'QUIT\r\n'),
    (b'\x00\x80\x8f', v2(0x21, 0x11, ipv4_block + crc_tlv + tlv(0x05, b'id') + ssl_tlv)),
    (b'\x00\x80\x8f', v2(0x21, 0x21, ipv6_block + tlv(0x01, b'smtp') + tlv(0x02, b'mx.example.com') +
                         tlv(0x04, b'') + tlv(0x30, b'blue') + tlv(0xea, b'vpce-0123') + crc_tlv)),
    (b'\x00\x80\x03', v2(0x20, 0x00, b'') + b'EHLO\r\n'),
    (b'\x00\x80\x03', v2(0x20, 0x11, ipv4_block)),
    (b'\x00\x80\x03', v2(0x21, 0x00, b'\x01\x02\x03')),
    (b'\x00\x80\x1f', v2(0x21, 0x31, b'/run/a.sock'.ljust(108, b'\x00') + b'/run/b.sock'.ljust(108, b'\x00'))),
    (b'\x05\x80\x03', v2(0x21, 0x11, ipv4_block + tlv(0x04, b'n' * 10))),
    (b'\x00\x80\x03', v2(0x22, 0x11, ipv4_block)),
    (b'\x00\x80\x03', v2(0x21, 0x13, ipv4_block)),
    (b'\x00\x80\x03', v2(0x21, 0x11, ipv4_block + b'\x01\x00\x05smtp')),
]:
    add('fuzz_proxy_protocol', head + data)

# --- write --------------------------------------------------------------------------------
for target, items in seeds.items():
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    for data in items:
        name = hashlib.sha256(data).hexdigest()
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)
    print(target, len(items), 'seeds')
