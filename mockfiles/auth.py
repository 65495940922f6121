"""Who may call the mock, and which tenant a key acts for."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass

from .errors import Unauthorized
from .profiles import AuthScheme

#: The one tenant of a mock that does not isolate keys.
SHARED_TENANT = "shared"
#: Distinct identities whose labels are cached (the cache starts over beyond it).
_LABEL_CACHE_SIZE = 4096

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


def tenant_label(key: str, project: str | None = None) -> str:
    """The tenant of an API key (within a project when one is named), as a stable label
    that does not reveal the key: ``key-<16 hex of its SHA-256>``, plus ``/project-<id>``.

    Hex digits never contain ``/``, so no key/project pair shares another's label.
    """
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"key-{digest}/project-{project}" if project else f"key-{digest}"


def key_hint(key: str) -> str:
    """Enough of a key for a person to recognise it, never the key itself."""
    if len(key) > 16:
        return f"{key[:3]}...{key[-4:]}"
    return key[:3] + "*" * max(0, len(key) - 3)


@dataclass(frozen=True)
class Identity:
    """Who a tenant is, for people: the key's hint and the project, if any."""

    key_hint: str
    project: str | None = None

    def __str__(self) -> str:
        project = f" in project {self.project}" if self.project else ""
        return f"API key {self.key_hint}{project}"


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
        self._labels: dict[tuple[str, str | None], str] = {}
        # (key, project) already accepted -> its tenant (cleared with ``_labels``).
        self._accepted: dict[tuple[str | None, str | None], str] = {}
        #: Who each tenant label seen so far stands for (hints only, never keys).
        self.identities: dict[str, Identity] = {}

    def tenant_for(self, key: str, project: str | None = None) -> str:
        """The tenant ``key`` (and ``project``) acts for, without checking the key."""
        if not self.isolate_tenants:
            return SHARED_TENANT
        label = self._labels.get((key, project))
        if label is None:
            if len(self._labels) >= _LABEL_CACHE_SIZE:
                self._labels.clear()
                self._accepted.clear()
                self.identities.clear()
            label = self._labels[(key, project)] = tenant_label(key, project)
            self.identities[label] = Identity(key_hint(key), project)
        return label

    def identity_of(self, tenant: str) -> Identity | None:
        """The hint for a tenant label seen by this mock, if any."""
        return self.identities.get(tenant)

    def authenticate(self, key: str | None, project: str | None = None) -> str:
        """The tenant ``key`` acts for; :class:`Unauthorized` if missing or refused."""
        label = self._accepted.get((key, project))
        if label is not None:
            return label
        if not key:
            raise Unauthorized(MISSING_KEY_MESSAGES[self.scheme])
        if self.accepted_keys is not None and key not in self.accepted_keys:
            raise Unauthorized(
                f"Incorrect API key provided: {mask_key(key)}. You can find your API key "
                "at https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )
        label = self.tenant_for(key, project)
        if len(self._accepted) >= _LABEL_CACHE_SIZE:
            self._accepted.clear()
        self._accepted[(key, project)] = label
        return label
