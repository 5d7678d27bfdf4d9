"""Process plumbing shared by the peers: config, JSON lines, fast exit, stdin loop."""
import json
import os
import signal
import stat
import sys
import threading
import time
import traceback

_out_lock = threading.Lock()


def init_config(argv_project='fjord-interop'):
    """Parse the global cfg.CONF with no files: a private ConfigOpts lacks the
    oslo_messaging_metrics group on 14.0.3, so the global one is used on purpose."""
    from oslo_config import cfg
    cfg.CONF([], project=argv_project, default_config_files=[], default_config_dirs=[])
    return cfg.CONF


def emit(obj):
    """Write one JSON line on stdout (thread-safe, flushed)."""
    line = json.dumps(obj, default=_fallback, sort_keys=False)
    with _out_lock:
        sys.stdout.write(line + '\n')
        sys.stdout.flush()


def _fallback(value):
    if isinstance(value, (set, tuple)):
        return list(value)
    return repr(value)


def die_fast(*_args):
    """Leave at once. oslo's transport.cleanup() plus interpreter shutdown takes 10-12 s
    (non-daemon threads), which the tests do not wait for; the broker drops our
    connections and the tests delete the queues."""
    try:
        sys.stdout.flush()
    except Exception:  # noqa: BLE001 - best effort on the way out
        pass
    os._exit(0)


def install_exit_handlers():
    signal.signal(signal.SIGTERM, die_fast)
    signal.signal(signal.SIGINT, die_fast)
    signal.signal(signal.SIGHUP, die_fast)


def error_fields(exc):
    """Describe an exception as the tests want to see it: the class Python built."""
    cls = type(exc)
    fields = {
        'ok': False,
        'error_class': cls.__name__,
        'error_module': cls.__module__,
        'message': str(exc),
        'args': [_jsonable(a) for a in getattr(exc, 'args', ())],
    }
    # oslo_messaging.RemoteError keeps the remote class, value and traceback.
    for attr in ('exc_type', 'value', 'traceback'):
        if hasattr(exc, attr):
            fields[attr] = _jsonable(getattr(exc, attr))
    mro = [c.__module__ + '.' + c.__name__ for c in cls.__mro__]
    fields['mro'] = mro
    return fields


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


def stdin_commands(handle, threaded=True, stay_after_eof=False):
    """Read JSON commands from stdin until EOF, then exit fast. Each command may carry an
    "id", echoed in its answer. `quit` exits at once; `ping` answers at once.

    Servers and listeners pass stay_after_eof=True: when stdin is not a pipe (/dev/null, a
    terminal) they keep serving after EOF, so they can be started by hand in the background."""
    def run(cmd):
        ident = cmd.get('id')
        started = time.monotonic()
        try:
            answer = handle(cmd)
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the test
            answer = error_fields(exc)
            answer['tb'] = traceback.format_exc()
        answer.setdefault('elapsed', round(time.monotonic() - started, 3))
        if ident is not None:
            answer = dict(answer, id=ident)
        emit(answer)

    workers = []
    for raw in sys.stdin:
        raw = raw.strip()
        if not raw:
            continue
        try:
            cmd = json.loads(raw)
        except ValueError as exc:
            emit({'ok': False, 'error_class': 'BadCommand', 'error_module': 'fjord_interop',
                  'message': 'not JSON: %s' % exc})
            continue
        op = cmd.get('op')
        if op == 'quit':
            die_fast()
        if op == 'ping':
            emit({'ok': True, 'result': 'pong', 'id': cmd.get('id')})
            continue
        if threaded:
            worker = threading.Thread(target=run, args=(cmd,), daemon=True)
            worker.start()
            workers.append(worker)
        else:
            run(cmd)
    # stdin closed. Finish the commands already running (their answers are awaited).
    for worker in workers:
        worker.join()
    if stay_after_eof and not _stdin_is_pipe():
        # Started by hand with stdin on /dev/null or a terminal: serve until SIGTERM/SIGINT.
        while True:
            signal.pause()
    # A pipe closed: the test runner is gone (or a shell pipe has no more commands).
    die_fast()


def _stdin_is_pipe():
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
