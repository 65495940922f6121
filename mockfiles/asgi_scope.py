"""Keys the in-process transports put in the ASGI scope for the app to read."""

from __future__ import annotations

#: Set by the in-process transports: requests never cross a socket.
IN_PROCESS_KEY = "mockfiles.in_process"
#: Set by the sync transport: the app is driven without an event loop.
DRIVEN_KEY = "mockfiles.driven"
