"""Routing helpers shared by the API and control routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.convertors import StringConvertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import Receive, Scope, Send

from ..errors import InvalidURL

Endpoint = Callable[[Request], Awaitable[Response]]


class MethodDispatch:
    """An ASGI endpoint serving ``GET=...``, ``POST=...``; other methods: Invalid URL."""

    def __init__(self, **endpoints: Endpoint) -> None:
        self.table = {method.upper(): endpoint for method, endpoint in endpoints.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.table.get(scope["method"])
        if endpoint is None:
            raise InvalidURL(scope["method"], scope["path"])
        response = await endpoint(Request(scope, receive))
        await response(scope, receive, send)


async def invalid_url(scope: Scope, receive: Receive, send: Send) -> None:
    """Any path the service does not serve: ``Invalid URL``, rendered by the caller (the
    gateway or the control app) in the profile's envelope."""
    raise InvalidURL(scope["method"], scope["path"])


class QuickRouter:
    """``router`` with its plain routes found by a dictionary lookup.

    A route is plain when its path is literal, or literal up to one final ``{name}``
    segment (Starlette's ``str`` convertor: one or more characters other than ``/``),
    and its endpoint is an ASGI app that serves every method. A path found that way is
    served by that route unless a route the router would try first (one that is not
    plain) matches it too; then, and for any path not found (or a scope with a
    ``root_path``), the router itself decides. The scope is left as the router leaves
    it (``router``, ``route``, ``endpoint``, ``path_params``).
    """

    def __init__(self, router: Router) -> None:
        self.router = router
        self.exact: dict[str, _Entry] = {}
        self.by_prefix: dict[str, _Entry] = {}
        blockers: list[BaseRoute] = []
        for route in router.routes:
            shape = _plain_shape(route)
            if shape is None:
                blockers.append(route)
                continue
            prefix, name = shape
            entry: _Entry = (route, name, tuple(blockers))  # type: ignore[assignment]
            if name is None:
                cut = prefix.rfind("/") + 1
                shadowed = cut < len(prefix) and prefix[:cut] in self.by_prefix
                if not shadowed:
                    self.exact.setdefault(prefix, entry)
            else:
                self.by_prefix.setdefault(prefix, entry)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.plain_route(scope)
        if route is None:
            await self.router(scope, receive, send)
        else:
            await route.app(scope, receive, send)

    def resolve(self, scope: Scope) -> Endpoint | None:
        """The endpoint that serves this request when a plain route whose app is a
        :class:`MethodDispatch` serves its method (the scope filled as the router fills
        it); None: await this router as an ASGI app instead."""
        route = self.plain_route(scope)
        if route is None or type(route.app) is not MethodDispatch:
            return None
        return route.app.table.get(scope["method"])

    def plain_route(self, scope: Scope) -> Route | None:
        """The plain route that serves ``scope``, with ``router``, ``route``,
        ``endpoint`` and ``path_params`` set in the scope as the router sets them; None
        where the router itself decides (nothing is set then)."""
        if scope["type"] != "http" or scope.get("root_path"):
            return None
        path: str = scope["path"]
        params = dict(scope.get("path_params", {}))
        entry = self.exact.get(path)
        if entry is None:
            cut = path.rfind("/") + 1
            entry = self.by_prefix.get(path[:cut])
            if entry is None or cut == len(path):
                return None
            params[entry[1]] = path[cut:]
        route, _, blockers = entry
        for blocker in blockers:
            if blocker.matches(scope)[0] is not Match.NONE:
                return None
        if "router" not in scope:
            scope["router"] = self.router
        scope["route"] = route
        scope["endpoint"] = route.endpoint
        scope["path_params"] = params
        return route


#: A plain route, its parameter's name (None: a literal path), and the routes that are
#: not plain which the router would try before it.
_Entry = tuple[Route, str | None, tuple[BaseRoute, ...]]


def _plain_shape(route: BaseRoute) -> tuple[str, str | None] | None:
    """(literal path, None) or (literal prefix ending in ``/``, parameter name) for a
    plain route, None for any other."""
    if type(route) is not Route or route.methods is not None or route.app is not route.endpoint:
        return None
    convertors = route.param_convertors
    if not convertors:
        return (route.path, None) if "{" not in route.path else None
    if len(convertors) != 1:
        return None
    ((name, convertor),) = convertors.items()
    suffix = "{" + name + "}"
    prefix = route.path[: -len(suffix)]
    if (
        not isinstance(convertor, StringConvertor)
        or not route.path.endswith(suffix)
        or not prefix.endswith("/")
        or "{" in prefix
    ):
        return None
    return prefix, name
