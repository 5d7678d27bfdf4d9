"""Helpers shared by the Fjord interop peers (tools/interop/oslo_*.py).

The peers are driven by the TypeScript interop tests in tests/interop: each one reads
JSON commands from stdin, one per line, and writes JSON lines to stdout. stderr carries
oslo.messaging's own logging, for diagnostics only.
"""
