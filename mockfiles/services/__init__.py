"""The services of the mock, each a module of rules over one :class:`~mockfiles.state.State`."""
