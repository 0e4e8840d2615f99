#!/usr/bin/env python3
"""Runs smtpwire-serve --discard and Postfix's smtp-sink side by side under the same loads
(smtp-source, smtpwire-load) on 127.0.0.1, and prints the median figures and ratios.

Each measurement starts a fresh server pinned to one CPU (taskset) and runs one load pinned
to another; within a repetition the peers take turns, in alternating order. For each peer:
messages/s (the load's wall time), the server's CPU time per message (utime + stime from
/proc/PID/stat, read before and after the load, in clock ticks) and its peak RSS (VmHWM).
A second table drives smtp-sink over one connection with smtp-source and with smtpwire-load,
and compares the clients' own CPU time. A third runs smtpwire-serve with one and with two
event loops (--workers) under the pipelined load. A benchmark, not a test: see docs/performance.md.

    tests/bench/compare.py --serve build/release/examples/smtpwire-serve \\
                           --load build/release/examples/smtpwire-load
"""

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TICKS = os.sysconf('SC_CLK_TCK')
STEP_TIMEOUT = 10


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_accepting(port, proc):
    """Waits until something accepts connections on 127.0.0.1:`port`."""
    deadline = time.monotonic() + STEP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit('the server exited at startup (status %s)' % proc.returncode)
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    sys.exit('the server on port %d did not start listening' % port)


def cpu_ticks(pid):
    """utime + stime of process `pid`, in clock ticks (fields 14 and 15 of stat)."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[11]) + int(fields[12])


def peak_rss_kib(pid):
    """VmHWM of process `pid`, in KiB."""
    with open('/proc/%d/status' % pid) as f:
        return int(re.search(r'^VmHWM:\s+(\d+) kB', f.read(), re.M).group(1))


class Server:
    """One server process pinned to `cpu` (a taskset list: "0", "0,1"), on a port of
    127.0.0.1; stopped by close(). smtpwire-serve runs `workers` event loops."""

    def __init__(self, kind, args, cpu, tmp, max_connections=10000, workers=1):
        pin = ['taskset', '-c', str(cpu)]
        if kind in ('smtpwire', 'baseline'):
            binary = args.serve if kind == 'smtpwire' else args.baseline_serve
            command = pin + [binary, '--discard', '--listen', '127.0.0.1:0',
                             '--maildir', os.path.join(tmp, 'mail'), '--hostname', 'serve.test',
                             '--max-connections', str(max_connections)]
            if workers != 1:
                command += ['--workers', str(workers)]
            self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            line = self.proc.stdout.readline()
            m = re.fullmatch(rb'listening on 127\.0\.0\.1:(\d+)\n', line)
            if not m:
                sys.exit('smtpwire-serve printed %r' % line)
            self.port = int(m.group(1))
        else:
            self.port = free_port()
            user = ['-u', 'nobody'] if os.geteuid() == 0 else []
            command = pin + [args.smtp_sink, *user, '-h', 'sink.test', '-m', str(max_connections),
                             '127.0.0.1:%d' % self.port, '1024']
            self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_accepting(self.port, self.proc)

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STEP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def run_client(command, cpu):
    """Runs `command` pinned to `cpu` (a taskset list); returns (wall seconds, CPU seconds of the client).
    Exits when it fails."""
    start = time.monotonic()
    proc = subprocess.Popen(['taskset', '-c', str(cpu)] + command, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode('utf-8', 'replace')
    proc.stderr.close()
    if proc.returncode != 0:
        sys.exit('%s failed (%d): %s' % (' '.join(command), proc.returncode, err))
    return wall, usage.ru_utime + usage.ru_stime


def loads(args):
    """The loads of the first table: (name, messages, command for a port)."""
    source, load = args.smtp_source, args.load
    pc, n, big = args.per_connection_messages, args.messages, args.large_messages
    return [
        ('smtp-source, 1 msg/conn, 20 at once, 1 KiB', pc,
         lambda p: [source, '-s', '20', '-m', str(pc), '-l', '1024', '127.0.0.1:%d' % p]),
        ('smtp-source, 1 msg/conn, 20 at once, 100 KiB', max(1, pc // 10),
         lambda p: [source, '-s', '20', '-m', str(max(1, pc // 10)), '-l', '102400',
                    '127.0.0.1:%d' % p]),
        ('smtp-source, 20 long sessions, 1 KiB', n,
         lambda p: [source, '-d', '-s', '20', '-m', str(n), '-l', '1024', '127.0.0.1:%d' % p]),
        ('smtp-source, 20 long sessions, 100 KiB', big,
         lambda p: [source, '-d', '-s', '20', '-m', str(big), '-l', '102400',
                    '127.0.0.1:%d' % p]),
        ('smtpwire-load, 20 pipelined sessions, 1 KiB', n,
         lambda p: [load, '--server', '127.0.0.1:%d' % p, '--sessions', '20',
                    '--messages', str(n), '--size', '1024']),
    ]


def client_loads(args):
    """The loads of the second table, over one connection to smtp-sink."""
    source, load, n = args.smtp_source, args.load, args.messages
    return [
        ('smtp-source -d -s 1', lambda p: [source, '-d', '-s', '1', '-m', str(n), '-l', '1024',
                                           '127.0.0.1:%d' % p]),
        ('smtpwire-load --no-pipelining', lambda p: [load, '--server', '127.0.0.1:%d' % p,
                                                     '--sessions', '1', '--messages', str(n),
                                                     '--size', '1024', '--no-pipelining']),
        ('smtpwire-load (pipelining)', lambda p: [load, '--server', '127.0.0.1:%d' % p,
                                                  '--sessions', '1', '--messages', str(n),
                                                  '--size', '1024']),
    ] + ([
        ('--baseline-load (pipelining)', lambda p: [args.baseline_load, '--server', '127.0.0.1:%d' % p,
                                                    '--sessions', '1', '--messages', str(n),
                                                    '--size', '1024']),
    ] if args.baseline_load else [])


def measure(kind, command, messages, args, tmp):
    """One load against a fresh server: msgs/s, server CPU us/message, peak RSS KiB."""
    server = Server(kind, args, args.server_cpu, tmp)
    try:
        before = cpu_ticks(server.proc.pid)
        wall, _ = run_client(command(server.port), args.load_cpu)
        time.sleep(0.05)  # the server's last closes
        used = (cpu_ticks(server.proc.pid) - before) / TICKS
        rss = peak_rss_kib(server.proc.pid)
    finally:
        server.close()
    return {'msgs': messages / wall, 'cpu_us': used * 1e6 / messages, 'rss': rss}


def median_of(rows, key):
    return statistics.median(r[key] for r in rows)


def ratio_text(pairs):
    """The median of a / b over `pairs`, as text; "-" when some b is 0 (a CPU time below
    one clock tick: give the load more messages)."""
    if any(b == 0 for _, b in pairs):
        return '-'
    return '%.2f' % statistics.median(a / b for a, b in pairs)


def server_table(args, tmp):
    peers = ['smtpwire', 'smtp-sink'] + (['baseline'] if args.baseline_serve else [])
    print('## Servers: smtpwire-serve --discard vs smtp-sink (median of %d; ratios per '
          'repetition, smtpwire / smtp-sink)' % args.repetitions)
    print()
    print('| load | peer | msgs/s | server CPU us/msg | peak RSS KiB | msgs/s ratio | CPU ratio | RSS ratio |')
    print('|---|---|---|---|---|---|---|---|')
    for name, messages, command in loads(args):
        results = {p: [] for p in peers}
        for rep in range(args.repetitions):
            order = peers if rep % 2 == 0 else peers[::-1]
            for peer in order:
                results[peer].append(measure(peer, command, messages, args, tmp))
        for peer in peers:
            rows = results[peer]
            pairs = list(zip(rows, results['smtp-sink']))
            print('| %s | %s | %.0f | %.1f | %d | %s | %s | %s |' % (
                name, peer, median_of(rows, 'msgs'), median_of(rows, 'cpu_us'),
                median_of(rows, 'rss'),
                *(ratio_text([(a[k], b[k]) for a, b in pairs]) for k in ('msgs', 'cpu_us', 'rss'))))
        sys.stdout.flush()
    print()


def client_table(args, tmp):
    print('## Clients: one connection to smtp-sink, %d messages of 1 KiB (median of %d; ratios '
          'to smtp-source per repetition)' % (args.messages, args.repetitions))
    print()
    print('| client | msgs/s | client CPU us/msg | msgs/s ratio | CPU ratio |')
    print('|---|---|---|---|---|')
    clients = client_loads(args)
    results = {name: [] for name, _ in clients}
    for rep in range(args.repetitions):
        order = clients if rep % 2 == 0 else clients[::-1]
        for name, command in order:
            server = Server('smtp-sink', args, args.server_cpu, tmp)
            try:
                wall, cpu = run_client(command(server.port), args.load_cpu)
            finally:
                server.close()
            results[name].append({'msgs': args.messages / wall, 'cpu_us': cpu * 1e6 / args.messages})
    reference = results[clients[0][0]]
    for name, _ in clients:
        rows = results[name]
        pairs = list(zip(rows, reference))
        print('| %s | %.0f | %.2f | %s | %s |' % (
            name, median_of(rows, 'msgs'), median_of(rows, 'cpu_us'),
            *(ratio_text([(a[k], b[k]) for a, b in pairs]) for k in ('msgs', 'cpu_us'))))
    print()


def workers_table(args, tmp):
    """smtpwire-serve with one and with two event loops (--workers) under the pipelined
    load. Each worker has a CPU of its own; the load has one more when the machine has it,
    else it shares theirs."""
    cpus = os.cpu_count()
    counts = [1, 2]
    print('## smtpwire-serve --workers: smtpwire-load, 20 pipelined sessions, %d messages of '
          '1 KiB (median of %d; %d CPUs)' % (args.messages, args.repetitions, cpus))
    print()
    print('| workers | server CPUs | load CPUs | msgs/s | server CPU us/msg | msgs/s vs 1 worker |')
    print('|---|---|---|---|---|---|')
    _, messages, command = loads(args)[-1]
    results = {w: [] for w in counts}
    placement = {}
    for w in counts:
        server_cpus = ','.join(str(c) for c in range(min(w, cpus)))
        load_cpus = str(w) if cpus > w else ','.join(str(c) for c in range(cpus))
        placement[w] = (server_cpus, load_cpus)
    for rep in range(args.repetitions):
        for w in (counts if rep % 2 == 0 else counts[::-1]):
            server = Server('smtpwire', args, placement[w][0], tmp, workers=w)
            try:
                before = cpu_ticks(server.proc.pid)
                wall, _ = run_client(command(server.port), placement[w][1])
                time.sleep(0.05)
                used = (cpu_ticks(server.proc.pid) - before) / TICKS
            finally:
                server.close()
            results[w].append({'msgs': messages / wall, 'cpu_us': used * 1e6 / messages})
    for w in counts:
        rows = results[w]
        pairs = [(a['msgs'], b['msgs']) for a, b in zip(rows, results[1])]
        print('| %d | %s | %s | %.0f | %.1f | %s |' % (
            w, placement[w][0], placement[w][1], median_of(rows, 'msgs'),
            median_of(rows, 'cpu_us'), ratio_text(pairs)))
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--serve', required=True, help='the smtpwire-serve binary')
    parser.add_argument('--load', required=True, help='the smtpwire-load binary')
    parser.add_argument('--baseline-load',
                        help='another smtpwire-load binary (an earlier build) measured in the '
                             'client table too, in the same repetitions')
    parser.add_argument('--baseline-serve',
                        help='another smtpwire-serve binary (an earlier build) measured in the '
                             'server table too, as peer "baseline", in the same repetitions')
    parser.add_argument('--smtp-sink', default=shutil.which('smtp-sink') or '/usr/sbin/smtp-sink')
    parser.add_argument('--smtp-source', default=shutil.which('smtp-source') or '/usr/sbin/smtp-source')
    parser.add_argument('--repetitions', type=int, default=5)
    parser.add_argument('--messages', type=int, default=20000,
                        help='messages of the 1 KiB long-session loads (default 20000)')
    parser.add_argument('--per-connection-messages', type=int, default=5000,
                        help='messages of the 1 KiB one-per-connection load; a tenth of it '
                             'at 100 KiB (default 5000)')
    parser.add_argument('--large-messages', type=int, default=2000,
                        help='messages of the 100 KiB long-session load (default 2000)')
    parser.add_argument('--server-cpu', type=int, default=0)
    parser.add_argument('--load-cpu', type=int, default=1)
    parser.add_argument('--only', action='append', choices=['server', 'client', 'workers'],
                        help='run only this table (repeatable; default: all three)')
    parser.add_argument('--skip-missing', action='store_true',
                        help='exit with status 77 when smtp-sink, smtp-source or taskset is missing')
    args = parser.parse_args()
    missing = [p for p in (args.smtp_sink, args.smtp_source, shutil.which('taskset'))
               if not p or not os.access(p, os.X_OK)]
    if missing:
        print('missing: smtp-sink, smtp-source (package postfix) or taskset (util-linux)')
        sys.exit(77 if args.skip_missing else 1)
    print('# smtpwire-serve vs smtp-sink, server on CPU %d, load on CPU %d, %d CPUs\n'
          % (args.server_cpu, args.load_cpu, os.cpu_count()))
    with tempfile.TemporaryDirectory(prefix='smtpwire-compare-') as tmp:
        tables = {'server': server_table, 'client': client_table, 'workers': workers_table}
        for name, table in tables.items():
            if not args.only or name in args.only:
                table(args, tmp)


if __name__ == '__main__':
    main()
