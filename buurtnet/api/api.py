"""The NinjaAPI instance behind /api/v1/ and the routers mounted on it."""

import importlib
import logging

from ninja import NinjaAPI, Swagger

from . import problems
from .auth import token_auth

logger = logging.getLogger(__name__)


class BuurtnetAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """ninja's schema, with the error answers under their real media type
        (application/problem+json, RFC 9457) and described."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for status, answer in operation.get("responses", {}).items():
                    content = answer.get("content", {})
                    body = content.get("application/json", {}).get("schema", {})
                    if body.get("$ref", "").endswith("/ProblemOut"):
                        answer["content"] = {problems.CONTENT_TYPE: {"schema": body}}
                        answer["description"] = PROBLEM_DESCRIPTIONS.get(
                            int(status), "Problem details (RFC 9457)"
                        )
        return schema


PROBLEM_DESCRIPTIONS = {
    400: "Malformed request or invalid cursor (problem details)",
    401: "Missing, invalid, expired or revoked token (problem details)",
    403: "The token lacks the scope, or your role does not allow it (problem details)",
    404: "No such object, or you may not see it (problem details)",
    422: "The values break a rule; `errors` holds the messages per field (problem details)",
    429: "Too many calls for this token; see Retry-After (problem details)",
}

api = BuurtnetAPI(
    title="Buurtnet API",
    version="1",
    description=(
        "REST API of Buurtnet for police and municipal systems. Authenticate with a "
        "personal API token (`Authorization: Bearer <token>`), created under /me/api-tokens/. "
        "Errors are RFC 9457 problem details. See docs/api.md."
    ),
    urls_namespace="api-v1",
    # Swagger UI from ninja's own static files: no CDN, no inline script (the settings
    # travel in a JSON data block that swagger-ui-init.js reads), so it runs under our CSP.
    docs=Swagger(settings={"persistAuthorization": False}),
    # Every endpoint needs a token unless it says otherwise (auth=None).
    auth=token_auth,
    docs_url="/docs",
    openapi_url="/openapi.json",
)
problems.install(api)

from .endpoints import messages, networks, reports, tips  # noqa: E402

api.add_router("/networks", networks.router)
api.add_router("/messages", messages.router)
api.add_router("/reports", reports.router)
api.add_router("/tips", tips.router)


def _mount_optional(module_name: str, prefix: str) -> bool:
    """Mount `module_name.router` at prefix when the module exists (other apps add
    theirs; the API must not break while one is missing)."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return False
        raise
    router = getattr(module, "router", None)
    if router is None:
        logger.warning("%s has no router; not mounted", module_name)
        return False
    api.add_router(prefix, router)
    return True


_mount_optional("buurtnet.cap.api", "/cap")
