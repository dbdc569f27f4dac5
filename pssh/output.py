"""Output module of ParallelSSH"""

from __future__ import annotations

import logging
from typing import Any

from .exceptions import PSSHError

logger = logging.getLogger(__name__)

_FIELDS = ("host", "cmd", "channel", "stdout", "stderr", "stdin", "exit_code", "exception")


class HostOutput(dict):
    """Class to hold host output

    Attributes and dictionary keys mirror each other; dictionary-style access
    (``output[host]['stdout']``) is kept for backwards compatibility and is
    deprecated in favour of attributes (``output[host].stdout``).

    :param host: Host name output is for
    :type host: str
    :param cmd: Command execution object
    :type cmd: :py:class:`gevent.Greenlet`
    :param channel: SSH channel used for command execution
    :type channel: :py:class:`socket.socket` compatible object
    :param stdout: Standard output buffer
    :type stdout: :py:class:`~collections.abc.Iterator` of str
    :param stderr: Standard error buffer
    :type stderr: :py:class:`~collections.abc.Iterator` of str
    :param stdin: Standard input buffer
    :type stdin: file-like object (``write``, ``flush``)
    :param exit_code: Exit code of command: ``None`` until the command has
      finished. Reading ``stdout`` and ``stderr`` to their end finishes it
      (``join`` is not needed for the exit code); reading this attribute
      of a host output made by a parallel client asks the host's client,
      without waiting for output, whether the command has finished.
    :type exit_code: int or None
    :param exception: Exception from host if any
    :type exception: Exception or None
    :param alias: (Optional, keyword only) The host's alias (2.x), if one
      was configured; ``None`` otherwise.
    :type alias: str
    :param read_timeout: (Optional, keyword only) Seconds without output
      after which reading ``stdout``/``stderr`` raises
      :py:class:`pssh.exceptions.Timeout` (2.x name); ``None``: no timeout.
    :type read_timeout: float
    :param fully_qualified_command: (Optional, keyword only) The exact command
      string sent to the server, after the shell and sudo wrapping (2.x).
    :type fully_qualified_command: str

    ``alias``, ``read_timeout`` and ``fully_qualified_command`` are attributes
    only, not dictionary keys, so that the 1.8.0 keys stay exactly as they were.
    """

    __slots__ = ("host", "cmd", "channel", "stdout", "stderr", "stdin", "_exit_code",
                 "exception", "_client", "alias", "read_timeout", "fully_qualified_command",
                 "_watcher")  # fmt: skip

    host: str
    cmd: Any
    channel: Any
    stdout: Any
    stderr: Any
    stdin: Any
    exception: BaseException | None
    _exit_code: int | None
    _client: Any  # the single-host client that ran the command, if any
    alias: str | None
    read_timeout: float | None
    fully_qualified_command: str | None
    _watcher: Any  # the greenlet reading output for callbacks, if any

    def __init__(
        self,
        host: str,
        cmd: Any,
        channel: Any,
        stdout: Any,
        stderr: Any,
        stdin: Any,
        exit_code: int | None = None,
        exception: BaseException | None = None,
        *,
        alias: str | None = None,
        read_timeout: float | None = None,
        fully_qualified_command: str | None = None,
    ) -> None:
        super().__init__()
        object.__setattr__(self, "_client", None)
        object.__setattr__(self, "_watcher", None)
        object.__setattr__(self, "alias", alias)
        object.__setattr__(self, "read_timeout", read_timeout)
        object.__setattr__(self, "fully_qualified_command", fully_qualified_command)
        values = (host, cmd, channel, stdout, stderr, stdin, exit_code, exception)
        for name, value in zip(_FIELDS, values):
            self[name] = value

    @property
    def exit_code(self) -> int | None:
        """Exit code of the command; ``None`` while it runs (see above)."""
        code = self._exit_code
        client = self._client
        if code is None and client is not None and self.channel is not None:
            try:
                code = client.get_exit_status(self.channel)
            except PSSHError as exc:  # connection lost: the code is unknown
                logger.debug("No exit code from %s: %s", self.host, exc)
                return None
            if code is not None:
                self.exit_code = code
        return code

    @exit_code.setter
    def exit_code(self, value: int | None) -> None:
        object.__setattr__(self, "_exit_code", value)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name in _FIELDS:
            dict.__setitem__(self, name, value)

    def __getitem__(self, key: str) -> Any:
        if key == "exit_code":
            return self.exit_code
        return dict.__getitem__(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        if key in _FIELDS:
            object.__setattr__(self, key, value)
        dict.__setitem__(self, key, value)

    def update(self, update_dict: Any = (), **kwargs: Any) -> None:  # type: ignore[override]
        """Override of dict update function for backwards compatibility

        :param update_dict: Mapping (or key/value pairs) of fields to set;
          keyword arguments are set too, as with :py:meth:`dict.update`.
        """
        for key, value in dict(update_dict, **kwargs).items():
            self[key] = value

    def __repr__(self) -> str:
        return (
            f"\thost={self.host}{chr(10)}\texit_code={self._exit_code}{chr(10)}"
            f"\tcmd={self.cmd}{chr(10)}\tchannel={self.channel}{chr(10)}"
            f"\tstdout={self.stdout}{chr(10)}\tstderr={self.stderr}{chr(10)}"
            f"\tstdin={self.stdin}{chr(10)}\texception={self.exception}{chr(10)}"
        )

    def __str__(self) -> str:
        return self.__repr__()
