"""An aiosmtpd server for the smtpwire-send tests: stores each message it accepts.

Run with a Python that can import aiosmtpd (Debian: python3-aiosmtpd for /usr/bin/python3):
    python3 aiosmtpd_sink.py DIR [--reject-rcpt ADDR]... [--cert FILE --key FILE
        [--require-starttls | --implicit-tls]] [--auth USER:PASS] [--oauth USER:TOKEN]
        [--auth-in-clear] [--auth-exclude MECH]...
Listens on 127.0.0.1 on a port the system picks, prints "listening on 127.0.0.1:PORT",
and writes message N as DIR/N.eml (the content as aiosmtpd hands it over: dot-stuffing
removed, line ends as received) and DIR/N.json (the envelope, and whether the session
was in TLS and authenticated). SMTPUTF8 is offered; recipients named with --reject-rcpt
get 550 5.1.1. Stops on SIGTERM. With --lmtp it speaks LMTP (aiosmtpd.lmtp.LMTP, RFC 2033)
and answers the content once per recipient: 550 5.2.1 to those named with
--refuse-delivery, 250 to the others (the message is stored once for all).

With --cert and --key it offers STARTTLS (RFC 3207), refusing mail before it with
--require-starttls; with --implicit-tls the connection is TLS from the first byte
(RFC 8314), like aiosmtpd's Controller with ssl_context. The server name each TLS client
sends (SNI) is appended to DIR/sni.txt, "-" for none. With --auth it offers AUTH PLAIN
and LOGIN (less any --auth-exclude), only inside TLS unless --auth-in-clear, and accepts
exactly those credentials.

With --oauth it offers XOAUTH2 and OAUTHBEARER too (as handler methods auth_XOAUTH2 and
auth_OAUTHBEARER), reads the client's messages itself, and accepts exactly that user
and bearer token (without --auth, PLAIN and LOGIN accept no one). A refused token gets the JSON error object as a 334 challenge, then,
once the client has acknowledged it (XOAUTH2: an empty response; OAUTHBEARER: ^A, RFC
7628 §3.2.3), 535 5.7.8. Each exchange is appended to DIR/auth.jsonl as one JSON
object: "mechanism", "initial_response" (whether the AUTH line carried the message),
"tls", "fields" (what the message held, null if it is malformed), "accepted", and
"acknowledgement" (the client's decoded answer to the error challenge, or null).
"""

import argparse
import asyncio
import base64
import binascii
import json
import os
import re
import signal
import ssl

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, LoginPassword


class StoringHandler:

    def __init__(self, directory, rejected, refused_delivery=()):
        self.directory = directory
        self.rejected = rejected
        self.refused_delivery = set(refused_delivery)
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.rejected:
            return '550 5.1.1 Recipient rejected'
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return '250 2.1.5 OK'

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        stem = os.path.join(self.directory, str(self.count))
        with open(stem + '.eml', 'wb') as f:
            f.write(envelope.content)
        with open(stem + '.json', 'w', encoding='utf-8') as f:
            json.dump({'helo': session.host_name, 'mail_from': envelope.mail_from,
                       'mail_options': envelope.mail_options, 'rcpt_to': envelope.rcpt_tos,
                       'smtputf8': envelope.smtp_utf8,
                       # session.ssl is only set by STARTTLS; this covers implicit TLS too.
                       'tls': server.transport.get_extra_info('ssl_object') is not None,
                       'authenticated': bool(session.authenticated)}, f)
        if isinstance(server, LMTP):
            # RFC 2033 §4.2: one reply per accepted recipient, in RCPT order.
            return '\r\n'.join('550 5.2.1 Delivery refused' if rcpt in self.refused_delivery
                                 else '250 2.0.0 stored as %d' % self.count
                                 for rcpt in envelope.rcpt_tos)
        return '250 2.0.0 stored as %d' % self.count


def parse_xoauth2(message):
    """Google's XOAUTH2 message, "user=" USER ^A "auth=Bearer " TOKEN ^A ^A, as
    {"user", "token"}; None when it is laid out otherwise."""
    if not message.endswith(b'\x01\x01'):
        return None
    fields = message[:-2].split(b'\x01')
    if (len(fields) != 2 or not fields[0].startswith(b'user=')
            or not fields[1].startswith(b'auth=Bearer ')):
        return None
    return {'user': fields[0][5:].decode('utf-8'), 'token': fields[1][12:].decode('ascii')}


# RFC 7628 §3.1 with RFC 5801 §4: the GS2 header of OAUTHBEARER, "n," (no channel
# binding), an optional "a=" saslname, ","; a saslname writes ',' as =2C and '=' as =3D.
GS2_HEADER = re.compile(rb'n,(?:a=((?:[^,=]|=2C|=3D)+))?,')
KEY = re.compile(rb'[A-Za-z]+')


def parse_oauthbearer(message):
    """An OAUTHBEARER client response (RFC 7628 §3.1), gs2-header ^A *(key "=" value ^A)
    ^A, as {"authzid", "host", "port", "token", "keys"} (None for a missing authzid, host
    or port; "keys" in the order sent); None when it does not parse or "auth" is not
    "Bearer " and a token."""
    if not message.endswith(b'\x01\x01'):
        return None
    header, *pairs = message[:-2].split(b'\x01')
    gs2 = GS2_HEADER.fullmatch(header)
    if gs2 is None:
        return None
    values = {}
    for pair in pairs:
        key, equals, value = pair.partition(b'=')
        if not equals or not KEY.fullmatch(key) or key in values:
            return None
        values[key] = value
    auth = values.get(b'auth', b'')
    if not auth.startswith(b'Bearer '):
        return None
    authzid = gs2.group(1)
    if authzid is not None:
        authzid = authzid.replace(b'=2C', b',').replace(b'=3D', b'=').decode('utf-8')
    host, port = (values[key].decode('ascii') if key in values else None
                  for key in (b'host', b'port'))
    return {'authzid': authzid, 'host': host, 'port': port, 'token': auth[7:].decode('ascii'),
            'keys': [key.decode('ascii') for key in values]}


class OAuthHandler(StoringHandler):
    """A StoringHandler that also runs XOAUTH2 and OAUTHBEARER (aiosmtpd offers each
    auth_<MECH> method of its handler) for one user and bearer token."""

    def __init__(self, directory, rejected, user, token):
        super().__init__(directory, rejected)
        self.user = user
        self.token = token

    async def auth_XOAUTH2(self, server, args):
        error = {'status': '401', 'schemes': 'bearer', 'scope': 'https://mail.example/'}
        return await self.exchange(server, args, 'XOAUTH2', parse_xoauth2, 'user', error, b'')

    async def auth_OAUTHBEARER(self, server, args):
        error = {'status': 'invalid_token', 'scope': 'mail',
                 'openid-configuration': 'https://auth.example/.well-known/openid-configuration'}
        return await self.exchange(server, args, 'OAUTHBEARER', parse_oauthbearer, 'authzid',
                                   error, b'\x01')

    async def exchange(self, server, args, mechanism, parse, user_field, error,
                       acknowledgement):
        """One AUTH exchange: the message from the AUTH line or after an empty 334, parsed
        by `parse`; the user in `user_field` and the token checked; a refusal sends
        `error` and waits for `acknowledgement`."""
        record = {'mechanism': mechanism, 'initial_response': len(args) == 2,
                  'tls': server.transport.get_extra_info('ssl_object') is not None,
                  'fields': None, 'accepted': False, 'acknowledgement': None}
        if len(args) == 2:
            try:
                message = base64.b64decode(args[1], validate=True)
            except binascii.Error:
                message = MISSING
                await server.push("501 5.5.2 Can't decode base64")
        else:
            message = await server.challenge_auth('')  # answers '*' and bad base64 itself
        if message is MISSING:
            self.record(record)
            return AuthResult(success=False, handled=True)
        fields = record['fields'] = parse(message)
        if fields is None:
            self.record(record)
            return AuthResult(success=False, handled=False)  # 535
        accepted = record['accepted'] = (fields[user_field], fields['token']) == (self.user,
                                                                                  self.token)
        if not accepted:
            answer = await server.challenge_auth(json.dumps(error, separators=(',', ':')))
            if answer is MISSING:
                self.record(record)
                return AuthResult(success=False, handled=True)
            record['acknowledgement'] = answer.decode('latin-1')
            if answer != acknowledgement:
                self.record(record)
                await server.push('501 5.5.2 Expected the acknowledgement of the error')
                return AuthResult(success=False, handled=True)
        self.record(record)
        return AuthResult(success=accepted, handled=False, auth_data=fields[user_field])

    def record(self, record):
        with open(os.path.join(self.directory, 'auth.jsonl'), 'a', encoding='utf-8') as f:
            f.write(json.dumps(record) + '\n')


class LongLineSMTP(SMTP):
    """aiosmtpd's SMTP reading lines of up to 64 KiB: challenge_auth() reads the client's
    response through a stream whose limit is line_length_limit, 1001 octets by default,
    fewer than a response carrying a long token needs."""
    line_length_limit = 65536


class Authenticator:
    """Accepts exactly one user name and password, by any mechanism."""

    def __init__(self, user, password):
        self.expected = LoginPassword(user.encode(), password.encode())

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data == self.expected
        # handled=False: aiosmtpd answers a failure itself (535 5.7.8).
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def tls_context(args):
    """The server's TLS context, which records each client's SNI in DIR/sni.txt."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)

    def record_sni(ssl_object, server_name, ssl_context):
        with open(os.path.join(args.directory, 'sni.txt'), 'a', encoding='utf-8') as f:
            f.write('%s\n' % (server_name or '-'))

    context.sni_callback = record_sni
    return context


async def serve(args):
    loop = asyncio.get_running_loop()
    if args.oauth:
        user, _, token = args.oauth.partition(':')
        handler = OAuthHandler(args.directory, set(args.reject_rcpt), user, token)
    else:
        handler = StoringHandler(args.directory, set(args.reject_rcpt), args.refuse_delivery)
    context = tls_context(args) if args.cert else None
    options = {'hostname': 'aiosmtpd.test', 'enable_SMTPUTF8': True}
    if context and not args.implicit_tls:
        options.update(tls_context=context, require_starttls=args.require_starttls)
    if args.auth:
        user, _, password = args.auth.partition(':')
        options.update(authenticator=Authenticator(user, password))
    if args.auth or args.oauth:
        # aiosmtpd only counts STARTTLS as TLS: with implicit TLS, AUTH must be allowed
        # "in clear" to be offered at all (the connection is TLS from the first byte).
        options.update(auth_require_tls=not (args.auth_in_clear or args.implicit_tls),
                       auth_exclude_mechanism=args.auth_exclude)
    smtp = LongLineSMTP if args.oauth else LMTP if args.lmtp else SMTP
    server = await loop.create_server(lambda: smtp(handler, **options), '127.0.0.1', 0,
                                      ssl=context if args.implicit_tls else None)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print('listening on 127.0.0.1:%d' % server.sockets[0].getsockname()[1], flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main():
    parser = argparse.ArgumentParser(usage=__doc__)
    parser.add_argument('directory')
    parser.add_argument('--reject-rcpt', action='append', default=[])
    parser.add_argument('--lmtp', action='store_true')
    parser.add_argument('--refuse-delivery', action='append', default=[])
    parser.add_argument('--cert')
    parser.add_argument('--key')
    parser.add_argument('--require-starttls', action='store_true')
    parser.add_argument('--implicit-tls', action='store_true')
    parser.add_argument('--auth')
    parser.add_argument('--oauth')
    parser.add_argument('--auth-in-clear', action='store_true')
    parser.add_argument('--auth-exclude', action='append', default=[])
    args = parser.parse_args()
    if bool(args.cert) != bool(args.key) or (
            (args.require_starttls or args.implicit_tls) and not args.cert):
        parser.error('--cert and --key go together, and TLS options need them')
    asyncio.run(serve(args))


if __name__ == '__main__':
    main()
