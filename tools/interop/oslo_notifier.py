#!/usr/bin/python3
"""An oslo.messaging 14.x notifier for the Fjord interop tests.

Usage: /usr/bin/python3 oslo_notifier.py --url rabbit://guest:guest@127.0.0.1:5672/ \
           [--publisher-id probe.host1] [--driver messagingv2] [--topics T_n[,T2_n]]

Prints {"ready": true}, then reads one JSON command per line on stdin:
  {"id": 1, "op": "notify", "priority": "info" | "warn" | "warning" | "error" | ...,
   "event_type": "...", "payload": ..., "ctxt": {...},
   "publisher_id": ..., "driver": ..., "topics": [...]}      (the last three override the flags)
and answers {"id": 1, "ok": true, "result": {"sent": [...]}} once oslo handed the message to
the broker (oslo's notifier swallows and logs send errors, as it does in production; over
kafka:// the script flushes oslo's librdkafka producer first, since oslo itself only queues the
record). "sent" lists what oslo's Notifier gave the driver, one entry per topic:
  {"topic": "<topic>.<priority>", "ctxt": {...}, "message": {"message_id", "publisher_id",
   "event_type", "priority", "payload", "timestamp"}, "version": 1.0 | 2.0}
i.e. the sanitized context and the generated message_id and timestamp, for the tests to compare
with what the other side received.
"""
import argparse
import copy
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fjord_interop import common  # noqa: E402

PRIORITIES = ('audit', 'debug', 'info', 'warn', 'warning', 'error', 'critical', 'sample')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--url', required=True)
    parser.add_argument('--publisher-id', default='interop.python')
    parser.add_argument('--driver', default='messagingv2', choices=('messagingv2', 'messaging'))
    parser.add_argument('--topics', default='notifications', help='comma-separated')
    opts = parser.parse_args()

    common.install_exit_handlers()
    conf = common.init_config()
    import oslo_messaging as om

    transport = om.get_notification_transport(conf, url=opts.url)
    sent = []
    send_notification = transport._send_notification

    def recording_send(target, ctxt, message, version, retry=None):
        # Copies, without '_context': oslo's kafka driver adds the context to the very dict it
        # is given, which the Notifier hands to every topic in turn.
        message = {k: v for k, v in message.items() if k != '_context'}
        sent.append({'topic': target.topic, 'ctxt': copy.deepcopy(ctxt),
                     'message': copy.deepcopy(message), 'version': version})
        return send_notification(target, ctxt, message, version, retry=retry)

    transport._send_notification = recording_send
    notifiers = {}
    lock = threading.Lock()

    def notifier_for(publisher_id, driver, topics):
        key = (publisher_id, driver, tuple(topics))
        with lock:
            if key not in notifiers:
                notifiers[key] = om.Notifier(transport, publisher_id=publisher_id, driver=driver,
                                             topics=list(topics), retry=3)
            return notifiers[key]

    def handle(cmd):
        if cmd.get('op') != 'notify':
            raise ValueError('unknown op %r' % cmd.get('op'))
        priority = cmd.get('priority', 'info')
        if priority not in PRIORITIES:
            raise ValueError('unknown priority %r' % priority)
        topics = cmd.get('topics') or opts.topics.split(',')
        notifier = notifier_for(cmd.get('publisher_id', opts.publisher_id),
                                cmd.get('driver', opts.driver), topics)
        del sent[:]
        getattr(notifier, priority)(cmd.get('ctxt') or {}, cmd['event_type'], cmd.get('payload'))
        flush_kafka()
        return {'ok': True, 'result': {'sent': list(sent)}}

    def flush_kafka():
        # oslo's kafka:// driver only queues the record in librdkafka (produce + poll(0)) and
        # returns; without a flush, "ok" followed by our fast exit loses it.
        producer = getattr(getattr(transport._driver, 'pconn', None), 'producer', None)
        if producer is not None and producer.flush(10) > 0:
            raise RuntimeError('kafka producer: records still undelivered after 10 s')

    common.emit({'ready': True, 'pid': os.getpid()})
    # One at a time, so notifications leave in the order the test sent them.
    common.stdin_commands(handle, threaded=False)


if __name__ == '__main__':
    main()
