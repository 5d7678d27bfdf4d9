#!/usr/bin/python3
"""An oslo.messaging 14.x notification listener for the Fjord interop tests.

Usage: /usr/bin/python3 oslo_listener.py --url rabbit://guest:guest@127.0.0.1:5672/ \
           --topics T_n[,T2_n] [--exchange X] [--pool P] [--allow-requeue] [--requeue-once]
           [--priorities info,warn,...]

Prints {"ready": true} once consuming, then one line per notification received:
  {"event": "notification", "priority": "info", "ctxt": {...}, "publisher_id": ...,
   "event_type": ..., "payload": ..., "metadata": {"message_id", "timestamp"}, "attempt": n}
With --requeue-once (and --allow-requeue) the first delivery of each message_id returns
NotificationResult.REQUEUE and the next one HANDLED. --priorities limits the endpoint
methods, hence the queues the listener subscribes to (default: all seven).
EOF or SIGTERM ends the process at once.
"""
import argparse
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fjord_interop import common  # noqa: E402

ALL_PRIORITIES = ('audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--url', required=True)
    parser.add_argument('--topics', required=True, help='comma-separated')
    parser.add_argument('--exchange', default=None)
    parser.add_argument('--pool', default=None)
    parser.add_argument('--allow-requeue', action='store_true')
    parser.add_argument('--requeue-once', action='store_true')
    parser.add_argument('--priorities', default=','.join(ALL_PRIORITIES))
    opts = parser.parse_args()

    common.install_exit_handlers()
    conf = common.init_config()
    import oslo_messaging as om

    attempts = {}
    lock = threading.Lock()

    def make_method(priority):
        def method(self, ctxt, publisher_id, event_type, payload, metadata):
            message_id = (metadata or {}).get('message_id')
            with lock:
                attempts[message_id] = attempts.get(message_id, 0) + 1
                attempt = attempts[message_id]
            common.emit({'event': 'notification', 'priority': priority, 'ctxt': ctxt,
                         'publisher_id': publisher_id, 'event_type': event_type,
                         'payload': payload, 'metadata': metadata, 'attempt': attempt,
                         'pool': opts.pool})
            if opts.requeue_once and attempt == 1:
                return om.NotificationResult.REQUEUE
            return om.NotificationResult.HANDLED
        method.__name__ = priority
        return method

    wanted = [p for p in opts.priorities.split(',') if p]
    for p in wanted:
        if p not in ALL_PRIORITIES:
            parser.error('unknown priority %r' % p)
    Endpoint = type('Endpoint', (object,), {p: make_method(p) for p in wanted})

    transport = om.get_notification_transport(conf, url=opts.url)
    targets = [om.Target(topic=t, exchange=opts.exchange) for t in opts.topics.split(',') if t]
    listener = om.get_notification_listener(transport, targets, [Endpoint()], executor='threading',
                                            allow_requeue=opts.allow_requeue, pool=opts.pool)
    listener.start()
    common.emit({'ready': True, 'pid': os.getpid(), 'pool': opts.pool, 'topics': opts.topics})

    def handle(cmd):
        raise ValueError('unknown op %r' % cmd.get('op'))

    common.stdin_commands(handle, stay_after_eof=True)


if __name__ == '__main__':
    main()
