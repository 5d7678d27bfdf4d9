#!/usr/bin/python3
"""An oslo.messaging 14.x RPC client for the Fjord interop tests.

Usage: /usr/bin/python3 oslo_client.py --url rabbit://guest:guest@127.0.0.1:5672/ [--timeout 10]

Prints {"ready": true}, then reads one JSON command per line on stdin:
  {"id": 1, "op": "call" | "cast", "target": {"topic": ..., "server": ..., ...},
   "prepare": {"version": ..., "fanout": ..., "timeout": ..., "call_monitor_timeout": ...},
   "ctxt": {...}, "method": "...", "args": {...}, "allowed_remote_exmods": [...]}
and answers each with one line (commands run concurrently; match answers by "id"):
  {"id": 1, "ok": true, "result": ...}
  {"id": 1, "ok": false, "error_class": ..., "error_module": ..., "message": ...,
   "args": [...], "mro": [...], and for RemoteError "exc_type", "value", "traceback"}
A transport is made per distinct allowed_remote_exmods list (oslo sets it per transport).
"""
import argparse
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fjord_interop import common  # noqa: E402

TARGET_FIELDS = ('exchange', 'topic', 'namespace', 'version', 'server', 'fanout')
PREPARE_FIELDS = TARGET_FIELDS + ('timeout', 'version_cap', 'retry', 'call_monitor_timeout')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--url', required=True)
    parser.add_argument('--timeout', type=float, default=10.0)
    opts = parser.parse_args()

    common.install_exit_handlers()
    conf = common.init_config()
    import oslo_messaging as om

    transports = {}
    lock = threading.Lock()

    def transport_for(exmods):
        key = tuple(exmods or ())
        with lock:
            if key not in transports:
                transports[key] = om.get_rpc_transport(conf, url=opts.url,
                                                       allowed_remote_exmods=list(key))
            return transports[key]

    def handle(cmd):
        op = cmd.get('op')
        if op not in ('call', 'cast'):
            raise ValueError('unknown op %r' % op)
        target_spec = cmd.get('target') or {}
        unknown = set(target_spec) - set(TARGET_FIELDS)
        if unknown:
            raise ValueError('unknown target fields %s' % sorted(unknown))
        prepare = cmd.get('prepare') or {}
        unknown = set(prepare) - set(PREPARE_FIELDS)
        if unknown:
            raise ValueError('unknown prepare fields %s' % sorted(unknown))
        transport = transport_for(cmd.get('allowed_remote_exmods'))
        client = om.get_rpc_client(transport, om.Target(**target_spec), timeout=opts.timeout)
        if prepare:
            client = client.prepare(**prepare)
        ctxt = cmd.get('ctxt') or {}
        args = cmd.get('args') or {}
        if op == 'call':
            result = client.call(ctxt, cmd['method'], **args)
        else:
            client.cast(ctxt, cmd['method'], **args)
            result = None
        return {'ok': True, 'result': result}

    # Warm up: make the default transport now so the first command is not slowed down.
    transport_for(())
    common.emit({'ready': True, 'pid': os.getpid()})
    common.stdin_commands(handle)


if __name__ == '__main__':
    main()
