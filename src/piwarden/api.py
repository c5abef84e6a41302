"""The REST API at /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

Each app contributes one router; errors always come back as
``{"error": {"code": "...", "message": "...", "detail": ...}}`` with a 4xx status.
"""

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from piwarden.accounts.api import router as accounts_router
from piwarden.authorities.api import router as authorities_router
from piwarden.campaigns.api import router as campaigns_router
from piwarden.catalog.api import router as catalog_router
from piwarden.collection.api import router as collection_router
from piwarden.consent.api import router as consent_router
from piwarden.discovery.api import router as discovery_router
from piwarden.errors import ServiceError
from piwarden.incidents.api import router as incidents_router
from piwarden.leads.api import router as leads_router
from piwarden.notify.api import router as notify_router
from piwarden.partners.api import router as partners_router
from piwarden.payments.api import router as payments_router
from piwarden.policy.api import router as policy_router
from piwarden.publication.api import router as publication_router
from piwarden.rights.api import router as rights_router
from piwarden.sharing.api import router as sharing_router
from piwarden.sites.api import router as sites_router
from piwarden.subjectdata.api import router as subjectdata_router
from piwarden.transactions.api import router as transactions_router
from piwarden.transfers.api import router as transfers_router
from piwarden.web.api_input import InputParser

api = NinjaAPI(
    title="piwarden API",
    version="1",
    description="Privacy operations: data catalog, audit trail and consent, collection and rights.",
    urls_namespace="api",
    parser=InputParser(),
)


def error_body(code: str, message: str, detail=None) -> dict:
    """The one shape of every API refusal (``consent.fastpath`` renders it too)."""
    body = {"error": {"code": code, "message": message}}
    if detail is not None:
        body["error"]["detail"] = detail
    return body


def _error(request, status: int, code: str, message: str, detail=None):
    return api.create_response(request, error_body(code, message, detail), status=status)


@api.exception_handler(ServiceError)
def _service_error(request, exc: ServiceError):
    """Every refusal of a service or a router (ApiError is one too), rendered alike."""
    return _error(request, exc.status, exc.code, exc.message, exc.api_detail())


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    return _error(request, 422, "VALIDATION_ERROR", "The request is not valid.", exc.errors)


@api.exception_handler(AuthenticationError)
def _authentication_error(request, exc):
    return _error(request, 401, "UNAUTHENTICATED", "Authentication is required.")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "NOT_FOUND", "Not found.")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, ServiceError):  # ninja wraps what the body parser refused
        return _service_error(request, exc.__cause__)
    return _error(request, exc.status_code, "HTTP_ERROR", str(exc))


api.add_router("/catalog/", catalog_router)
api.add_router("/account/", accounts_router)
api.add_router("/consent/", consent_router)
api.add_router("/collection/", collection_router)
api.add_router("/leads/", leads_router)
api.add_router("/campaigns/", campaigns_router)
api.add_router("/partners/", partners_router)
api.add_router("/payments/", payments_router)
api.add_router("/rights/", rights_router)
api.add_router("/subject-data/", subjectdata_router)
api.add_router("/sharing/", sharing_router)
api.add_router("/notify/", notify_router)
api.add_router("/incidents/", incidents_router)
api.add_router("/policy/", policy_router)
api.add_router("/sites/", sites_router)
api.add_router("/authorities/", authorities_router)
api.add_router("/publication/", publication_router)
api.add_router("/transactions/", transactions_router)
api.add_router("/transfers/", transfers_router)
api.add_router("/discovery/", discovery_router)
