"""AWS-ILM: user and group lifecycle in AWS IAM Identity Center through its SCIM v2 endpoint.

Reads top to bottom: constants, errors, the SCIM client, user-profile mapping, result builders,
the commands, and main().
"""
import copy
import json
import random
import time
import traceback
from typing import Any
from urllib.parse import quote

import demistomock as demisto  # noqa: F401
import requests
import urllib3
from CommonServerPython import *  # noqa: F401,F403
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

# ----- constants ------------------------------------------------------------------------------
DEFAULT_BRAND = 'AWS-ILM'
DEFAULT_MAPPER_IN = 'User Profile - AWS-ILM (Incoming)'
DEFAULT_MAPPER_OUT = 'User Profile - AWS-ILM (Outgoing)'
INCOMING_MAPPING_TYPE = 'User Profile'
CREATE_MAPPING_TYPE = 'User Profile - Create'
UPDATE_MAPPING_TYPE = 'User Profile - Update'

USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User'
ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
LEGACY_ENTERPRISE_SCHEMA = 'urn:scim:schemas:extension:enterprise:1.0'
GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group'
PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

SINGLE_VALUED_LISTS = ('emails', 'phoneNumbers', 'addresses')   # AWS keeps exactly one value of each
ENTERPRISE_ATTRIBUTES = ('employeeNumber', 'costCenter', 'organization', 'division', 'department', 'manager')
NEVER_SENT = ('id', 'meta', 'schemas', 'password', 'groups')
LOOKUP_ATTRIBUTES = ('id', 'userName', 'externalId')            # precedence of the user lookup
MAX_MEMBER_CHANGES = 100                                        # per PATCH /Groups request
MAX_PROFILE_CHARACTERS = 64 * 1024                              # a real user profile is a few KB
TEXT_ATTRIBUTES = ('userName', 'displayName', 'nickName', 'profileUrl', 'title', 'userType', 'preferredLanguage',
                   'locale', 'timezone', 'externalId')

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ANY_STATUS = tuple(range(100, 600))   # statuses are judged by Client.send, not by BaseClient
MAX_ATTEMPTS = 5
RETRY_BUDGET_SECONDS = 40.0        # a request stops retrying this long after its first failure
COMMAND_BUDGET_SECONDS = 150.0     # and no retry starts this long after the command began (XSOAR allows 300 s)
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
REQUEST_TIMEOUT = (10.0, 20.0)     # connect, read

IAM_USER_PROFILE_KEY = 'IAM.UserProfile(val.email && val.email == obj.email)'
IAM_VENDOR_KEY = ('IAM.Vendor(val.instanceName && val.instanceName == obj.instanceName'
                  ' && val.email && val.email == obj.email)')
VENDOR_KEYS = ('brand', 'instanceName', 'action', 'success', 'active', 'id', 'username', 'email',
               'errorCode', 'errorMessage', 'details', 'skipped', 'reason')
VENDOR_TABLE = ('brand', 'instanceName', 'success', 'active', 'id', 'username', 'email', 'errorCode',
                'errorMessage', 'details')
VENDOR_SKIPPED_TABLE = ('brand', 'instanceName', 'skipped', 'reason')
GROUP_OUTPUTS = {   # command -> (context prefix, readable title)
    'iam-get-group': ('GetGroup', 'AWS Get Group:'),
    'iam-create-group': ('CreateGroup', 'AWS Create Group:'),
    'iam-update-group': ('UpdateGroup', 'AWS Update Group:'),
    'iam-delete-group': ('DeleteGroup', 'AWS Delete Group:'),
}

DISABLED = 'Command is disabled.'
USER_NOT_FOUND = 'User does not exist'
GROUP_NOT_FOUND = 'Group Not Found'

BUILTIN_USER_FIELDS = {   # get-mapping-fields when GET /Schemas is not available
    'id': 'AWS user id (used only to find the user).',
    'userName': 'Unique user name, usually the sign-in e-mail. Required.',
    'externalId': 'Identifier of the user in the identity provider.',
    'name.givenName': 'First name. Required.',
    'name.familyName': 'Last name. Required.',
    'name.middleName': 'Middle name.',
    'name.formatted': 'Full name, formatted for display.',
    'name.honorificPrefix': 'Title before the name.',
    'name.honorificSuffix': 'Suffix after the name.',
    'displayName': 'Name shown in the AWS access portal. Required (built from the names if absent).',
    'nickName': 'Casual name.',
    'profileUrl': 'URL of the profile page.',
    'title': 'Job title.',
    'userType': 'Kind of employee, e.g. Contractor.',
    'preferredLanguage': 'Preferred language, e.g. en-US.',
    'locale': 'Locale, e.g. en-US.',
    'timezone': 'Time zone, e.g. America/New_York.',
    'active': 'Whether the user can sign in.',
    'emails': 'E-mail address (AWS keeps one, sent as the primary work e-mail).',
    'phoneNumbers': 'Phone number (AWS keeps one, sent as the primary work number).',
    'addresses.streetAddress': 'Street address.',
    'addresses.locality': 'City.',
    'addresses.region': 'State or region.',
    'addresses.postalCode': 'Postal code.',
    'addresses.country': 'Country.',
    'addresses.formatted': 'Full address, formatted for display.',
    f'{ENTERPRISE_SCHEMA}.employeeNumber': 'Employee number.',
    f'{ENTERPRISE_SCHEMA}.costCenter': 'Cost center.',
    f'{ENTERPRISE_SCHEMA}.organization': 'Organization.',
    f'{ENTERPRISE_SCHEMA}.division': 'Division.',
    f'{ENTERPRISE_SCHEMA}.department': 'Department.',
    f'{ENTERPRISE_SCHEMA}.manager.value': 'AWS user id of the manager.',
}
UNMAPPABLE_ATTRIBUTES = ('password', 'groups', 'ims', 'photos', 'entitlements', 'x509Certificates', 'meta')
NOT_MAPPED_SUB_ATTRIBUTES = ('type', 'primary', 'display', '$ref', 'displayName')


# ----- errors ---------------------------------------------------------------------------------
class InputError(Exception):
    """The command's input cannot be used; the message says what to fix."""


class ScimError(Exception):
    """AWS answered with an error status, or could not be reached (status 502/504 then)."""

    def __init__(self, status: int, detail: str):
        super().__init__(f'[{status}] {detail}')
        self.status = status
        self.detail = detail


# ----- SCIM client ----------------------------------------------------------------------------
def scim_base_url(url: str, tenant_id: str) -> str:
    """`https://scim.<region>.amazonaws.com` (or a URL already ending in /<tenant>/scim/v2) -> .../scim/v2/"""
    base = url.strip().rstrip('/')
    if base.endswith('/scim/v2'):
        return base + '/'
    if base.endswith('/scim'):
        return base + '/v2/'
    if not base.endswith('/' + tenant_id):
        base = f'{base}/{quote(tenant_id, safe="")}'
    return base + '/scim/v2/'


def path_segment(value: Any) -> str:
    """Percent-encode one URL path segment, so an id like `../Groups` stays inside its resource."""
    segment = quote(str(value), safe='')
    if segment in ('', '.', '..'):
        raise InputError(f'"{value}" is not a valid id.')
    return segment


def filter_value(value: Any) -> str:
    """Quote a value for an `eq` filter (RFC 7644): escape backslashes and double quotes."""
    return '"' + str(value).replace('\\', '\\\\').replace('"', '\\"') + '"'


def backoff_ceiling(attempt: int) -> float:
    return min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** attempt)


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with jitter: between half and all of the ceiling."""
    ceiling = backoff_ceiling(attempt)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


class ScimRetry(Retry):
    """urllib3's retry policy, as BaseClient uses it, set for AWS: throttling (429, honouring Retry-After),
    5xx answers and dropped connections are retried for every method, with backoff and jitter, within
    RETRY_BUDGET_SECONDS of the first failure and before the command's deadline; each retry is logged."""

    started: float | None = None
    deadline: float = float('inf')

    def new(self, **kw: Any) -> 'ScimRetry':
        retry = super().new(**kw)
        retry.started, retry.deadline = self.started, self.deadline
        return retry

    def increment(self, method: str | None = None, url: str | None = None, response: Any = None,
                  error: Exception | None = None, _pool: Any = None, _stacktrace: Any = None) -> 'ScimRetry':
        started = time.monotonic() if self.started is None else self.started
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        retry.started = started
        asked = retry.get_retry_after(response) if response is not None else None
        wait = asked if asked is not None else backoff_ceiling(len(retry.history) - 1)
        now = time.monotonic()
        if now - started + wait > RETRY_BUDGET_SECONDS or now + wait > self.deadline:
            raise MaxRetryError(_pool, url or '', error or ResponseError(f'still failing after {RETRY_BUDGET_SECONDS:.0f} s'))
        what = f'answered {response.status}' if response is not None else f'failed ({type(error).__name__})'
        demisto.debug(f'AWS-ILM: {method} {str(url).split("?")[0]} {what}; retry {len(retry.history)}, '
                      f'in at most {wait:.1f}s')
        return retry

    def get_backoff_time(self) -> float:
        return backoff_seconds(len(self.history) - 1)


class Client(BaseClient):
    """Talks HTTP to one Identity Center tenant; every request goes through `send()`."""

    def __init__(self, base_url: str, token: str, verify: bool, proxy: bool):
        super().__init__(base_url, verify=verify, proxy=proxy, headers={
            'Authorization': f'Bearer {token}', 'Content-Type': 'application/json', 'Accept': 'application/json'})
        self._token = token
        self.resent_after_lost_answer = False
        retry = ScimRetry(total=MAX_ATTEMPTS - 1, allowed_methods=None, status_forcelist=RETRY_STATUSES,
                          raise_on_status=False, respect_retry_after_header=True)
        retry.deadline = time.monotonic() + COMMAND_BUDGET_SECONDS
        for prefix in list(self._session.adapters):
            self._session.mount(prefix, HTTPAdapter(max_retries=retry))

    def redact(self, text: str) -> str:
        return text.replace(self._token, '<token>') if self._token else text

    def send(self, method: str, path: str, body: Any = None, params: dict | None = None) -> requests.Response:
        """One SCIM call (retried by ScimRetry); an answer other than 2xx raises ScimError."""
        try:
            response = self._http_request(method, url_suffix=path, json_data=body, params=params,
                                          resp_type='response', ok_codes=ANY_STATUS, timeout=REQUEST_TIMEOUT)
        except Exception as exc:  # transport failures: DemistoException (wrapping) or requests' own
            raise self.transport_error(exc)
        history = getattr(getattr(response.raw, 'retries', None), 'history', None) or ()
        self.resent_after_lost_answer = any(attempt.error is not None for attempt in history)
        if not 200 <= response.status_code < 300:
            raise ScimError(response.status_code, self.error_detail(response))
        return response

    @staticmethod
    def transport_error(exc: Exception) -> Exception:
        cause = getattr(exc, 'exception', None) or exc
        reason = getattr(cause.args[0], 'reason', None) if cause.args else None
        if isinstance(cause, requests.exceptions.SSLError):
            return ScimError(502, 'TLS verification of the Base URL failed. Check the certificate, or select '
                                  '"Trust any certificate" for a test instance.')
        if isinstance(cause, requests.exceptions.ProxyError):
            return ScimError(502, 'The proxy refused the connection. Check the system proxy, or clear '
                                  '"Use system proxy settings".')
        if isinstance(cause, requests.exceptions.Timeout) or isinstance(reason, urllib3.exceptions.TimeoutError):
            return ScimError(504, 'AWS did not answer in time.')
        if isinstance(cause, requests.exceptions.RequestException):
            return ScimError(502, 'Could not connect to the Base URL (connection refused, reset or closed). '
                                  'Check the Base URL and the network path to AWS.')
        return exc

    def error_detail(self, response: requests.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and (body.get('detail') or body.get('message')):
            return self.redact(str(body.get('detail') or body.get('message')))
        text = response.text.strip()
        if not text:
            return f'HTTP {response.status_code} {response.reason}'
        if text.startswith('<'):
            return f'HTTP {response.status_code} {response.reason} (the answer was a web page, not SCIM JSON)'
        return self.redact(f'HTTP {response.status_code} {response.reason}: {text[:300]}')

    @staticmethod
    def scim_object(response: requests.Response) -> dict | None:
        """The answer's JSON object (None for an empty body); anything else is AWS's fault, reported as 502."""
        if not response.content:
            return None
        try:
            body = response.json()
        except ValueError:
            raise ScimError(502, f'AWS answered {response.status_code} with a body that is not JSON.')
        if not isinstance(body, dict):
            raise ScimError(502, f'AWS answered {response.status_code} with JSON that is not a SCIM object.')
        return body

    @staticmethod
    def scim_resource(body: Any, kind: str) -> dict:
        if not isinstance(body, dict) or not isinstance(body.get('id'), str) or not body['id']:
            raise ScimError(502, f'AWS answered with a {kind} that has no id.')
        return body

    # users
    def get_user(self, user_id: str) -> dict | None:
        try:
            return self.scim_resource(self.scim_object(self.send('GET', f'Users/{path_segment(user_id)}')), 'user')
        except ScimError as exc:
            if exc.status == 404:
                return None
            raise

    def search(self, resource: str, attribute: str, value: Any) -> dict | None:
        query = f'{attribute} eq {filter_value(value)}'
        listing = self.scim_object(self.send('GET', resource, params={'filter': query})) or {}
        found = listing.get('Resources') or []
        if not isinstance(found, list):
            raise ScimError(502, 'AWS answered a search with Resources that are not a list.')
        found = [self.scim_resource(item, resource[:-1].lower()) for item in found]
        if len(found) > 1:
            raise ScimError(409, f'{len(found)} {resource.lower()} match {query}; give the id instead.')
        return found[0] if found else None

    def create_user(self, body: dict) -> dict:
        return self.scim_resource(self.scim_object(self.send('POST', 'Users', body=body)), 'user')

    def patch(self, resource: str, resource_id: str, operations: list) -> Any:
        body = {'schemas': [PATCH_SCHEMA], 'Operations': operations}
        return self.scim_object(self.send('PATCH', f'{resource}/{path_segment(resource_id)}', body=body))

    # groups
    def get_group(self, group_id: str) -> dict | None:
        try:
            return self.scim_resource(self.scim_object(self.send('GET', f'Groups/{path_segment(group_id)}')),
                                      'group')
        except ScimError as exc:
            if exc.status == 404:
                return None
            raise

    def create_group(self, body: dict) -> dict:
        return self.scim_resource(self.scim_object(self.send('POST', 'Groups', body=body)), 'group')

    def delete_group(self, group_id: str) -> requests.Response:
        return self.send('DELETE', f'Groups/{path_segment(group_id)}')

    def schemas(self) -> dict:
        return self.scim_object(self.send('GET', 'Schemas')) or {}

    def service_provider_config(self) -> Any:
        return self.scim_object(self.send('GET', 'ServiceProviderConfig'))


# ----- user-profile mapping -------------------------------------------------------------------
def parse_user_profile(raw: Any) -> dict:
    """The `user-profile` argument: a JSON object, or a bare user name (the Block Account playbook)."""
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    if isinstance(raw, str) and len(raw) > MAX_PROFILE_CHARACTERS:
        raise InputError(f'user-profile is {len(raw):,} characters long; a user profile is a few KB at most, '
                         'so check that the right field is passed.')
    if isinstance(raw, str) and looks_like_json(raw):
        try:
            profile = json.loads(raw)
        except ValueError as exc:
            raise InputError(f'user-profile is not valid JSON ({exc}). Give a JSON object such as '
                             '{"username": "jdoe@example.com"}.')
        if isinstance(profile, str):
            return parse_user_profile(profile)
    elif isinstance(raw, str) and raw.strip():
        return {'username': raw.strip()}
    elif raw is None or isinstance(raw, str):
        raise InputError('user-profile is missing. Give a JSON object such as {"username": "jdoe@example.com"}.')
    else:
        profile = raw
    if not isinstance(profile, dict):
        kind = {list: 'a list', int: 'a number', float: 'a number', bool: 'true/false', type(None): 'null'}
        raise InputError(f'user-profile must be a JSON object, not {kind.get(type(profile), "that")}; one user '
                         'per call, e.g. {"username": "jdoe@example.com"}.')
    if not profile:
        raise InputError('user-profile is an empty object: give at least a username.')
    old_user_data(profile)   # malformed olduserdata is named now, whatever the command
    return profile


def looks_like_json(text: str) -> bool:
    """A JSON document rather than a bare user name: an object, array, string, number, true/false/null."""
    stripped = text.strip()
    return stripped.startswith(('{', '[', '"')) or stripped in ('true', 'false', 'null') or \
        stripped.lstrip('-').replace('.', '', 1).isdigit()


def old_user_data(profile: dict) -> dict:
    old = profile.get('olduserdata')
    if isinstance(old, str) and old.strip():
        try:
            old = json.loads(old)
        except ValueError:
            raise InputError('olduserdata in user-profile is not valid JSON.')
    if old and not isinstance(old, dict):
        raise InputError('olduserdata in user-profile must be a JSON object of the previous values.')
    return old or {}


def split_attribute_path(key: str) -> list:
    """`name.givenName` -> [name, givenName]; enterprise URNs (1.0 or 2.0) stay one segment."""
    key = key.replace('\\.', '.')
    for urn in (ENTERPRISE_SCHEMA, LEGACY_ENTERPRISE_SCHEMA):
        if key == urn:
            return [ENTERPRISE_SCHEMA]
        if key.startswith((urn + '.', urn + ':')):
            return [ENTERPRISE_SCHEMA] + key[len(urn) + 1:].split('.')
    return key.split('.')


def put_path(target: dict, path: list, value: Any) -> None:
    for part in path[:-1]:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    last = path[-1]
    if not isinstance(value, dict):
        target[last] = value
        return
    if not isinstance(target.get(last), dict):
        target[last] = {}
    for key, sub in value.items():
        put_path(target[last], split_attribute_path(str(key)), sub)


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not value) or \
        (isinstance(value, str) and not value.strip())


def without_empty(value: Any) -> Any:
    if isinstance(value, dict):
        cleaned = {k: without_empty(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if not is_empty(v)}
    if isinstance(value, list):
        return [v for v in (without_empty(v) for v in value) if not is_empty(v)]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def as_boolean(value: Any, name: str) -> bool:
    try:
        return argToBoolean(value)
    except (ValueError, TypeError, AttributeError):
        raise InputError(f'{name} must be true or false, not {value!r}.')


def single_primary(attribute: str, value: Any) -> list:
    """AWS keeps one email, phone number and address, and that one must be primary."""
    if isinstance(value, str) and value.strip().startswith(('[', '{')):
        try:
            value = json.loads(value)
        except ValueError:
            pass
    items = [item if isinstance(item, dict) else {'value': str(item)}
             for item in (value if isinstance(value, list) else [value])]
    items = [item for item in items if item]
    if not items:
        return []
    chosen = next((item for item in items if item.get('primary') in (True, 'true', 'True')), items[0])
    if len(items) > 1:
        demisto.debug(f'AWS-ILM: AWS keeps one of {attribute}; sending the primary one only.')
    chosen = {k: v for k, v in chosen.items() if k != 'display'}
    return [{**chosen, 'type': chosen.get('type') or 'work', 'primary': True}]


def normalise_user(mapped: Any) -> dict:
    """Make the outgoing mapper's result a valid AWS user body (without `schemas`)."""
    user: dict = {}
    for key, value in (mapped.items() if isinstance(mapped, dict) else []):
        if isinstance(key, str) and key:
            put_path(user, split_attribute_path(key), value)
    user = without_empty(user)
    for attribute in SINGLE_VALUED_LISTS:
        if attribute in user:
            user[attribute] = single_primary(attribute, user[attribute])
            if not user[attribute]:
                del user[attribute]
    enterprise = user.get(ENTERPRISE_SCHEMA)
    if enterprise is not None:
        if isinstance(enterprise.get('manager'), str):
            enterprise['manager'] = {'value': enterprise['manager']}
        dropped = sorted(set(enterprise) - set(ENTERPRISE_ATTRIBUTES))
        if dropped:
            demisto.debug(f'AWS-ILM: AWS does not support the enterprise attributes {dropped}; not sent.')
        user[ENTERPRISE_SCHEMA] = {k: v for k, v in enterprise.items() if k in ENTERPRISE_ATTRIBUTES}
        if not user[ENTERPRISE_SCHEMA]:
            del user[ENTERPRISE_SCHEMA]
    if 'active' in user:
        user['active'] = as_boolean(user['active'], 'The mapped "active" field')
    for attribute in TEXT_ATTRIBUTES:
        if isinstance(user.get(attribute), (dict, list, bool)):
            raise InputError(f'"{attribute}" must be text, not {json.dumps(user[attribute])[:100]}: check the '
                             'user profile field mapped to it.')
    return user


def map_user(profile: dict, mapper: str, mapping_type: str) -> dict:
    source = {k: v for k, v in profile.items() if k != 'olduserdata'}
    return normalise_user(demisto.mapObject(source, mapper, mapping_type))


def user_body(user: dict) -> dict:
    body = {k: v for k, v in user.items() if k not in NEVER_SENT}
    body['schemas'] = [USER_SCHEMA] + ([ENTERPRISE_SCHEMA] if ENTERPRISE_SCHEMA in body else [])
    return body


def missing_for_create(user: dict) -> list:
    """Fill displayName from the names when absent; list what AWS still requires."""
    name = user.get('name') or {}
    if not user.get('displayName') and name.get('givenName') and name.get('familyName'):
        user['displayName'] = f"{name['givenName']} {name['familyName']}"
    required = {'userName': user.get('userName'), 'name.givenName': name.get('givenName'),
                'name.familyName': name.get('familyName'), 'displayName': user.get('displayName')}
    return [field for field, value in required.items() if not value]


def primary_email(user: dict | None) -> str | None:
    emails = (user or {}).get('emails') or []
    chosen = next((e for e in emails if isinstance(e, dict) and e.get('primary')), emails[0] if emails else None)
    return chosen.get('value') if isinstance(chosen, dict) else None


def lookup_candidates(profile: dict, mapped: dict, mapper: str, use_old_data: bool) -> list:
    """(attribute, value) pairs to find the user by, best first; old identifiers last; never empty."""
    candidates = identifiers(profile, mapped, mapper, use_old_data)
    if not candidates:
        raise InputError('The user profile has no identifier AWS can search by: it must map (through the '
                         f'outgoing mapper "{mapper}") to userName, externalId or id. AWS cannot search by e-mail; '
                         'give a username.')
    return candidates


def identifiers(profile: dict, mapped: dict, mapper: str, use_old_data: bool) -> list:
    """(attribute, value) pairs to find the user by, best first; old identifiers last."""
    sources = [(profile, mapped)]
    old = old_user_data(profile) if use_old_data else {}
    if old:
        sources.append((old, map_user(old, mapper, UPDATE_MAPPING_TYPE)))
    candidates: list = []
    for raw, user in sources:
        pairs = [('id', raw.get('id') or user.get('id'))] + [(a, user.get(a)) for a in LOOKUP_ATTRIBUTES[1:]]
        if not user.get('userName') and primary_email(user):
            pairs.append(('userName', primary_email(user)))   # AWS userName is usually the e-mail
        candidates += [(a, str(v)) for a, v in pairs if isinstance(v, (str, int)) and str(v).strip()
                       and (a, str(v)) not in candidates]
    return candidates


def find_user(client: Client, candidates: list) -> dict | None:
    for attribute, value in candidates:
        user = client.get_user(value) if attribute == 'id' else client.search('Users', attribute, value)
        if user:
            return user
    return None


def same_value(wanted: Any, current: Any) -> bool:
    if isinstance(wanted, dict):
        return isinstance(current, dict) and all(same_value(v, current.get(k)) for k, v in wanted.items())
    return wanted == current


def user_changes(current: dict, wanted: dict) -> list:
    """PATCH operations that bring `current` to `wanted`, one per changed attribute."""
    operations = []
    for attribute, value in wanted.items():
        if attribute in NEVER_SENT or attribute == 'active':
            continue
        if attribute in ('name', ENTERPRISE_SCHEMA):
            separator = '.' if attribute == 'name' else ':'
            existing = current.get(attribute) or {}
            operations += [replace_operation(f'{attribute}{separator}{sub}', sub_value)
                           for sub, sub_value in value.items() if not same_value(sub_value, existing.get(sub))]
        elif attribute in SINGLE_VALUED_LISTS:
            existing = current.get(attribute) or [{}]
            if not same_value(value[0], existing[0]):
                operations.append(replace_operation(attribute, value))
        elif not same_value(value, current.get(attribute)):
            operations.append(replace_operation(attribute, value))
    return operations


def replace_operation(path: str, value: Any) -> dict:
    return {'op': 'replace', 'path': path, 'value': value}


def apply_operations(user: dict, operations: list) -> dict:
    """The user as AWS holds it after `operations` (for a PATCH that answers 204 without a body)."""
    result = copy.deepcopy(user)
    for operation in operations:
        path = operation['path']
        if path.startswith(ENTERPRISE_SCHEMA + ':'):
            result.setdefault(ENTERPRISE_SCHEMA, {})[path[len(ENTERPRISE_SCHEMA) + 1:]] = operation['value']
        elif '.' in path:
            head, _, sub = path.partition('.')
            result.setdefault(head, {})[sub] = operation['value']
        else:
            result[path] = operation['value']
    return result


# ----- result builders ------------------------------------------------------------------------
def calling_instance() -> tuple:
    context = (getattr(demisto, 'callingContext', None) or {}).get('context') or {}
    return context.get('IntegrationBrand') or DEFAULT_BRAND, context.get('IntegrationInstance') or ''


def vendor_result(action: str, user: dict | None = None, email: str | None = None, success: bool = True,
                  error_code: int | None = None, error_message: str = '', skipped: bool = False,
                  reason: str = '', active: bool | None = None) -> dict:
    brand, instance = calling_instance()
    user = user or {}
    values = {
        'brand': brand, 'instanceName': instance, 'action': action, 'success': success,
        'active': user.get('active') if active is None else active, 'id': user.get('id'),
        'username': user.get('userName'), 'email': email or primary_email(user),
        'errorCode': error_code, 'errorMessage': error_message, 'details': user or None,
        'skipped': skipped, 'reason': reason,
    }
    return {key: values[key] for key in VENDOR_KEYS}


def skipped_result(action: str, reason: str, user: dict | None = None) -> dict:
    return vendor_result(action, user, skipped=True, reason=reason)


def failed_result(action: str, code: int, message: str) -> dict:
    return vendor_result(action, success=False, error_code=code, error_message=message)


def iam_entry(vendor: dict, user_profile: dict) -> dict:
    title = f"{vendor['action'].title()} User Results ({vendor['brand']})"
    headers = list(VENDOR_SKIPPED_TABLE if vendor['skipped'] else VENDOR_TABLE)
    return {
        'Type': EntryType.NOTE,
        'ContentsFormat': EntryFormat.JSON,
        'Contents': vendor,
        'HumanReadable': tableToMarkdown(title, vendor, headers=headers, removeNull=True),
        'EntryContext': {IAM_USER_PROFILE_KEY: user_profile, IAM_VENDOR_KEY: vendor},
    }


def group_result(command: str, success: bool = True, group_id: str | None = None, display_name: str | None = None,
                 details: Any = None, error_code: int | None = None, error_message: str | None = None,
                 members: list | None = None) -> CommandResults:
    prefix, title = GROUP_OUTPUTS[command]
    brand, instance = calling_instance()
    data = {'brand': brand, 'instanceName': instance, 'success': success, 'active': None, 'id': group_id,
            'username': None, 'email': None, 'errorCode': error_code, 'errorMessage': error_message,
            'details': details, 'displayName': display_name, 'members': members or None}
    return CommandResults(outputs_prefix=prefix, outputs_key_field='id', outputs=data, raw_response=data,
                          readable_output=tableToMarkdown(title, data, removeNull=True))


# ----- user commands --------------------------------------------------------------------------
class Settings:
    """The instance configuration, read once from demisto.params()."""

    def __init__(self, params: dict):
        self.create_enabled = checkbox(params, 'create_user_enabled')
        self.update_enabled = checkbox(params, 'update_user_enabled')
        self.enable_enabled = checkbox(params, 'enable_user_enabled')
        self.disable_enabled = checkbox(params, 'disable_user_enabled')
        self.create_if_not_exists = checkbox(params, 'create_if_not_exists')
        self.mapper_in = params.get('mapper_in') or DEFAULT_MAPPER_IN
        self.mapper_out = params.get('mapper_out') or DEFAULT_MAPPER_OUT


def checkbox(params: dict, name: str, default: bool = True) -> bool:
    """A checkbox the instance never saved counts as its default, never as 'off'."""
    value = params.get(name)
    if value is None or value == '':
        return default
    try:
        return argToBoolean(value)
    except ValueError:
        return default


def may_enable(args: dict, settings: Settings) -> bool:
    return settings.enable_enabled and as_boolean(args.get('allow-enable') or 'true', 'allow-enable')


def find_profile_user(client: Client, profile: dict, settings: Settings, use_old_data: bool) -> tuple:
    """The profile mapped for an update, and the AWS user it designates (None when there is none)."""
    mapped = map_user(profile, settings.mapper_out, UPDATE_MAPPING_TYPE)
    return mapped, find_user(client, lookup_candidates(profile, mapped, settings.mapper_out, use_old_data))


def patch_user(client: Client, user: dict, operations: list) -> dict:
    """Apply `operations`; the user as AWS answers it, or as it must be when AWS answers 204."""
    return client.patch('Users', user['id'], operations) or apply_operations(user, operations)


def get_user_command(client: Client, profile: dict, args: dict, settings: Settings) -> tuple:
    _, user = find_profile_user(client, profile, settings, use_old_data=False)
    if not user:
        return failed_result('get', 404, USER_NOT_FOUND), profile
    incoming = demisto.mapObject(user, settings.mapper_in, INCOMING_MAPPING_TYPE)
    return vendor_result('get', user, email=profile.get('email')), incoming


def create_user_command(client: Client, profile: dict, args: dict, settings: Settings) -> tuple:
    if not settings.create_enabled:
        return skipped_result('create', DISABLED), profile
    user = map_user(profile, settings.mapper_out, CREATE_MAPPING_TYPE)
    missing = missing_for_create(user)
    if missing:   # cannot be created; it may exist already and be updated instead
        existing = find_user(client, identifiers(profile, user, settings.mapper_out, use_old_data=False))
        if existing:
            return update_existing_user(client, profile, args, settings, existing)
        raise InputError(f'Cannot create the user: AWS requires userName, name.givenName, name.familyName and '
                         f'displayName, and the profile mapped through "{settings.mapper_out}" lacks '
                         f'{", ".join(missing)}.')
    user['active'] = may_enable(args, settings)
    try:
        created = client.create_user(user_body(user))
    except ScimError as exc:
        if exc.status != 409:
            raise
        resent = client.resent_after_lost_answer
        existing = find_user(client, lookup_candidates(profile, user, settings.mapper_out, use_old_data=False))
        if not existing:
            raise ScimError(409, f'User already exists: {exc.detail} No user matches its userName or '
                                 'externalId, so another user holds the same e-mail or identifier.')
        if resent:   # the first POST created the user; its answer was lost on the way back
            return vendor_result('create', existing, email=profile.get('email')), profile
        return update_existing_user(client, profile, args, settings, existing)
    return vendor_result('create', created, email=profile.get('email')), profile


def update_user_command(client: Client, profile: dict, args: dict, settings: Settings) -> tuple:
    if not settings.update_enabled:
        return skipped_result('update', DISABLED), profile
    user, existing = find_profile_user(client, profile, settings, use_old_data=True)
    if existing:
        return update_existing_user(client, profile, args, settings, existing, user)
    if settings.create_if_not_exists:
        return create_user_command(client, profile, args, settings)
    return skipped_result('update', USER_NOT_FOUND), profile


def update_existing_user(client: Client, profile: dict, args: dict, settings: Settings, existing: dict,
                         wanted: dict | None = None) -> tuple:
    if not settings.update_enabled:
        return skipped_result('update', DISABLED, existing), profile
    if wanted is None:
        wanted = map_user(profile, settings.mapper_out, UPDATE_MAPPING_TYPE)
    operations = user_changes(existing, wanted)
    if may_enable(args, settings) and existing.get('active') is False:
        operations.append(replace_operation('active', True))
    updated = patch_user(client, existing, operations) if operations else existing
    return vendor_result('update', updated, email=profile.get('email')), profile


def disable_user_command(client: Client, profile: dict, args: dict, settings: Settings) -> tuple:
    if not settings.disable_enabled:
        return skipped_result('disable', DISABLED), profile
    _, existing = find_profile_user(client, profile, settings, use_old_data=True)
    if not existing:
        return skipped_result('disable', USER_NOT_FOUND), profile
    if existing.get('active') is False:
        return skipped_result('disable', 'User is already disabled.', existing), profile
    updated = patch_user(client, existing, [replace_operation('active', False)])
    return vendor_result('disable', updated, email=profile.get('email'), active=False), profile


USER_COMMANDS: dict = {
    'iam-get-user': ('get', get_user_command),
    'iam-create-user': ('create', create_user_command),
    'iam-update-user': ('update', update_user_command),
    'iam-disable-user': ('disable', disable_user_command),
}


def run_user_command(command: str, client: Client, args: dict, settings: Settings) -> dict:
    """Every outcome of a user command, failures included, is one IAM entry."""
    action, handler = USER_COMMANDS[command]
    profile: dict = {}
    try:
        profile = parse_user_profile(args.get('user-profile'))
        vendor, context_profile = handler(client, profile, args, settings)
    except Exception as exc:
        vendor, context_profile = failed_result(action, *failure_of(command, client, exc)), profile
    return iam_entry(vendor, context_profile)


def failure_of(command: str, client: Client, exc: Exception) -> tuple:
    """(error code, message) the user sees; an unexpected error is logged with its traceback, redacted."""
    if isinstance(exc, InputError):
        return 400, str(exc)
    if isinstance(exc, ScimError):
        return exc.status, exc.detail
    demisto.error(client.redact(f'AWS-ILM {command}: {traceback.format_exc()}'))
    return 500, client.redact(f'Unexpected error: {type(exc).__name__}: {exc}')


# ----- group commands -------------------------------------------------------------------------
def parse_scim(raw: Any) -> dict:
    if isinstance(raw, dict):
        scim = raw
    else:
        try:
            scim = json.loads(raw) if isinstance(raw, str) and raw.strip() else None
        except ValueError as exc:
            raise InputError(f'scim is not valid JSON ({exc}). Give a JSON object such as {{"id": "..."}}.')
    if not isinstance(scim, dict):
        raise InputError('scim must be a JSON object such as {"id": "..."} or {"displayName": "..."}.')
    return scim


def text_field(scim: dict, name: str) -> str | None:
    value = scim.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise InputError(f'"{name}" in scim must be a string.')
    return str(value).strip()


def parse_member_ids(raw: Any, name: str) -> list:
    """A JSON list, a list or a comma-separated string of user ids; blanks and repeats dropped."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return []
    items = raw
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith('['):
            try:
                items = json.loads(text)
            except ValueError:
                raise InputError(f'{name} is not a valid JSON list.')
        else:
            items = text.split(',')
    if not isinstance(items, list):
        items = [items]
    ids: dict = {}   # ordered, without repeats
    for item in items:
        if isinstance(item, dict):
            item = item.get('value')
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise InputError(f'{name} holds {json.dumps(item)}, which is not a user id.')
        if str(item).strip():
            ids[str(item).strip()] = True
    return list(ids)


def resolve_group(client: Client, scim: dict) -> dict | None:
    group_id, name = text_field(scim, 'id'), text_field(scim, 'displayName')
    if group_id:
        return {'id': group_id, 'displayName': name}
    if name:
        return client.search('Groups', 'displayName', name)
    raise InputError('Give the group\'s "id" or "displayName" in scim, e.g. {"id": "..."}.')


def get_group_command(client: Client, args: dict) -> CommandResults:
    scim = parse_scim(args.get('scim'))
    group_id = text_field(scim, 'id')
    group = client.get_group(group_id) if group_id else resolve_group(client, scim)
    if not group:
        return group_result('iam-get-group', False, group_id, text_field(scim, 'displayName'),
                            error_code=404, error_message=GROUP_NOT_FOUND)
    return group_result('iam-get-group', True, group.get('id'), group.get('displayName'), details=group,
                        members=group.get('members'))


def create_group_command(client: Client, args: dict) -> CommandResults:
    scim = parse_scim(args.get('scim'))
    name = text_field(scim, 'displayName')
    if not name:
        raise InputError('Give the new group\'s "displayName" in scim, e.g. {"displayName": "Engineers"}.')
    body: dict[str, Any] = {'schemas': [GROUP_SCHEMA], 'displayName': name}
    if text_field(scim, 'externalId'):
        body['externalId'] = text_field(scim, 'externalId')
    members = parse_member_ids(scim.get('members'), 'members')
    if len(members) > MAX_MEMBER_CHANGES:
        raise InputError(f'AWS takes at most {MAX_MEMBER_CHANGES} members when creating a group; create it, then '
                         'add them with iam-update-group.')
    if members:
        body['members'] = [{'value': member} for member in members]
    try:
        group = client.create_group(body)
    except ScimError as exc:
        if exc.status != 409:
            raise
        return group_result('iam-create-group', False, None, name, details=exc.detail, error_code=409,
                            error_message='Group already exists')
    return group_result('iam-create-group', True, group.get('id'), group.get('displayName'), details=group)


def member_batches(to_add: list, to_remove: list) -> list:
    """PATCH operation lists of at most MAX_MEMBER_CHANGES member changes each (add and remove)."""
    changes = [('add', member) for member in to_add] + [('remove', member) for member in to_remove]
    batches = []
    for start in range(0, len(changes), MAX_MEMBER_CHANGES):
        chunk = changes[start:start + MAX_MEMBER_CHANGES]
        batches.append([{'op': op, 'path': 'members', 'value': [{'value': m} for o, m in chunk if o == op]}
                        for op in ('add', 'remove') if any(o == op for o, _ in chunk)])
    return batches


def update_group_command(client: Client, args: dict) -> CommandResults:
    scim = parse_scim(args.get('scim'))
    to_add = parse_member_ids(args.get('memberIdsToAdd'), 'memberIdsToAdd')
    to_remove = parse_member_ids(args.get('memberIdsToDelete'), 'memberIdsToDelete')
    both = sorted(set(to_add) & set(to_remove))
    if both:
        raise InputError(f'These ids are both to add and to delete: {", ".join(both[:10])}.')
    if not to_add and not to_remove:
        raise InputError('Nothing to change: give memberIdsToAdd or memberIdsToDelete.')
    group = resolve_group(client, scim)
    if not group:
        return group_result('iam-update-group', False, None, text_field(scim, 'displayName'),
                            error_code=404, error_message=GROUP_NOT_FOUND)
    done: dict = {'added': [], 'removed': []}
    for operations in member_batches(to_add, to_remove):
        try:
            client.patch('Groups', group['id'], operations)
        except ScimError as exc:
            return partial_update_result(group, done, to_add, to_remove, exc)
        for operation in operations:
            done['added' if operation['op'] == 'add' else 'removed'] += [v['value'] for v in operation['value']]
    details = {'membersAdded': done['added'], 'membersRemoved': done['removed']}
    return group_result('iam-update-group', True, group['id'], group.get('displayName'), details=details)


def partial_update_result(group: dict, done: dict, to_add: list, to_remove: list, exc: ScimError) -> CommandResults:
    added, removed = set(done['added']), set(done['removed'])
    pending_add = [m for m in to_add if m not in added]
    pending_remove = [m for m in to_remove if m not in removed]
    message = (f'{exc.detail} Applied {len(added) + len(removed)} of {len(to_add) + len(to_remove)} member changes '
               f'before the failure; not applied: {len(pending_add)} to add, {len(pending_remove)} to delete (see '
               'details).')
    if exc.status in (502, 504):
        message += (' The failed request got no answer, so AWS may have applied it; run the command again to be '
                    'sure (adding or removing a member twice is harmless).')
    details = {'membersAdded': done['added'], 'membersRemoved': done['removed'],
               'notAdded': pending_add, 'notRemoved': pending_remove}
    return group_result('iam-update-group', False, group['id'], group.get('displayName'), details=details,
                        error_code=exc.status, error_message=message)


def delete_group_command(client: Client, args: dict) -> CommandResults:
    scim = parse_scim(args.get('scim'))
    group = resolve_group(client, scim)
    if group:
        try:
            client.delete_group(group['id'])
            return group_result('iam-delete-group', True, group['id'], group.get('displayName'),
                                details=f"Group {group['id']} deleted.")
        except ScimError as exc:
            if exc.status != 404:
                raise
    return group_result('iam-delete-group', False, text_field(scim, 'id'), text_field(scim, 'displayName'),
                        error_code=404, error_message=GROUP_NOT_FOUND)


GROUP_COMMANDS: dict = {
    'iam-get-group': get_group_command,
    'iam-create-group': create_group_command,
    'iam-update-group': update_group_command,
    'iam-delete-group': delete_group_command,
}


def run_group_command(command: str, client: Client, args: dict) -> CommandResults:
    """Every outcome of a group command, failures included, is one group output."""
    try:
        return GROUP_COMMANDS[command](client, args)
    except Exception as exc:
        code, message = failure_of(command, client, exc)
        return group_result(command, False, error_code=code, error_message=message)


# ----- test-module and get-mapping-fields -----------------------------------------------------
def test_module(client: Client) -> str:
    try:
        if not isinstance(client.service_provider_config(), dict):
            raise ScimError(502, 'AWS answered without a SCIM configuration.')
    except ScimError as exc:
        if exc.status == 401:
            return ('Authorization failed (401): check the Tenant ID and the Authentication Token. Access tokens '
                    'expire one year after they are created; generate a new one in IAM Identity Center > '
                    'Settings > Identity source > Manage provisioning.')
        if exc.status == 403:
            return f'Access denied (403): the token is not allowed to use this SCIM endpoint. {exc.detail}'
        if exc.status in (502, 504):
            return f'{exc.detail} Check the Base URL: it looks like https://scim.<region>.amazonaws.com.'
        if exc.status == 404:
            return ('The SCIM endpoint was not found (404): check the Base URL '
                    '(https://scim.<region>.amazonaws.com) and the Tenant ID.')
        return f'AWS answered {exc.status}: {exc.detail}'
    return 'ok'


def schema_fields(schema: dict, prefix: str) -> dict:
    """Mappable fields of one SCIM schema: attributes and `parent.sub` sub-attributes."""
    fields = {}
    for attribute in schema.get('attributes') or []:
        name = attribute.get('name')
        if not name or name in UNMAPPABLE_ATTRIBUTES or attribute.get('mutability') == 'readOnly':
            continue
        description = attribute.get('description') or ''
        subs = [s for s in attribute.get('subAttributes') or []
                if s.get('name') not in NOT_MAPPED_SUB_ATTRIBUTES and s.get('mutability') != 'readOnly']
        if attribute.get('type') == 'complex' and subs and name not in ('emails', 'phoneNumbers'):
            fields.update({f'{prefix}{name}.{s["name"]}': s.get('description') or '' for s in subs})
        else:
            fields[f'{prefix}{name}'] = description
    return fields


def get_mapping_fields(client: Client) -> GetMappingFieldsResponse:
    fields: dict = {}
    try:
        for schema in client.schemas().get('Resources') or []:
            if schema.get('id') == USER_SCHEMA:
                fields.update(schema_fields(schema, ''))
            elif schema.get('id') == ENTERPRISE_SCHEMA:
                fields.update(schema_fields(schema, f'{ENTERPRISE_SCHEMA}.'))
    except ScimError as exc:
        demisto.debug(f'AWS-ILM: GET /Schemas failed ({exc}); using the built-in field list.')
    if not fields.get('userName'):
        fields = dict(BUILTIN_USER_FIELDS)
    fields.setdefault('id', BUILTIN_USER_FIELDS['id'])
    return GetMappingFieldsResponse([SchemeTypeMapping(type_name=INCOMING_MAPPING_TYPE, fields=fields)])


# ----- main -----------------------------------------------------------------------------------
def build_client(params: dict) -> Client:
    credentials = params.get('credentials') or {}
    tenant_id = (credentials.get('identifier') or params.get('tenant_id') or '').strip()
    token = (credentials.get('password') or params.get('authentication_token') or '').strip()
    url = (params.get('url') or '').strip()
    if not url or not tenant_id or not token:
        missing = [name for name, value in (('Base URL', url), ('Tenant ID', tenant_id),
                                            ('Authentication Token', token)) if not value]
        raise InputError(f'The instance is missing {", ".join(missing)}: set it in the instance settings.')
    insecure = checkbox(params, 'insecure', default=False)
    if insecure:
        urllib3.disable_warnings()
    return Client(scim_base_url(url, tenant_id), token, verify=not insecure,
                  proxy=checkbox(params, 'proxy', default=False))


def main() -> None:
    params, args, command = demisto.params(), demisto.args(), demisto.command()
    demisto.debug(f'AWS-ILM: running {command}')
    token = str((params.get('credentials') or {}).get('password') or params.get('authentication_token') or '')
    try:
        client = build_client(params)
        if command in USER_COMMANDS:
            return_results(run_user_command(command, client, args, Settings(params)))
        elif command in GROUP_COMMANDS:
            return_results(run_group_command(command, client, args))
        elif command == 'test-module':
            outcome = test_module(client)
            if outcome != 'ok':
                raise InputError(outcome)
            return_results(outcome)
        elif command == 'get-mapping-fields':
            return_results(get_mapping_fields(client))
        else:
            raise NotImplementedError(f'The command {command} is not implemented by AWS-ILM.')
    except Exception as exc:
        message = str(exc) if command == 'test-module' else f'Failed to execute {command} command. Error: {exc}'
        return_error(message.replace(token, '<token>') if token else message)


if __name__ in ('__main__', '__builtin__', 'builtins'):
    main()
