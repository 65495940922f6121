"""Keys the in-process transports put in the ASGI scope for the app to read."""

from __future__ import annotations

#: Set by the in-process transports: requests never cross a socket.
IN_PROCESS_KEY = "mockfiles.in_process"
#: Set by the sync transport: the app is driven without an event loop.
DRIVEN_KEY = "mockfiles.driven"
#: Set by the in-process transports: ``(send, take)``, where ``take(status, headers,
#: body)`` does what ``send`` does with a start message and one final body message. An
#: app may call ``take`` only when the ``send`` it was given is that ``send`` (a
#: middleware between them that watches the messages must see them).
WHOLE_RESPONSE_KEY = "mockfiles.whole_response"
