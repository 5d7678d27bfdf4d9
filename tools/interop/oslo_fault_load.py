#!/usr/bin/python3
"""The fault suite's load, run by Python oslo.messaging 14 instead of Fjord, for the comparison
table: an RPC server and a notification listener (the server side) and 4 call loops, a cast loop
and a notifier loop (the client side), each side on transports of its own, as tests/faults's
Traffic does.

Usage: /usr/bin/python3 oslo_fault_load.py --url rabbit://... --topic T [--durable] [--quorum]
           [--heartbeat-threshold S] [--timeout 5] [--callers 4] [--pause-ms 20]

Prints {"ready": true, "connections": [...]} once a first call went through. stdin commands (one
JSON object a line): {"op": "start"}, {"op": "stop"} (ends the loops), {"op": "figures"} (answers
{"calls": [[started, ended, ok, error]...], "casts": {...}, "notifications": {...}} with times in
ms since the epoch). EOF or SIGTERM ends the process at once.
"""
import argparse
import logging
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fjord_interop import common  # noqa: E402


class FailureCounter(logging.Handler):
    """Counts the error records of a logger."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.count = 0

    def emit(self, record):
        self.count += 1


def now_ms():
    return int(time.time() * 1000)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--url', required=True)
    parser.add_argument('--topic', required=True)
    parser.add_argument('--durable', action='store_true')
    parser.add_argument('--quorum', action='store_true')
    parser.add_argument('--heartbeat-threshold', type=int, default=None)
    parser.add_argument('--timeout', type=float, default=5)
    parser.add_argument('--callers', type=int, default=4)
    parser.add_argument('--pause-ms', type=int, default=20)
    args = parser.parse_args()
    common.install_exit_handlers()

    import oslo_messaging as om
    from oslo_messaging._drivers import amqp as om_amqp
    from oslo_messaging._drivers import impl_rabbit
    conf = common.init_config()
    from oslo_messaging import transport as om_transport
    conf.register_opts(om_transport._transport_opts)
    conf.register_opts(om_amqp.amqp_opts, group='oslo_messaging_rabbit')
    conf.register_opts(impl_rabbit.rabbit_opts, group='oslo_messaging_rabbit')
    conf.set_override('control_exchange', args.topic)
    if args.durable:
        conf.set_override('amqp_durable_queues', True, group='oslo_messaging_rabbit')
    if args.quorum:
        conf.set_override('rabbit_quorum_queue', True, group='oslo_messaging_rabbit')
    if args.heartbeat_threshold is not None:
        conf.set_override('heartbeat_timeout_threshold', args.heartbeat_threshold, group='oslo_messaging_rabbit')

    lock = threading.Lock()
    casts_received = {}
    notes_received = {}

    def count(table, n):
        with lock:
            table[n] = table.get(n, 0) + 1

    class Endpoint(object):
        def echo(self, ctxt, n):
            return n

        def record(self, ctxt, n):
            count(casts_received, n)

    class NoteEndpoint(object):
        def info(self, ctxt, publisher_id, event_type, payload, metadata):
            count(notes_received, payload.get('n'))

    server_transport = om.get_rpc_transport(conf, url=args.url)
    listener_transport = om.get_notification_transport(conf, url=args.url)
    client_transport = om.get_rpc_transport(conf, url=args.url)
    notifier_transport = om.get_notification_transport(conf, url=args.url)
    server = om.get_rpc_server(server_transport, om.Target(topic=args.topic, server='fault-server'), [Endpoint()], executor='threading')
    server.start()
    listener = om.get_notification_listener(listener_transport, [om.Target(topic=args.topic)], [NoteEndpoint()], executor='threading')
    listener.start()
    client = om.RPCClient(client_transport, om.Target(topic=args.topic), timeout=args.timeout)
    notifier = om.Notifier(notifier_transport, driver='messagingv2', topics=[args.topic], publisher_id='faults')
    client.call({}, 'echo', n=-1)

    calls = []
    casts_sent, casts_confirmed = set(), set()
    notes_sent, notes_confirmed = set(), set()
    running = threading.Event()
    counter = {'next': 0}
    pause = args.pause_ms / 1000.0

    def call_loop():
        while running.is_set():
            with lock:
                n = counter['next']
                counter['next'] += 1
            started = now_ms()
            try:
                client.call({}, 'echo', n=n)
                record = [started, now_ms(), True, None]
            except Exception as exc:  # noqa: BLE001 - every failure is a figure
                record = [started, now_ms(), False, type(exc).__name__]
            with lock:
                calls.append(record)
            time.sleep(pause)

    def confirmed_loop(sent, confirmed, send):
        """Send n = 0, 1, ...; n counts as confirmed once its send returned (the broker confirmed it)."""
        def loop():
            n = 0
            while running.is_set():
                sent.add(n)
                try:
                    send(n)
                    confirmed.add(n)
                except Exception:  # noqa: BLE001 - an unconfirmed send is not counted
                    pass
                n += 1
                time.sleep(pause)
        return loop

    cast_loop = confirmed_loop(casts_sent, casts_confirmed, lambda n: client.cast({}, 'record', n=n))
    # oslo's notifier never raises: it logs "Could not send notification" and goes on. A send it
    # logged as failed is not confirmed.
    notify_failures = FailureCounter()
    logging.getLogger('oslo_messaging.notify.messaging').addHandler(notify_failures)

    def notify(n):
        before = notify_failures.count
        notifier.info({}, 'fault.test', {'n': n})
        if notify_failures.count != before:
            raise RuntimeError('the notifier could not send it')

    notify_loop = confirmed_loop(notes_sent, notes_confirmed, notify)

    threads = []

    def books(sent, confirmed, received):
        with lock:
            got = dict(received)
        return {'sent': len(sent), 'confirmed': len(confirmed),
                'lost': len([n for n in confirmed if n not in got]),
                'duplicated': len([n for n, times in got.items() if times > 1])}

    def handle(cmd):
        op = cmd.get('op')
        if op == 'start':
            running.set()
            for target in [call_loop] * args.callers + [cast_loop, notify_loop]:
                thread = threading.Thread(target=target, daemon=True)
                thread.start()
                threads.append(thread)
            return {'ok': True}
        if op == 'stop':
            running.clear()
            for thread in threads:
                thread.join(120)
            return {'ok': True}
        if op == 'figures':
            with lock:
                recorded = list(calls)
            return {'ok': True, 'calls': recorded,
                    'casts': books(casts_sent, casts_confirmed, casts_received),
                    'notifications': books(notes_sent, notes_confirmed, notes_received)}
        raise ValueError('unknown op %r' % op)

    common.emit({'ready': True, 'pid': os.getpid()})
    common.stdin_commands(handle, threaded=False)


if __name__ == '__main__':
    main()
