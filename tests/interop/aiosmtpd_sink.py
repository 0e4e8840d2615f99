"""An aiosmtpd server for the smtpwire-send tests: stores each message it accepts.

Run with a Python that can import aiosmtpd (Debian: python3-aiosmtpd for /usr/bin/python3):
    python3 aiosmtpd_sink.py DIR [--reject-rcpt ADDR]... [--cert FILE --key FILE
        [--require-starttls | --implicit-tls]] [--auth USER:PASS [--auth-in-clear]
        [--auth-exclude MECH]...]
Listens on 127.0.0.1 on a port the system picks, prints "listening on 127.0.0.1:PORT",
and writes message N as DIR/N.eml (the content as aiosmtpd hands it over: dot-stuffing
removed, line ends as received) and DIR/N.json (the envelope, and whether the session
was in TLS and authenticated). SMTPUTF8 is offered; recipients named with --reject-rcpt
get 550 5.1.1. Stops on SIGTERM.

With --cert and --key it offers STARTTLS (RFC 3207), refusing mail before it with
--require-starttls; with --implicit-tls the connection is TLS from the first byte
(RFC 8314), like aiosmtpd's Controller with ssl_context. The server name each TLS client
sends (SNI) is appended to DIR/sni.txt, "-" for none. With --auth it offers AUTH PLAIN
and LOGIN (less any --auth-exclude), only inside TLS unless --auth-in-clear, and accepts
exactly those credentials.
"""

import argparse
import asyncio
import json
import os
import signal
import ssl

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class StoringHandler:

    def __init__(self, directory, rejected):
        self.directory = directory
        self.rejected = rejected
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
        return '250 2.0.0 stored as %d' % self.count


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
    handler = StoringHandler(args.directory, set(args.reject_rcpt))
    context = tls_context(args) if args.cert else None
    options = {'hostname': 'aiosmtpd.test', 'enable_SMTPUTF8': True}
    if context and not args.implicit_tls:
        options.update(tls_context=context, require_starttls=args.require_starttls)
    if args.auth:
        user, _, password = args.auth.partition(':')
        # aiosmtpd only counts STARTTLS as TLS: with implicit TLS, AUTH must be allowed
        # "in clear" to be offered at all (the connection is TLS from the first byte).
        options.update(authenticator=Authenticator(user, password),
                       auth_require_tls=not (args.auth_in_clear or args.implicit_tls),
                       auth_exclude_mechanism=args.auth_exclude)
    server = await loop.create_server(lambda: SMTP(handler, **options), '127.0.0.1', 0,
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
    parser.add_argument('--cert')
    parser.add_argument('--key')
    parser.add_argument('--require-starttls', action='store_true')
    parser.add_argument('--implicit-tls', action='store_true')
    parser.add_argument('--auth')
    parser.add_argument('--auth-in-clear', action='store_true')
    parser.add_argument('--auth-exclude', action='append', default=[])
    args = parser.parse_args()
    if bool(args.cert) != bool(args.key) or (
            (args.require_starttls or args.implicit_tls) and not args.cert):
        parser.error('--cert and --key go together, and TLS options need them')
    asyncio.run(serve(args))


if __name__ == '__main__':
    main()
