#!/usr/bin/python3
"""An oslo.messaging 14.x RPC server for the Fjord interop tests.

Usage: /usr/bin/python3 oslo_server.py --url rabbit://guest:guest@127.0.0.1:5672/ \
           --topic T --server s1 [--exchange X]

Prints {"ready": true, ...} once the server consumes its queues. Every cast or call that
reaches `record` is also printed as {"event": "record", "value", "server", "ctxt"}. stdin takes the
commands of fjord_interop.common.stdin_commands plus {"op": "recorded"}; EOF or SIGTERM
ends the process at once.

Endpoints (first match wins, as oslo dispatches):
  Main (no target: namespace None, version 1.0)
    echo(ctxt, value)     -> {"value", "ctxt_keys" (sorted), "ctxt", "server"}
    fail(ctxt)            -> raises ValueError('kaboom')
    fail_custom(ctxt)     -> raises fjord_interop.errors.InteropError('custom kaboom')
    slow(ctxt, seconds)   -> sleeps, then {"slept": seconds, "server"}
    record(ctxt, value)   -> remembers value (for casts)
    recorded(ctxt)        -> the values remembered so far, in arrival order
  Versioned (target namespace 'ns1', version '2.3')
    vmeth(ctxt, **kwargs) -> {"endpoint": "ns1", "version": "2.3", "kwargs", "server"}
"""
import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fjord_interop import common  # noqa: E402
from fjord_interop.errors import InteropError  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--url', required=True)
    parser.add_argument('--topic', required=True)
    parser.add_argument('--server', required=True)
    parser.add_argument('--exchange', default=None)
    parser.add_argument('--pool-size', type=int, default=16)
    opts = parser.parse_args()

    common.install_exit_handlers()
    conf = common.init_config()
    import oslo_messaging as om

    recorded = []
    recorded_lock = threading.Lock()
    server_name = opts.server

    class Main(object):
        def echo(self, ctxt, value=None):
            return {'value': value, 'ctxt_keys': sorted(ctxt), 'ctxt': ctxt, 'server': server_name}

        def fail(self, ctxt):
            raise ValueError('kaboom')

        def fail_custom(self, ctxt):
            raise InteropError('custom kaboom', code=418)

        def slow(self, ctxt, seconds):
            time.sleep(float(seconds))
            return {'slept': seconds, 'server': server_name}

        def record(self, ctxt, value=None):
            with recorded_lock:
                recorded.append(value)
            common.emit({'event': 'record', 'value': value, 'server': server_name, 'ctxt': ctxt})

        def recorded(self, ctxt):
            with recorded_lock:
                return list(recorded)

    class Versioned(object):
        target = om.Target(namespace='ns1', version='2.3')

        def vmeth(self, ctxt, **kwargs):
            return {'endpoint': 'ns1', 'version': '2.3', 'kwargs': kwargs, 'server': server_name}

    transport = om.get_rpc_transport(conf, url=opts.url)
    target = om.Target(topic=opts.topic, server=opts.server, exchange=opts.exchange)
    server = om.get_rpc_server(transport, target, [Main(), Versioned()], executor='threading')
    server.start(override_pool_size=opts.pool_size)
    common.emit({'ready': True, 'pid': os.getpid(), 'topic': opts.topic, 'server': opts.server,
                 'exchange': opts.exchange})

    def handle(cmd):
        if cmd.get('op') == 'recorded':
            with recorded_lock:
                return {'ok': True, 'result': list(recorded)}
        raise ValueError('unknown op %r' % cmd.get('op'))

    common.stdin_commands(handle, stay_after_eof=True)


if __name__ == '__main__':
    main()
