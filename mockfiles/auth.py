"""Who may call the mock, and which tenant a key acts for."""

from __future__ import annotations

from collections.abc import Collection

from .errors import Unauthorized
from .profiles import AuthScheme

DEFAULT_TENANT = "default"

MISSING_KEY_MESSAGES: dict[AuthScheme, str] = {
    "bearer": (
        "You didn't provide an API key. You need to provide your API key in an "
        "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or "
        "as the password field (with blank username) if you're accessing the API from "
        "your browser and are prompted for a username. You can obtain an API key from "
        "https://platform.openai.com/account/api-keys."
    ),
    "api-key": (
        "You didn't provide an API key. You need to provide your API key in an 'api-key' "
        "header (i.e. api-key: YOUR_KEY)."
    ),
    "api-key-or-bearer": (
        "Access denied due to missing subscription key or token. Make sure to include an "
        "'api-key' header, or an Entra ID token as 'Authorization: Bearer TOKEN', when "
        "making API calls."
    ),
}


def mask_key(key: str) -> str:
    """A key as the service echoes it: first and last characters, the rest starred."""
    if len(key) <= 8:
        return "*" * len(key)
    return key[:3] + "*" * (len(key) - 7) + key[-4:]


def tenant_name(key: str, project: str | None = None) -> str:
    """The tenant of an API key, within a project when one is named."""
    return f"{key}|{project}" if project else key


class Authenticator:
    """Accepts any key, or only ``accepted_keys`` when given.

    With ``isolate_tenants`` (the default) each key, and each ``OpenAI-Project`` within
    it, is a tenant of its own: its files are invisible to every other. Without it, all
    callers share one tenant.
    """

    def __init__(
        self,
        scheme: AuthScheme,
        accepted_keys: Collection[str] | None = None,
        *,
        isolate_tenants: bool = True,
    ) -> None:
        self.scheme = scheme
        self.accepted_keys = None if accepted_keys is None else frozenset(accepted_keys)
        self.isolate_tenants = isolate_tenants

    def tenant_for(self, key: str, project: str | None = None) -> str:
        """The tenant ``key`` (and ``project``) acts for, without checking the key."""
        return tenant_name(key, project) if self.isolate_tenants else DEFAULT_TENANT

    def authenticate(self, key: str | None, project: str | None = None) -> str:
        """The tenant ``key`` acts for; :class:`Unauthorized` if missing or refused."""
        if not key:
            raise Unauthorized(MISSING_KEY_MESSAGES[self.scheme])
        if self.accepted_keys is not None and key not in self.accepted_keys:
            raise Unauthorized(
                f"Incorrect API key provided: {mask_key(key)}. You can find your API key "
                "at https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )
        return self.tenant_for(key, project)
