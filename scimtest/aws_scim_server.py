"""An in-process SCIM 2.0 server that behaves like AWS IAM Identity Center, for tests and local runs.

scim2-server does the SCIM work (storage, filters, PATCH, 409 on duplicate userName); this module
layers AWS's documented rules on top (../shared/reference/aws-scim.md):

- the URL shape `http://127.0.0.1:<port>/<tenant>/scim/v2/`, the bearer token on every endpoint
  (a wrong tenant or token is 401);
- filters: `eq` only, on the attributes and combinations AWS documents (400 otherwise), including the
  membership filters `groups.value eq` on /Users (a group's members, in member order) and
  `members.value eq` on /Groups (a user's groups; 404 for an unknown user);
- listings: no cap on how many users or groups a listing pages through; `count` 1-100 (400
  otherwise); with a `cursor` parameter (empty on the first call) a page has itemsPerPage and
  nextCursor and no totalResults; without it, one legacy page of at most 100 whose totalResults
  is the number returned; optionally, 400 on a filtered cursor call (as some tenants do);
- ids shaped as AWS's (`9067729b3d-<uuid>`);
- users: userName, name.givenName, name.familyName and displayName required on POST and PUT; one
  value (primary) for emails, phoneNumbers and addresses; user names and e-mail addresses unique across
  users (409, case-insensitive); `active` a boolean; at most one
  operation on userName or active per PATCH, which answers 200 with the user;
- groups: unique displayName (409); PATCH limited to displayName, externalId and members, at most
  100 member changes, no replace or remove-all of members, answering 204; GET never lists members;
- errors in AWS's body shape (`schema` and `schemas`, `status` as a string, `detail`);
- an optional request-rate limit (a token bucket): a request over it is answered 429 with
  `Retry-After`, as AWS throttles, and counted, not served; or AWS's published quotas, a bucket for
  each API (40 requests a second for each read API, 25 for each write API);
- HTTP/1.1 keep-alive, so a client's connection reuse can be measured;
- fault hooks: an error status (e.g. 429 with Retry-After) or an HTML or non-JSON answer for the
  next N matching requests, added latency, a dropped connection, a hang, a lost answer (the
  request is carried out, then the connection is reset before the answer).
"""
import base64
import datetime
import json
import re
import socket
import ssl
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from io import BytesIO
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, make_server

from scim2_models import (ConflictException, Context, InvalidFilterException, InvalidValueException, NotFoundException,
                          ScimPolicy, ScimProvider, Uniqueness)
from scim2_server.memory import InMemoryStorage
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService
from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
from scim2_server.testserver.cli import ThreadingWSGIServer
from scim2_server.utils import load_default_resource_types, load_default_schemas, load_default_service_provider_config

DEFAULT_TENANT = "d-9067729b3d-local"
DEFAULT_TOKEN = "local-scim-token-not-a-secret"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
MAX_MEMBER_CHANGES = 100
MAX_PAGE = 100            # ListUsers / ListGroups: count 1-100, default 100
SINGLE_VALUED = ("emails", "phoneNumbers", "addresses")
UNPARSABLE = "Request is unparsable, syntactically incorrect, or violates schema."

_VALUE = r'"(?:[^"\\]|\\.)*"'
_FILTERS = {   # what AWS's ListUsers / ListGroups accept: eq only, these attributes and pairs
    "/Users": [rf"(userName|externalId|groups\.value) eq {_VALUE}",
               rf"id eq {_VALUE} and manager eq {_VALUE}", rf"manager eq {_VALUE} and id eq {_VALUE}"],
    "/Groups": [rf"(displayName|externalId|members\.value) eq {_VALUE}",
                rf"id eq {_VALUE} and members eq {_VALUE}", rf"members eq {_VALUE} and id eq {_VALUE}"],
}


def aws_filter_allowed(endpoint: str, scim_filter: str) -> bool:
    return any(re.fullmatch(p, scim_filter.strip(), re.IGNORECASE) for p in _FILTERS.get(endpoint, []))


def aws_error_body(status: int, detail: str) -> dict:
    return {"schema": [ERROR_SCHEMA], "schemas": [ERROR_SCHEMA], "detail": detail, "status": str(status),
            "exceptionRequestId": str(uuid.uuid4()),
            "timeStamp": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]}


class AwsRules(BearerTokenApplication):
    """scim2-server's application with AWS Identity Center's restrictions."""

    reject_filtered_cursor = False   # some tenants answer a filtered cursor call with 400

    def needs_auth(self, request: ScimRequest) -> bool:
        return True   # AWS wants the token on /ServiceProviderConfig too

    def dispatch_request(self, request: ScimRequest) -> ScimResponse:
        self.check_auth(request)
        endpoint, _, resource_id = request.path.strip("/").partition("/")
        endpoint, method = "/" + endpoint, request.method.upper()
        body = self.json_body(request)
        if method == "GET" and "filter" in request.query and not aws_filter_allowed(endpoint, request.query["filter"]):
            raise InvalidFilterException(detail=f"Unsupported filter: {request.query['filter']}")
        if endpoint == "/Users" and method in ("POST", "PUT"):
            check_user(body)
            self.check_unique_email(body.get("emails"), resource_id)
        if endpoint == "/Users" and method == "PATCH":
            check_user_patch(body)
            for op in body.get("Operations") or []:
                if str(op.get("path", "")).lower() == "emails":
                    self.check_unique_email(op.get("value"), resource_id)
        if endpoint == "/Groups" and method == "POST" and len(body.get("members") or []) > MAX_MEMBER_CHANGES:
            raise InvalidValueException(detail=UNPARSABLE)
        if endpoint == "/Groups" and method == "PATCH":
            check_group_patch(body)
            if resource_id and members_only(body):
                return self.change_members(resource_id, body["Operations"])
        if method == "GET" and endpoint in ("/Users", "/Groups") and not resource_id:
            return self.listing(request, endpoint)
        response = self.handler.handle(request)
        if endpoint == "/Users" and method == "PATCH" and response.status == HTTPStatus.NO_CONTENT:
            response = self.handler.handle(ScimRequest("GET", request.base_url, request.path, {}, request.headers))
        if isinstance(response.body, dict):
            for resource in response.body.get("Resources") or [response.body]:
                as_aws_shows(resource, hide_members=endpoint == "/Groups" and method == "GET")
        return response

    def listing(self, request: ScimRequest, endpoint: str) -> ScimResponse:
        """ListUsers / ListGroups as AWS pages them: cursor mode or one legacy page."""
        query = request.query
        count = page_size(query.get("count"))
        scim_filter = query.get("filter")
        if "cursor" in query and scim_filter and self.reject_filtered_cursor:
            raise InvalidValueException(detail=UNPARSABLE)
        items = self.matching(request, endpoint, scim_filter)
        body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]}
        if "cursor" in query:
            offset = open_cursor(query["cursor"], scim_filter)
            page = items[offset:offset + count]
            body.update(itemsPerPage=len(page), Resources=page)
            if offset + len(page) < len(items):
                body["nextCursor"] = seal_cursor(offset + len(page), scim_filter)
        else:
            page = items[:count]
            body.update(totalResults=len(page), itemsPerPage=len(page), startIndex=1, Resources=page)
        return ScimResponse(HTTPStatus.OK, body)

    def matching(self, request: ScimRequest, endpoint: str, scim_filter: str | None) -> list:
        """Every resource the filter selects, as scim2-server renders them; the membership filters read the
        stored groups (scim2-server keeps no User.groups)."""
        member_of = membership_value(r"groups\.value", scim_filter)
        has_member = membership_value(r"members\.value", scim_filter)
        if has_member is not None:   # read from the stored groups, without rendering their members
            if self.storage.find("User", has_member) is None:
                raise NotFoundException(detail="Specified member does not exist")
            shown = [group.model_copy(update={"members": None}).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
                     for group in self.storage.of_type("Group") if has_member in self.storage.member_set(group)]
            for resource in shown:
                as_aws_shows(resource, hide_members=True)
            return shown
        plain = {"filter": scim_filter} if scim_filter and member_of is None and has_member is None else {}
        if endpoint == "/Groups":   # AWS never lists members: do not render them
            plain["excludedAttributes"] = "members"
        listed = self.handler.handle(ScimRequest("GET", request.base_url, endpoint, {**plain, "count": str(10 ** 9)},
                                                 request.headers)).body.get("Resources") or []
        for resource in listed:
            as_aws_shows(resource, hide_members=endpoint == "/Groups")
        if member_of is not None:
            by_id = {user["id"]: user for user in listed}
            return [by_id[member] for member in self.members_of(member_of) if member in by_id]
        return listed

    def change_members(self, group_id: str, operations: list) -> ScimResponse:
        """Members added and removed on the stored group in place (scim2-server copies a whole group, members and
        all, for each change: slow for large groups); 204, as AWS answers."""
        with self.storage.lock:
            group = self.storage.find("Group", group_id)
            if group is None:
                raise NotFoundException(detail="Specified group does not exist")
            members, held = list(group.members or []), set(self.storage.member_set(group))
            member_type = type(group).get_field_root_type("members")
            for op in operations:
                values = [item.get("value") for item in op.get("value") or [] if isinstance(item, dict)]
                if str(op.get("op")).lower() == "add":
                    added = [value for value in dict.fromkeys(values) if value not in held]
                    members += [member_type(value=value) for value in added]
                    held.update(added)
                elif held & set(values):
                    held.difference_update(values)
                    members = [member for member in members if member.value in held]
            group.members = members
            group.meta.last_modified = self.storage.clock()
            group.meta.version = self.storage.next_version()
        return ScimResponse(HTTPStatus.NO_CONTENT, None)

    def check_unique_email(self, emails, user_id: str) -> None:
        """AWS: e-mail addresses are unique across users, like user names (409)."""
        wanted = {str(e.get("value", "")).strip().lower() for e in emails or [] if isinstance(e, dict)} - {""}
        for resource in self.storage.of_type("User"):
            if resource.id == user_id:
                continue
            held = {str(e.value or "").strip().lower() for e in getattr(resource, "emails", None) or []}
            if wanted & held:
                raise ConflictException(detail="Refused to create a new, duplicate resource.")

    def members_of(self, group_id: str) -> list:
        group = self.storage.find("Group", group_id)
        return [member.value for member in (group.members or [])] if group else []

    @staticmethod
    def json_body(request: ScimRequest) -> dict:
        if not request.body:
            return {}
        try:
            body = json.loads(request.body)
        except ValueError:
            return {}   # scim2-server answers the syntax error itself
        return body if isinstance(body, dict) else {}

    def finalize_response(self, request: ScimRequest, response: ScimResponse) -> ScimResponse:
        response = super().finalize_response(request, response)
        response.headers["Content-Type"] = "application/json"
        response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
        if response.status >= 400:
            detail = (response.body or {}).get("detail") or response.status.phrase
            response.body = aws_error_body(response.status.value, detail)
        return response


def as_aws_shows(resource: dict, hide_members: bool) -> None:
    (resource.get("meta") or {}).pop("location", None)   # AWS sends neither
    (resource.get("meta") or {}).pop("version", None)
    if hide_members:
        resource["members"] = []   # GET and list never show a group's members


def page_size(raw) -> int:
    if raw is None:
        return MAX_PAGE
    try:
        count = int(raw)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_PAGE:
        raise InvalidValueException(detail=f"count must be between 1 and {MAX_PAGE}.")
    return count


def membership_value(attribute: str, scim_filter: str | None) -> str | None:
    match = re.fullmatch(rf'{attribute} eq "((?:[^"\\]|\\.)*)"', (scim_filter or "").strip(), re.IGNORECASE)
    return re.sub(r"\\(.)", r"\1", match.group(1)) if match else None


def seal_cursor(offset: int, scim_filter: str | None) -> str:
    return base64.urlsafe_b64encode(json.dumps([offset, scim_filter]).encode()).decode()


def open_cursor(cursor: str, scim_filter: str | None) -> int:
    """The offset a cursor holds (0 for the empty first cursor); 400 for a cursor this listing did not issue."""
    if not cursor:
        return 0
    try:
        offset, issued_for = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        offset, issued_for = -1, None
    if not isinstance(offset, int) or offset < 0 or issued_for != scim_filter:
        raise InvalidValueException(detail="The cursor is not valid.")
    return offset


AWS_USER_ATTRIBUTES = {   # what AWS keeps of a user (anything else: its generic 400)
    "schemas", "id", "externalId", "userName", "name", "displayName", "nickName", "profileUrl", "title", "userType",
    "preferredLanguage", "locale", "timezone", "active", "emails", "phoneNumbers", "addresses", "roles", "meta",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def check_user_schema(body: dict) -> None:
    """AWS's schema: only the attributes it supports, one value of each multi-valued one (without `display`),
    a manager by its value only."""
    if set(body) - AWS_USER_ATTRIBUTES:
        raise InvalidValueException(detail=UNPARSABLE)
    for attribute in ("roles",):
        check_single_value(attribute, body.get(attribute))
    for attribute in ("emails", "phoneNumbers", "addresses", "roles"):
        if any(isinstance(item, dict) and "display" in item for item in body.get(attribute) or []):
            raise InvalidValueException(detail=UNPARSABLE)
    manager = (body.get(ENTERPRISE_URN) or {}).get("manager")
    if isinstance(manager, dict) and set(manager) - {"value"}:
        raise InvalidValueException(detail=UNPARSABLE)


def check_user(body: dict) -> None:
    check_user_schema(body)
    name = body.get("name") or {}
    missing = [f for f, v in (("userName", body.get("userName")), ("name.givenName", name.get("givenName")),
                              ("name.familyName", name.get("familyName")),
                              ("displayName", body.get("displayName"))) if not v]
    if missing:
        raise InvalidValueException(detail=f"Missing required attributes: {', '.join(missing)}")
    for attribute in SINGLE_VALUED:
        check_single_value(attribute, body.get(attribute))
    if "active" in body and not isinstance(body["active"], bool):
        raise InvalidValueException(detail=UNPARSABLE)


def check_single_value(attribute: str, values) -> None:
    if values is None:
        return
    if not isinstance(values, list) or len(values) > 1:
        raise InvalidValueException(detail=f"Only one value is supported for {attribute}.")
    if attribute == "emails" and values and values[0].get("primary") is not True:
        raise InvalidValueException(detail="The email must be primary.")


def check_user_patch(body: dict) -> None:
    operations = body.get("Operations") or []
    touching = [op for op in operations if str(op.get("path", "")).lower() in ("username", "active")]
    if len(touching) > 1 or any(str(op.get("op", "")).lower() == "remove" for op in touching):
        raise InvalidValueException(detail=UNPARSABLE)   # one operation on userName or active per request
    for op in operations:
        path = str(op.get("path", ""))
        head, _, sub = path.partition(":") if path.startswith("urn:") else path.partition(".")
        top = path.rsplit(":", 1)[0] if path.startswith(ENTERPRISE_URN) else head
        check_user_schema({top: {}} if top == ENTERPRISE_URN else {head: op.get("value") if not sub else {}})
        if path == f"{ENTERPRISE_URN}:manager":
            check_user_schema({ENTERPRISE_URN: {"manager": op.get("value")}})
        if path.lower() == "active" and not isinstance(op.get("value"), bool):
            raise InvalidValueException(detail=UNPARSABLE)
        if path in SINGLE_VALUED:
            check_single_value(path, op.get("value"))


def members_only(body: dict) -> bool:
    """A group PATCH that only adds or removes members given by value (the form every AWS client sends)."""
    operations = body.get("Operations") or []
    return bool(operations) and all(str(op.get("op", "")).lower() in ("add", "remove") and op.get("path") == "members"
                                    and isinstance(op.get("value"), list) for op in operations)


def check_group_patch(body: dict) -> None:
    changes = 0
    for op in body.get("Operations") or []:
        kind, path, value = str(op.get("op", "")).lower(), op.get("path"), op.get("value")
        if path is None:
            if kind == "remove" or not isinstance(value, dict) or len(set(value) - {"id"}) != 1:
                raise InvalidValueException(detail='Current PATCH support allows omitting "path" attribute only '
                                                   'for Add and Replace operations modifying a single attribute.')
            continue
        head = str(path).split("[")[0].lower()
        if head not in ("displayname", "externalid", "members"):
            raise InvalidValueException(detail=UNPARSABLE)
        if head != "members":
            continue
        if kind == "replace":
            raise InvalidValueException(detail="Replacing group memberships is not supported.")
        if kind == "remove" and "[" not in str(path) and not value:
            raise InvalidValueException(detail="Removing all group memberships is not supported.")
        changes += len(value) if isinstance(value, list) else 1
    if changes > MAX_MEMBER_CHANGES:
        raise InvalidValueException(detail=UNPARSABLE)


# ----- URL shape, request log, faults -------------------------------------------------------------
@dataclass
class RecordedRequest:
    method: str
    path: str          # relative to /<tenant>/scim/v2, e.g. /Users
    query: str
    body: bytes
    fault: "Fault | None" = None   # the fault that answered it, taken under the same lock hold as the record
    status: int | None = None      # the status it was answered with

    def json(self):
        return json.loads(self.body) if self.body else None


@dataclass
class Fault:
    kind: str                     # status | html | nonjson | drop | hang | lost
    times: int = 1                # -1: forever
    status: int = 500
    retry_after: str | None = None
    seconds: float = 0.0
    method: str | None = None
    path: str | None = None       # a prefix, e.g. /Users
    after: int = 0                # let this many matching requests through first

    def matches(self, method: str, path: str) -> bool:
        return self.times != 0 and (self.method is None or self.method == method) and \
            (self.path is None or path.startswith(self.path))


def aws_operation(method: str, path: str) -> str:
    """The AWS API a request calls (GetUser, ListUsers, PatchGroup, ...), whose quota it counts against."""
    resource, _, resource_id = path.strip("/").partition("/")
    noun = {"Users": "User", "Groups": "Group"}.get(resource)
    if noun is None:
        return f"Get{resource}"
    if method == "GET":
        return f"Get{noun}" if resource_id else f"List{resource}"
    return {"POST": "Create", "PUT": "Put", "PATCH": "Patch", "DELETE": "Delete"}.get(method, method) + noun


class TokenBucket:
    """A request-rate limit as AWS applies one: `rate` requests a second, bursts of up to `burst`. A request
    that finds the bucket empty is refused with the whole seconds until a token is back (Retry-After)."""

    def __init__(self, rate: float, burst: float | None = None):
        self.rate, self.burst = float(rate), float(burst if burst is not None else max(1.0, rate))
        self.tokens, self.stamp = self.burst, time.monotonic()

    def take(self) -> int | None:
        """None when the request may go; otherwise the Retry-After seconds (called under the hooks' lock)."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return max(1, int(-(-(1 - self.tokens) // self.rate)))


@dataclass
class Hooks:
    """What the tests read (requests, connections, throttled) and set (faults, latency, rate limit)."""
    latency: float = 0.0
    faults: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    connections: int = 0
    throttled: int = 0                    # requests refused with 429 by the rate limit
    rate_limit: TokenBucket | None = None
    quotas: dict | None = None            # AWS operation -> its TokenBucket, when AWS's per-API quotas apply
    quota_rates: tuple = (40.0, 25.0)     # (reads, writes) a second, each API its own bucket
    throttled_by_api: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def over_rate(self, method: str, path: str) -> int | None:
        """The Retry-After of a request over the rate limit or over its API's quota (None when it may go)."""
        with self.lock:
            bucket = self.rate_limit
            if self.quotas is not None:
                api = aws_operation(method, path)
                if api not in self.quotas:
                    rate = self.quota_rates[0] if method == "GET" else self.quota_rates[1]
                    self.quotas[api] = TokenBucket(rate, rate)
                bucket = self.quotas[api]
            wait = bucket.take() if bucket else None
            if wait is not None:
                self.throttled += 1
                if self.quotas is not None:
                    self.throttled_by_api[api] = self.throttled_by_api.get(api, 0) + 1
            return wait

    def take_fault(self, method: str, path: str, kinds: tuple):
        with self.lock:
            return self.matching_fault(method, path, kinds)

    def matching_fault(self, method: str, path: str, kinds: tuple):
        """The fault that answers this request, taken (call with the lock held)."""
        for fault in self.faults:
            if fault.kind in kinds and fault.matches(method, path):
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.times -= 1 if fault.times > 0 else 0
                return fault
        return None

    def record(self, request: "RecordedRequest", kinds: tuple) -> "RecordedRequest":
        """Log the request and take the fault that answers it, in one lock hold: the log says which request got
        which fault, whatever the other threads do."""
        with self.lock:
            request.fault = self.matching_fault(request.method, request.path, kinds)
            request.status = request.fault.status if request.fault else None
            self.requests.append(request)
        return request


class AwsFront:
    """WSGI front: the /<tenant>/scim/v2 prefix, the request log, latency and answer faults."""

    def __init__(self, app, tenant: str, hooks: Hooks):
        self.app, self.prefix, self.hooks = app, f"/{tenant}/scim", hooks

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = BytesIO(body)
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        if self.hooks.latency:
            time.sleep(self.hooks.latency)
        if not path.startswith(self.prefix + "/v2"):
            return self.answer(start_response, 401 if path.count("/") >= 3 else 404,
                               aws_error_body(401, "The request could not be authenticated."))
        relative = path[len(self.prefix) + 3:] or "/"
        wait = self.hooks.over_rate(method, relative)
        if wait is not None:
            return self.answer(start_response, 429, aws_error_body(429, "Too many requests exceeded the limits."),
                               headers=[("Retry-After", str(wait))])
        recorded = self.hooks.record(RecordedRequest(method, relative, environ.get("QUERY_STRING", ""), body),
                                     ("status", "html", "nonjson"))
        if recorded.fault:
            return self.fault_answer(start_response, recorded.fault)
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + self.prefix
        environ["PATH_INFO"] = path[len(self.prefix):]

        def answered(status: str, headers, *rest):
            recorded.status = int(status.split()[0])
            return start_response(status, headers, *rest)
        return self.app(environ, answered)

    @staticmethod
    def answer(start_response, status: int, body, content_type: str = "application/json", headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        start_response(f"{status} {HTTPStatus(status).phrase}",
                       [("Content-Type", content_type), ("Content-Length", str(len(data))), *headers])
        return [data]

    def fault_answer(self, start_response, fault: Fault):
        if fault.kind == "html":
            return self.answer(start_response, fault.status, b"<html><body><h1>Bad Gateway</h1></body></html>",
                               "text/html")
        if fault.kind == "nonjson":
            return self.answer(start_response, 200, b"this is not json", "text/plain")
        headers = [("Retry-After", fault.retry_after)] if fault.retry_after else []
        phrase = HTTPStatus(fault.status).phrase
        return self.answer(start_response, fault.status, aws_error_body(fault.status, phrase), headers=headers)


class KeepAliveHandler(WSGIRequestHandler):
    """wsgiref's handler serves one request per connection; this one speaks HTTP/1.1 keep-alive,
    counts connections, and carries out the connection faults (drop, hang)."""

    protocol_version = "HTTP/1.1"
    timeout = 30

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # headers and body leave at once
        with self.server.hooks.lock:
            self.server.hooks.connections += 1

    def handle(self):
        self.close_connection = True
        self.handle_one_request()
        while not self.close_connection:
            self.handle_one_request()

    def handle_one_request(self):
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except OSError:
            self.raw_requestline = b""
        if not self.raw_requestline or not self.parse_request():
            self.close_connection = True
            return
        path = self.path.split("?")[0]
        prefix = f"/{self.server.tenant}/scim/v2"
        fault = self.server.hooks.take_fault(self.command, path[len(prefix):], ("drop", "hang", "lost"))
        if fault:
            time.sleep(fault.seconds)
            if fault.kind == "lost":   # carry the request out, throw the answer away
                self.serve(BytesIO())
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return   # the socket closes with a reset, no answer
        self.serve(self.wfile)

    def serve(self, wfile):
        handler = ServerHandler(self.rfile, wfile, self.get_stderr(), self.get_environ(), multithread=True)
        handler.http_version = "1.1"
        handler.request_handler = self
        handler.run(self.server.get_app())

    def log_message(self, format, *args):
        pass


class AwsStorage(InMemoryStorage):
    """scim2-server's in-memory storage, with the reads AWS's rules make on every request done without walking
    every stored resource: a type's resources, one resource by id, and a group's members as a set (kept until
    the group's next write changes its version)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.member_sets: dict = {}   # group id -> (the group's version, its member ids)

    def of_type(self, name: str) -> list:
        with self.lock:
            return list(self._resources.get(name, {}).values())

    def find(self, name: str, resource_id: str):
        with self.lock:
            return self._resources.get(name, {}).get(resource_id)

    def member_set(self, group) -> frozenset:
        with self.lock:
            version, members = self.member_sets.get(group.id, (None, frozenset()))
            if version != group.meta.version:
                members = frozenset(member.value for member in group.members or [])
                self.member_sets[group.id] = (group.meta.version, members)
            return members


class AwsIdStorage(AwsStorage):
    """Ids shaped as AWS's: the identity store's 10 hex digits, a dash, a UUID."""

    def generate_id(self, resource_type, resource) -> str:
        return f"9067729b3d-{uuid.uuid4()}"


class PredictableStorage(AwsStorage):
    """Stable ids and dates, so that documentation examples come out the same on every run."""

    EPOCH = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=datetime.UTC)

    def __init__(self):
        super().__init__(clock=lambda: self.EPOCH)
        self.counter = 0

    def generate_id(self, resource_type, resource) -> str:
        self.counter += 1
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"aws-ilm-example/{resource_type.name}/{self.counter}"))


def build_application(token: str, storage: AwsStorage | None = None) -> AwsRules:
    schemas = load_default_schemas()
    for attribute in schemas["urn:ietf:params:scim:schemas:core:2.0:Group"].attributes:
        if attribute.name == "displayName":
            attribute.uniqueness = Uniqueness.server   # AWS: 409 on a duplicate group name
    config = load_default_service_provider_config()
    config.filter.max_results = None   # AWS pages through any number of users; scim2-server would stop at 1,000
    config.authentication_schemes = [BEARER_TOKEN_SCHEME]
    provider = ScimProvider.from_discovery(schemas.values(), load_default_resource_types().values(), config=config,
                                           policy=ScimPolicy(remove_value_as_filter=ScimPolicy.RemoveValue.apply))
    return AwsRules(storage or AwsIdStorage(), provider, service=ScimService(provider), bearer_tokens=[token])


class AwsScimServer:
    """`with AwsScimServer() as server:` serves http://127.0.0.1:<free port>/<tenant>/scim/v2/."""

    def __init__(self, tenant: str = DEFAULT_TENANT, token: str = DEFAULT_TOKEN, predictable: bool = False,
                 tls: "ssl.SSLContext | None" = None):
        self.tenant, self.token, self.tls = tenant, token, tls
        self.hooks = Hooks()
        self.app = build_application(token, PredictableStorage() if predictable else None)
        self.httpd = None

    def start(self) -> "AwsScimServer":
        self.httpd = make_server("127.0.0.1", 0, AwsFront(self.app, self.tenant, self.hooks),
                                 server_class=ThreadingWSGIServer, handler_class=KeepAliveHandler)
        self.httpd.daemon_threads = True
        if self.tls:   # HTTPS with the caller's certificate (a private CA in the tests)
            self.httpd.socket = self.tls.wrap_socket(self.httpd.socket, server_side=True)
        self.httpd.hooks, self.httpd.tenant = self.hooks, self.tenant
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def __enter__(self) -> "AwsScimServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The integration's Base URL parameter."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.httpd.server_port}"

    @property
    def scim_url(self) -> str:
        return f"{self.url}/{self.tenant}/scim/v2/"

    def params(self, **overrides) -> dict:
        """Instance settings of an integration pointed at this server."""
        return {"url": self.url, "credentials": {"identifier": self.tenant, "password": self.token},
                "mapper_in": "User Profile - AWS-ILM (Incoming)", "mapper_out": "User Profile - AWS-ILM (Outgoing)",
                **overrides}

    # hooks for tests
    def reset(self) -> None:
        self.app.storage.resources = []
        with self.hooks.lock:
            self.hooks.faults.clear()
            self.hooks.requests.clear()
            self.hooks.connections = 0
            self.hooks.latency = 0.0
            self.hooks.throttled = 0
            self.hooks.rate_limit = None
            self.hooks.quotas = None
            self.hooks.throttled_by_api = {}

    def limit_rate(self, rate: float | None, burst: float | None = None) -> None:
        """Answer 429 with Retry-After beyond `rate` requests a second (None: no limit)."""
        with self.hooks.lock:
            self.hooks.rate_limit = TokenBucket(rate, burst) if rate else None
            self.hooks.throttled = 0

    def apply_quotas(self, reads: float | None = 40.0, writes: float = 25.0) -> None:
        """AWS's published SCIM quotas: each API (GetUser, ListUsers, PatchUser, PatchGroup, ...) a bucket of its
        own, `reads` requests a second for a read API and `writes` for a write API, a second's worth at once;
        over it, 429 with Retry-After (None: no quotas)."""
        with self.hooks.lock:
            self.hooks.quotas = {} if reads else None
            self.hooks.quota_rates = (reads or 0.0, writes)
            self.hooks.throttled = 0
            self.hooks.throttled_by_api = {}

    def add_fault(self, kind: str, **kwargs) -> Fault:
        fault = Fault(kind, **kwargs)
        with self.hooks.lock:
            self.hooks.faults.append(fault)
        return fault

    def resources(self, resource_type: str) -> list:
        """The stored Users or Groups as JSON, members included (which GET never shows)."""
        return [r.model_dump() for r in self.app.storage.of_type(resource_type)]

    def member_ids(self, group_id: str) -> set:
        group = next(g for g in self.resources("Group") if g["id"] == group_id)
        return {m["value"] for m in group.get("members") or []}


def serve_forever() -> None:   # pragma: no cover - a manual tool: python scimtest/aws_scim_server.py
    """Serve until interrupted, printing the settings an AWS-ILM instance needs."""
    with AwsScimServer() as server:
        print(f"AWS_ILM_URL={server.url}\nAWS_ILM_TENANT_ID={server.tenant}\nAWS_ILM_TOKEN={server.token}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    serve_forever()
