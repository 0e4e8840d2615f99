"""An aiosmtpd server for the smtpwire-send tests: stores each message it accepts.

Run with a Python that can import aiosmtpd (Debian: python3-aiosmtpd for /usr/bin/python3):
    python3 aiosmtpd_sink.py DIR [--reject-rcpt ADDR]...
Listens on 127.0.0.1 on a port the system picks, prints "listening on 127.0.0.1:PORT",
and writes message N as DIR/N.eml (the content as aiosmtpd hands it over: dot-stuffing
removed, line ends as received) and DIR/N.json (the envelope). SMTPUTF8 is offered;
recipients named with --reject-rcpt get 550 5.1.1. Stops on SIGTERM.
"""

import asyncio
import json
import os
import signal
import sys

from aiosmtpd.smtp import SMTP


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
                       'smtputf8': envelope.smtp_utf8}, f)
        return '250 2.0.0 stored as %d' % self.count


async def serve(directory, rejected):
    loop = asyncio.get_running_loop()
    handler = StoringHandler(directory, rejected)
    server = await loop.create_server(
        lambda: SMTP(handler, hostname='aiosmtpd.test', enable_SMTPUTF8=True),
        '127.0.0.1', 0)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print('listening on 127.0.0.1:%d' % server.sockets[0].getsockname()[1], flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    directory, rest = args[0], args[1:]
    if len(rest) % 2 or any(flag != '--reject-rcpt' for flag in rest[::2]):
        sys.exit(__doc__)
    asyncio.run(serve(directory, set(rest[1::2])))


if __name__ == '__main__':
    main()
