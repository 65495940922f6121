"""The HTTP face of the mock: a Starlette app over the domain."""
