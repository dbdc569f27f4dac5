"""File transfer (SFTP and SCP) for the native client: filled in by issue 4."""


class TransferMixin:
    """SFTP/SCP methods of the native single host client."""
