"""Exception classes that only the Python side knows.

The TypeScript client cannot import this module, so an exception from here must reach
it as a RemoteError carrying the class name `InteropError` and module
`fjord_interop.errors`.
"""


class InteropError(Exception):
    """Raised by the oslo_server.py endpoint `fail_custom`."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.kwargs = {'code': code}
