"""AWS-ILM: user and group lifecycle in AWS IAM Identity Center through its SCIM v2 endpoint.

Laid out as content's integrations are: imports, constants, errors, the instance settings, the `Client` (every AWS
request through `send`), the helpers (each just above the first function that uses it: the Client's transport
first, then each command's in the order the commands come), one `*_command` function per command, the table of
commands, `main()` and the entry guard. The platform pastes this script after CommonServerPython and compiles it:
no `from __future__` import, and no annotation names a definition below it.

A user command flows one way: parse (`read_user_arguments`, then `read_user_request`: the profile mapped once),
resolve and plan (`plan_user_command`: who the user is, then what changes, as a `UserPlan`; nothing is written),
write (`write_user`: the plan's one request), report (`user_report`, for success and failure alike). Several users
(iam-disable-user, iam-enable-user) are worked at once within the command's time budget (`run_users`), and one
user's failure, expected or not, is that user's result alone.
"""
import ast
import copy
import email.utils
import ipaddress
import json
import math
import random
import re
import ssl
import threading
import time
import traceback
import unicodedata
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import demistomock as demisto  # noqa: F401
import requests
import urllib3
from CommonServerPython import *  # noqa: F401,F403


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

# AWS's user schema (IAM Identity Center SCIM developer guide, its supported attributes and constraints): every
# attribute AWS keeps and its shape. 'text' and 'boolean' are one value; 'object' is one object of the sub-attributes
# named; 'one of' is a multi-valued attribute of which AWS keeps one object (primary) of the sub-attributes named.
# Anything else a mapper gives is left out and named. get-mapping-fields offers what this table accepts.
MULTI_VALUE_SUBS = ('value', 'type', 'primary')
AWS_USER_SCHEMA: dict[str, tuple[str, tuple[str, ...]]] = {
    'userName': ('text', ()), 'externalId': ('text', ()), 'displayName': ('text', ()), 'nickName': ('text', ()),
    'profileUrl': ('text', ()), 'title': ('text', ()), 'userType': ('text', ()), 'preferredLanguage': ('text', ()),
    'locale': ('text', ()), 'timezone': ('text', ()), 'active': ('boolean', ()),
    'name': ('object', ('formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix')),
    'emails': ('one of', MULTI_VALUE_SUBS), 'phoneNumbers': ('one of', MULTI_VALUE_SUBS),
    'roles': ('one of', MULTI_VALUE_SUBS),
    'addresses': ('one of', ('formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type',
                             'primary')),
    ENTERPRISE_SCHEMA: ('object', ('employeeNumber', 'costCenter', 'organization', 'division', 'department',
                                   'manager')),
}
SINGLE_VALUED_LISTS = tuple(name for name, (shape, _) in AWS_USER_SCHEMA.items() if shape == 'one of')
TYPED_LISTS = ('emails', 'phoneNumbers', 'addresses')   # a new one without a type is sent as 'work'
NEVER_SENT = ('id', 'meta', 'schemas')
LOOKUP_ATTRIBUTES = ('id', 'userName', 'externalId')            # precedence of the user lookup
MAX_MEMBER_CHANGES = 100                                        # per PATCH /Groups request
MAX_PAGE = 100                                                  # ListUsers / ListGroups count: 1-100
DEFAULT_LIST_LIMIT = 50
MAX_LIST_LIMIT = 1000
DEFAULT_MEMBERS_LIMIT = 1000                                    # iam-get-group reads this many members (10 pages)
MAX_GROUP_MEMBERS = 100_000                                     # and at most this many when asked
MIN_PAGE_SECONDS = 5.0                                          # a listing stops paging this close to the deadline
MEMBERS_SHOWN = 50                                              # rows of the readable members table
MAX_PROFILE_CHARACTERS = 2 * 1024 * 1024                        # text or JSON; 1 MB of custom fields still fits
MAX_USER_NAME_CHARACTERS = 128                                  # AWS's rules for the text it accepts
MAX_TEXT_CHARACTERS = 1024
USER_NAME_FORBIDDEN = '<>;:%'
EXTERNAL_ID_FORBIDDEN = ':'                                     # seen refused with AWS's generic 400
AWS_USER_ID = re.compile(r'(?:[0-9a-f]{10}-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', re.IGNORECASE)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
OK_STATUSES = tuple(range(200, 300))   # BaseClient hands any other answer to Client.refuse
LOST_ANSWER_RETRIES = 4            # a request whose answer was lost is sent again at most this often
COMMAND_BUDGET_SECONDS = 150.0     # throttling and 5xx are retried until then, where the platform gives no time limit
REPORT_RESERVE_SHARE = 0.15        # of the execution's time limit, kept back for the report (group changes, the record)
REPORT_RESERVE_SECONDS = (20.0, 60.0)   # at least, at most
INTERACTIVE_BUDGET_SECONDS = 30.0  # the budget of the Test button and get-mapping-fields, which a person waits for
INTERACTIVE_COMMANDS = ('test-module', 'get-mapping-fields')
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
SERVER_ERROR_RETRIES = 5           # a 5xx is retried this often (as AWS's SDKs do, over seconds), then reported
SERVER_ERROR_BACKOFF_CAP = 2.0     # so that a failing AWS answers within about 10 s
REQUEST_TIMEOUT = (10.0, 20.0)     # connect, read
CONNECT_RETRIES = 1                # an unreachable host is tried twice, not five times
MAX_READ_TIMEOUT = 60.0            # the most a REQUESTS_TIMEOUT override may set
RETRY_LIMITS = {'lost answer': LOST_ANSWER_RETRIES, 'failed connection': CONNECT_RETRIES,   # None: until the
                'server error': SERVER_ERROR_RETRIES, 'throttled': None}                      # budget is spent
PARALLEL_USERS = 20                # users of one command worked at once, each on a connection of the client's pool
READ_QUOTA = 40.0                  # AWS's published SCIM quotas: requests a second for each read API
WRITE_QUOTA = 25.0                 # and for each write API, per identity store
PACE_BURST = 5.0                   # requests of one API that may start at once; AWS's own bucket keeps the rest
DRY_RUN_ID = '(the id AWS would give it)'
SCP_CHARACTERS = 5120              # one service control policy, as AWS counts it (10,240 since May 2026; many still 5,120)
SCP_CHARACTERS_RANGE = (1000, 10240)
INLINE_POLICY_CHARACTERS = 10240   # a permission set's one inline policy, non-whitespace characters
SCPS_PER_TARGET = (5, 10)          # SCPs one root, OU or account takes (10 under the newer quota); FullAWSAccess is one
DENY_HOURS = 12                    # AWS: keep the ids in the Deny this long, until the role sessions they assumed expire
DENY_FILE = 'AWS-ILM-deny-policies.json'
FILTER_REFUSALS = (400, 404, 501)  # AWS's answers to a filter the tenant does not support

IAM_USER_PROFILE_KEY = 'IAM.UserProfile(val.email && val.email == obj.email)'
IAM_VENDOR_KEY = ('IAM.Vendor(val.instanceName && val.instanceName == obj.instanceName'
                  ' && val.email && val.email == obj.email)')
VENDOR_KEYS = ('brand', 'instanceName', 'action', 'success', 'active', 'id', 'username', 'email',
               'errorCode', 'errorMessage', 'details', 'skipped', 'reason')   # and 'notes' when there are any
VENDOR_TABLE = ('brand', 'instanceName', 'success', 'active', 'id', 'username', 'email', 'errorCode',
                'errorMessage', 'details')
VENDOR_SKIPPED_TABLE = ('brand', 'instanceName', 'skipped', 'reason', 'active', 'id', 'username', 'email')
RAW_NAME_KEYS = ('username', 'login', 'user_name', 'userName')   # what callers name a user by, mapped or not
GROUP_OUTPUTS = {   # command -> (context prefix, readable title)
    'iam-get-group': ('GetGroup', 'AWS Get Group:'),
    'iam-create-group': ('CreateGroup', 'AWS Create Group:'),
    'iam-update-group': ('UpdateGroup', 'AWS Update Group:'),
    'iam-delete-group': ('DeleteGroup', 'AWS Delete Group:'),
}

DISABLED = 'Command is disabled.'
USER_NOT_FOUND = 'User does not exist'
FIND_MEMBER_HINT = ('Give each member as its AWS user name (usually the sign-in e-mail) or its AWS user id: '
                    '!aws-ilm-list-users user_name=<name> finds a user, !iam-get-group lists a group\'s members.')
FIND_USER_HINT = ('Give the user as its AWS user name (usually the sign-in e-mail), its employee ID mapped to '
                  'externalId, or its AWS user id; !aws-ilm-list-users user_name=<name> finds it.')
ALREADY_DISABLED = 'User is already disabled.'
ALREADY_ENABLED = 'User is already enabled.'
GROUP_NOT_FOUND = 'Group Not Found'
GROUP_EXISTS = 'Group already exists'
AUTH_FAILED = ('Authorization failed (401): check the Tenant ID and the Authentication Token. Access tokens '
               'expire one year after they are created; generate a new one in IAM Identity Center > '
               'Settings > Identity source > Manage provisioning.')

BUILTIN_USER_FIELDS = {   # get-mapping-fields: what AWS_USER_SCHEMA accepts, described (AWS's words when it gives them)
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
    'roles': 'Role (AWS keeps one, sent as the primary role).',
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
    f'{ENTERPRISE_SCHEMA}.manager.value': 'The manager: user name (usually the e-mail) or AWS user id; sent as the '
                                          'manager\'s AWS user id.',
}

USER_FLAGS = ('create_enabled', 'update_enabled', 'enable_enabled', 'disable_enabled')   # the "Allow ..." boxes

USER_COMMANDS: dict[str, str] = {   # command -> its IAM action
    'iam-get-user': 'get',
    'iam-create-user': 'create',
    'iam-update-user': 'update',
    'iam-disable-user': 'disable',
    'iam-enable-user': 'enable',
}
SETTINGS_COMMANDS = ('iam-get-user', 'iam-create-user', 'iam-update-user', 'iam-disable-user', 'iam-enable-user',
                     'aws-ilm-list-contained-users')   # the commands that read the instance's settings
GROUP_COMMANDS = ('iam-get-group', 'iam-create-group', 'iam-update-group', 'iam-delete-group')
SEVERAL_USERS_COMMANDS = ('iam-disable-user', 'iam-enable-user')   # Block Account passes several user names
STATE_ACTIONS = ('disable', 'enable')   # turned off, they still report the user's state (a script reads `active`)

CONTAINMENT_KEY = 'containedUsers'   # the integration context's record of the memberships removed, by AWS user id
MAX_USER_GROUPS = 10_000             # a user's groups read by a containment (AWS evaluates at most 1,000)
RETENTION_DAYS = 90                # containment records kept this long by default (the longest portal session)
RETENTION_RANGE = (1, 3650)
MAX_CONTAINMENT_RECORDS = 5000     # and at most this many, the oldest dropped first (about 2 MB of context)
CONTINUATION_KEY = 'continuations'  # the integration context's state of the commands that continue themselves
CONTINUATION_DAYS = 2              # a continuation not picked up within this long is dropped
MAX_STALLED_RUNS = 3               # runs in a row that finish no user (AWS throttles every try) before the rest fail
POLLING_TIMEOUT_SECONDS = 6 * 3600  # how long the platform keeps scheduling one command, by default
SHORT_WAIT_SECONDS = 10.0          # a command that continues itself waits no longer for AWS: it runs again later
CONTEXT_WRITE_ATTEMPTS = 5           # a versioned write of the record, read again after another command's write

OUTCOME_ORDER = ('failed', 'not reached', 'skipped', 'already disabled', 'already enabled', 'disabled',
                 'enabled')   # what to act on first

DRY_RUN_COMMANDS = ('iam-create-user', 'iam-update-user', 'iam-disable-user', 'iam-enable-user', 'iam-create-group',
                    'iam-update-group', 'iam-delete-group')


# ----- errors ---------------------------------------------------------------------------------
class InputError(Exception):
    """The command's input cannot be used; the message says what to fix."""


class IdentityConflict(Exception):
    """The profile's identifiers lead to different AWS users and nothing proves which is the person (409)."""


class ScimError(Exception):
    """AWS answered with an error status, or could not be reached (status 502/504 then).

    `maybe_applied`: the request went out and its answer was lost, so AWS may have carried it out; `resent`: an
    attempt of the request got no answer and it was sent again (so AWS's 409 may be about that attempt's own work);
    `retry_after`: the seconds AWS asked to wait (its Retry-After); `cause`, for a failure to get an answer: 'lost
    answer' (the request went out, no answer came), 'failed connection' (it never left), 'TLS failure' or 'proxy
    refusal'."""

    def __init__(self, status: int, detail: str, maybe_applied: bool = False, resent: bool = False,
                 retry_after: float | None = None, cause: str = ''):
        super().__init__(f'[{status}] {detail}')
        self.status = status
        self.detail = detail
        self.maybe_applied = maybe_applied
        self.resent = resent
        self.retry_after = retry_after
        self.cause = cause

    def retry_kind(self) -> str:
        """What a retry may cure: a lost answer, a failed connection, throttling, a server error; '' nothing."""
        if self.cause:
            return self.cause
        return 'throttled' if self.status == 429 else 'server error' if self.status in RETRY_STATUSES else ''


# ----- the instance settings ------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    """The instance configuration, read once from demisto.params(): how to reach the tenant, and what the user
    commands may do (the "Allow ..." checkboxes) through which mappers."""
    base_url: str = ''
    token: str = ''
    verify: bool = True
    proxy: bool = False
    create_enabled: bool = True
    update_enabled: bool = True
    enable_enabled: bool = True
    disable_enabled: bool = True
    create_if_not_exists: bool = True
    remove_from_groups: bool = False
    scp_characters: int = SCP_CHARACTERS
    retention_days: int = RETENTION_DAYS
    mapper_in: str = DEFAULT_MAPPER_IN
    mapper_out: str = DEFAULT_MAPPER_OUT

    @classmethod
    def from_params(cls, params: dict) -> 'Settings':
        """The settings of `params` (demisto.params()); InputError names what is missing or wrong."""
        token, tenant_id = instance_credentials(params)
        url = (params.get('url') or '').strip()
        if not url or not token:
            missing = [name for name, value in (('Base URL', url), ('Authentication Token', token)) if not value]
            raise InputError(f'The instance is missing {", ".join(missing)}: set it in the instance settings.')
        flags = {flag: checkbox(params, flag.replace('_enabled', '_user_enabled')) for flag in USER_FLAGS}
        return cls(scim_base_url(url, tenant_id), token, not checkbox(params, 'insecure', default=False),
                   checkbox(params, 'proxy', default=False), **flags,
                   create_if_not_exists=checkbox(params, 'create_if_not_exists'),
                   remove_from_groups=checkbox(params, 'remove_from_groups', default=False),
                   scp_characters=whole_number(params.get('scp_max_characters'), 'Service control policy size',
                                               SCP_CHARACTERS, SCP_CHARACTERS_RANGE,
                                               '5120, or 10240 where the organization has the newer quota'),
                   retention_days=whole_number(params.get('containment_retention_days'), 'Containment record '
                                               'retention (days)', RETENTION_DAYS, RETENTION_RANGE, 'default 90'),
                   mapper_in=params.get('mapper_in') or DEFAULT_MAPPER_IN,
                   mapper_out=params.get('mapper_out') or DEFAULT_MAPPER_OUT)


# ----- the SCIM client: every request through send --------------------------------------------
class Client(BaseClient):
    """The AWS operations on one Identity Center tenant. Every request goes through `send()`: the platform's
    BaseClient sends it (proxy, certificates, its REQUESTS_TIMEOUT override, its error handler hook) and `send`
    sends it again where AWS allows, within the command's time budget."""

    def __init__(self, settings: Settings, budget_seconds: float = COMMAND_BUDGET_SECONDS, dry_run: bool = False,
                 reserve_seconds: float | None = None, longest_wait: float | None = None):
        super().__init__(settings.base_url, verify=settings.verify, proxy=settings.proxy, ok_codes=OK_STATUSES,
                         timeout=REQUEST_TIMEOUT[1], headers={'Authorization': f'Bearer {settings.token}',
                                                              'Content-Type': 'application/json',
                                                              'Accept': 'application/json'})
        if not settings.verify:
            urllib3.disable_warnings()
        for adapter in self._session.adapters.values():   # a connection for each user worked at once
            adapter.init_poolmanager(PARALLEL_USERS, PARALLEL_USERS)  # type: ignore[attr-defined]
        self.token = settings.token
        self.host = urlsplit(settings.base_url).netloc
        self.timeout_pair = (REQUEST_TIMEOUT[0], min(self.timeout, MAX_READ_TIMEOUT))   # BaseClient read the override
        self.deadline = time.monotonic() + budget_seconds
        self.hard_deadline = None if reserve_seconds is None else self.deadline + reserve_seconds   # the platform's limit
        self.longest_wait = longest_wait   # a Retry-After longer than this is not waited for (a later run takes it)
        self.throttle = Throttle()
        self.pace = Pace()
        self.would_send: list[dict] | None = [] if dry_run else None   # a dry run's writes, in order, not sent

    def time_left(self) -> float:
        """Seconds before the command's deadline (its budget after the client was built)."""
        return self.deadline - time.monotonic()

    def read_timeout(self) -> float:
        """How long a request waits for AWS's answer: the instance's read timeout, never past the execution's time
        limit where the platform gives one (a request started near the deadline still gets a second)."""
        if self.hard_deadline is None:
            return self.timeout_pair[1]
        return min(self.timeout_pair[1], max(1.0, self.hard_deadline - time.monotonic()))

    def search(self, resource: str, attribute: str, value: Any) -> dict | None:
        """The one user or group whose `attribute` equals `value` (None when none; 409 when several)."""
        query = f'{attribute} eq {filter_value(value)}'
        found = scim_resources(self.send('GET', resource, params={'filter': query}), resource[:-1].lower(), True)
        if len(found) > 1:
            raise ScimError(409, f'{len(found)} {resource.lower()} match {query}; give the id instead.')
        return found[0] if found else None

    def send(self, method: str, path: str, body: Any = None, params: dict | None = None) -> dict | None:
        """One SCIM call (`path` under the SCIM root, ids encoded) through BaseClient, sent again while its own
        RequestRecord allows; a request that needed retries is logged once, when it is answered or given up.
        Returns the answer's JSON object (None when it has no body, and for a DELETE, whose body is not read);
        raises ScimError: AWS's error answer, or why none came, saying what the retries went through. In a dry
        run a write is recorded, not sent (`would_send`)."""
        if self.would_send is not None and method != 'GET':
            return record_write(self.would_send, method, path, body)
        record = RequestRecord(time.monotonic())
        held = min(self.throttle.until, self.deadline) - record.started   # another request's 429; a retry waits its own
        if held > 0:
            pause(held)
        api, quota = scim_api(method, path), READ_QUOTA if method == 'GET' else WRITE_QUOTA
        while True:
            turn = self.pace.turn(api, quota)
            if turn:
                pause(turn)
            read_seconds = self.read_timeout()
            try:
                response = self._http_request(method, url_suffix=path, json_data=body, params=params,
                                              resp_type='response', error_handler=self.refuse,
                                              timeout=(self.timeout_pair[0], read_seconds))
            except Exception as exc:  # AWS's error answer (`refuse`), or requests' and BaseClient's failures
                failure = (exc if isinstance(exc, ScimError) else
                           transport_failure(exc, self.host, read_seconds, self._verify, write=method != 'GET'))
                if not isinstance(failure, ScimError):
                    raise   # not a failure to get an answer: a defect, reported as unexpected
                wait = record.wait_before_retry(failure, self.deadline, self.longest_wait)
                if wait is None:
                    final = record.final(failure)
                    self.log_retries(method, path, record.summary(f'gave up ({final.status}): {final.detail}'))
                    raise final from exc
                self.retry_later(failure, wait)
            else:
                self.log_retries(method, path, record.summary(f'answered {response.status_code}'))
                return None if method == 'DELETE' else scim_object(response)

    def refuse(self, response: requests.Response) -> None:
        """BaseClient's error handler: AWS's error answer as a ScimError, with the wait AWS asked for."""
        raise ScimError(response.status_code, error_detail(response, self.token),
                        retry_after=retry_after_seconds(response.headers.get('Retry-After')))

    def log_retries(self, method: str, path: str, summary: str) -> None:
        """One debug line for a request that needed retries (each log call is a round trip on the platform's
        channel), none for the others."""
        if summary:
            demisto.debug(f'AWS-ILM: {method} {self._base_url}{path} {summary}')

    def retry_later(self, failure: ScimError, wait: float) -> None:
        """Hold the command's other requests when AWS throttles, and wait."""
        if failure.status == 429:
            self.throttle.hold(wait)
        pause(wait)

    def get(self, resource: str, resource_id: str) -> dict | None:
        """GetUser / GetGroup; None when AWS has no such resource."""
        try:
            return scim_resources(self.send('GET', f'{resource}/{path_segment(resource_id)}'), resource[:-1].lower())[0]
        except ScimError as exc:
            if exc.status == 404:
                return None
            raise

    def create(self, resource: str, body: dict) -> dict[str, Any]:
        """CreateUser / CreateGroup. A dry run first reads whether the name is taken, since AWS would refuse the
        create (409) and the real run would go on from that refusal."""
        if self.would_send is not None:
            self.refuse_taken_name(resource, body)
        return scim_resources(self.send('POST', resource, body=body), resource[:-1].lower())[0]

    def refuse_taken_name(self, resource: str, body: dict) -> None:
        """AWS's 409 for a create whose userName (a user) or displayName (a group) another resource holds."""
        attribute = 'userName' if resource == 'Users' else 'displayName'
        holder = self.search(resource, attribute, body[attribute]) if body.get(attribute) else None
        if holder:
            raise ScimError(409, f'{attribute} "{body[attribute]}" already exists (id {holder["id"]}): AWS would '
                                 'refuse the create (the dry run read it).')

    def list_page(self, resource: str, scim_filter: str | None, cursor: str | None,
                  count: int) -> tuple[list[dict], str | None]:
        """One page of ListUsers / ListGroups: (resources, next cursor). `cursor` '' starts a cursor listing;
        None asks for AWS's legacy single page."""
        params: dict = {'filter': scim_filter} if scim_filter else {}
        if cursor is not None:
            params['cursor'] = cursor
        listing = self.send('GET', resource, params={**params, 'count': count})
        next_cursor = (listing or {}).get('nextCursor')
        return (scim_resources(listing, resource[:-1].lower(), True),
                next_cursor if isinstance(next_cursor, str) and next_cursor else None)

    def delete_group(self, group_id: str) -> None:
        self.send('DELETE', f'Groups/{path_segment(group_id)}')

    def schemas(self) -> dict[str, Any]:
        return self.send('GET', 'Schemas') or {}

    def service_provider_config(self) -> dict | None:
        return self.send('GET', 'ServiceProviderConfig')

    def patch(self, resource: str, resource_id: str, operations: list[dict]) -> dict | None:
        """PatchUser / PatchGroup: the resource as AWS answers it (None when AWS answers 204)."""
        body = {'schemas': [PATCH_SCHEMA], 'Operations': operations}
        return self.send('PATCH', f'{resource}/{path_segment(resource_id)}', body=body)


# ----- helpers, each below what it uses -------------------------------------------------------
@dataclass
class Throttle:
    """The command's throttling state, shared by every request it sends (from several threads when it works on
    several users): a 429 holds the requests that start until AWS's wait is over, so that one user's throttling
    slows the others instead of each finding out with a 429 of its own. A request being retried waits its own
    time only, which keeps AWS's allowance in use."""
    until: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hold(self, seconds: float) -> None:
        with self.lock:
            self.until = max(self.until, time.monotonic() + seconds)


@dataclass
class Pace:
    """AWS's published SCIM quotas, kept by the command's own requests: each AWS operation a token bucket of its
    quota (READ_QUOTA for reads, WRITE_QUOTA for writes), a few at once (PACE_BURST) and then no faster than the
    quota, so that a command working on many users never causes its own 429s."""
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)   # API -> (tokens, when counted)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def turn(self, api: str, quota: float) -> float:
        """The seconds this request of `api` waits for its turn (0 when it may start now); the turn is taken."""
        with self.lock:
            now = time.monotonic()
            tokens, counted = self.buckets.get(api, (PACE_BURST, now))
            tokens = min(PACE_BURST, tokens + (now - counted) * quota) - 1
            self.buckets[api] = (tokens, now)
        return max(0.0, -tokens / quota)


def filter_value(value: Any) -> str:
    """Quote a value for an `eq` filter (RFC 7644): escape backslashes and double quotes."""
    return '"' + str(value).replace('\\', '\\\\').replace('"', '\\"') + '"'


def scim_resources(body: dict | None, kind: str, listing: bool = False) -> list[dict]:
    """The users or groups of an answer (a listing's Resources, else the one resource), each with its id."""
    found = ((body or {}).get('Resources') or []) if listing else [body]
    if not isinstance(found, list):
        raise ScimError(502, 'AWS answered a listing with Resources that are not a list.')
    if any(not isinstance(item, dict) or not isinstance(item.get('id'), str) or not item['id'] for item in found):
        raise ScimError(502, f'AWS answered with a {kind} that has no id.')
    return found


def record_write(would_send: list[dict], method: str, path: str, body: Any) -> dict | None:
    """A dry run's write, recorded as it would be sent (list.append: safe from several threads), answered as AWS
    would: a new resource with DRY_RUN_ID for its id, no body otherwise."""
    would_send.append({'method': method, 'path': f'/{path}', 'body': body})
    return {**body, 'id': DRY_RUN_ID} if method == 'POST' and isinstance(body, dict) else None


def backoff_ceiling(attempt: int, cap: float = BACKOFF_CAP_SECONDS) -> float:
    return min(cap, BACKOFF_BASE_SECONDS * 2 ** attempt)


def backoff_seconds(attempt: int, cap: float = BACKOFF_CAP_SECONDS) -> float:
    """Exponential backoff with full jitter: anywhere from 0 to the ceiling, so that many processes throttled at
    once do not come back in step."""
    return random.uniform(0, backoff_ceiling(attempt, cap))


@dataclass
class RequestRecord:
    """One request's retries, kept by that request alone: how many of each kind, and why they stopped."""
    started: float
    retries: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    refused_wait: tuple[float, float] | None = None   # (AWS's Retry-After, the seconds left) when it did not fit
    run_wait: float | None = None   # the longest wait of a run that continues itself, when that refused the wait
    budget_spent: bool = False

    def wait_before_retry(self, failure: ScimError, deadline: float, longest: float | None = None) -> float | None:
        """Seconds to wait before the request is sent again, or None when it must not be (RETRY_LIMITS: throttling
        until the deadline, the other kinds a few times); AWS's Retry-After when it fits in the time left and is no
        longer than `longest` (else None at once: a command that continues itself runs again later), else backoff
        with jitter."""
        kind = failure.retry_kind()
        limit = RETRY_LIMITS.get(kind, 0)
        if limit is not None and self.kinds.get(kind, 0) >= limit:
            return None
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        left = deadline - time.monotonic()
        if failure.retry_after is not None and failure.retry_after > min(left, longest or left):
            self.refused_wait = (failure.retry_after, max(left, 0.0))
            self.run_wait = longest if failure.retry_after <= left else None
            return None
        wait = (failure.retry_after if failure.retry_after is not None else
                backoff_seconds(self.retries, SERVER_ERROR_BACKOFF_CAP if kind == 'server error' else BACKOFF_CAP_SECONDS))
        if wait >= left:
            self.budget_spent = True
            return None
        self.retries += 1
        return wait

    def summary(self, end: str) -> str:
        """How a request that needed retries ended, with what they went through ('' when it needed none)."""
        if not self.kinds:
            return ''
        kinds = ', '.join(f'{kind} {count}' for kind, count in self.kinds.items())
        return (f'{end} after {self.retries} retr{"y" if self.retries == 1 else "ies"} over '
                f'{time.monotonic() - self.started:.1f} s ({kinds})')

    def final(self, failure: ScimError) -> ScimError:
        """The failure as reported: what the retries went through added, and whether an attempt was resent."""
        return ScimError(failure.status, failure.detail + self.note(), failure.maybe_applied,
                         resent='lost answer' in self.kinds, cause=failure.cause,
                         retry_after=self.refused_wait[0] if self.refused_wait else failure.retry_after)

    def note(self) -> str:
        """Why and how long a failure was retried: AWS asked for a longer wait than the command has left (or than a
        run of a command that continues itself waits), or 'gave up after 5 attempts over 14 s' when the command's time
        budget ran out ('' when not retried)."""
        if self.refused_wait and not self.retries:
            asked, left = self.refused_wait
            longer = (f'longer than a run of this command waits ({self.run_wait:.0f} s)' if self.run_wait is not None
                      else f'more than the {left:.{0 if left >= 10 else 1}f} s this command has left')
            return (f' AWS asked to wait {asked:.0f} s (Retry-After) before trying again, {longer}, so it stopped at '
                    'once; run it again after that wait.')
        if not self.retries:
            return ''
        spent = ('the command\'s time budget ran out; ' if (self.refused_wait and self.run_wait is None)
                 or self.budget_spent else '')
        asked = f'; AWS asked to wait {self.refused_wait[0]:.0f} s more' if self.refused_wait else ''
        return f' ({spent}gave up after {self.retries + 1} attempts over {time.monotonic() - self.started:.0f} s{asked})'


def pause(seconds: float) -> None:
    """Wait `seconds`: a retry's backoff, AWS's Retry-After or a request's turn under AWS's quotas."""
    time.sleep(seconds)  # pylint: disable=E9003


def scim_api(method: str, path: str) -> str:
    """The AWS operation a request is (GetUser, ListUsers, PatchGroup, ...): each has its own quota."""
    resource, _, resource_id = path.partition('/')
    noun = {'Users': 'User', 'Groups': 'Group'}.get(resource)
    if noun is None:
        return f'Get{resource}'
    if method == 'GET':
        return f'Get{noun}' if resource_id else f'List{resource}'
    return {'POST': 'Create', 'PUT': 'Put', 'PATCH': 'Patch', 'DELETE': 'Delete'}.get(method, method.title()) + noun


def exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception and every one it wraps (DemistoException.exception, urllib3's reason, __cause__, args)."""
    chain: list = []
    pending: list = [exc]
    while pending and len(chain) < 12:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or any(current is seen for seen in chain):
            continue
        chain.append(current)
        pending += [getattr(current, 'exception', None), getattr(current, 'reason', None), current.__cause__,
                    current.__context__] + [arg for arg in current.args if isinstance(arg, BaseException)]
    return chain


def certificate_message(chain: list, host: str, verify: bool) -> str:
    verification = next((link for link in chain if isinstance(link, ssl.SSLCertVerificationError)), None)
    if verification is not None:
        problem = f'its certificate could not be verified ({verification.verify_message or verification.reason})'
    else:
        problem = next((str(link.reason) for link in chain if isinstance(link, ssl.SSLError)
                        and getattr(link, 'reason', None)), 'the TLS handshake failed')
    message = f'The TLS connection to {host} failed: {problem}.'
    if verify:
        message += (' Check that the Base URL is the AWS SCIM endpoint and that any TLS-inspecting proxy\'s CA is '
                    'trusted (REQUESTS_CA_BUNDLE); "Trust any certificate" is only for a test instance.')
    return message


def transport_failure(exc: Exception, host: str, read_seconds: float, verify: bool, write: bool) -> Exception:
    """A failure to get an answer, told apart: TLS, proxy, could not connect, no answer in time or the
    connection closed (a lost answer: AWS may have applied a `write`). Anything else is returned as it is."""
    chain = exception_chain(exc)
    kinds = tuple(type(link) for link in chain)

    def has(*types: type) -> bool:
        return any(issubclass(kind, types) for kind in kinds)

    if has(ssl.SSLError, urllib3.exceptions.SSLError, requests.exceptions.SSLError):
        return ScimError(502, certificate_message(chain, host, verify), cause='TLS failure')   # never retried
    if has(requests.exceptions.ProxyError, urllib3.exceptions.ProxyError):
        return ScimError(502, 'The proxy refused the connection. Check the system proxy, or clear '
                              '"Use system proxy settings".', cause='proxy refusal')
    if has(urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError,
           requests.exceptions.ConnectTimeout):
        what = ('the name does not resolve' if has(urllib3.exceptions.NameResolutionError) else
                'the connection was refused' if has(ConnectionRefusedError) else 'no connection could be made')
        return ScimError(502, f'Could not connect to {host} ({what}): check the Base URL and the network path to '
                              'AWS.', cause='failed connection')
    if has(urllib3.exceptions.ReadTimeoutError, requests.exceptions.ReadTimeout, requests.exceptions.Timeout):
        return ScimError(504, f'AWS did not answer in time ({read_seconds:.0f} s).', maybe_applied=write, cause='lost answer')
    if has(requests.exceptions.RequestException, urllib3.exceptions.HTTPError, ConnectionError):
        return ScimError(502, f'The connection to {host} closed before AWS answered.', maybe_applied=write, cause='lost answer')
    return exc


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


def redact(text: str, token: str) -> str:
    return text.replace(token, '<token>') if token else text


def error_detail(response: requests.Response, token: str) -> str:
    """AWS's own words for an error answer (its `detail`), else the status and what the body holds; redacted."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and (body.get('detail') or body.get('message')):
        return redact(str(body.get('detail') or body.get('message')), token)
    text = response.text.strip()
    if not text:
        return f'HTTP {response.status_code} {response.reason}'
    if text.startswith('<'):
        return f'HTTP {response.status_code} {response.reason} (the answer was a web page, not SCIM JSON)'
    return redact(f'HTTP {response.status_code} {response.reason}: {text[:300]}', token)


def retry_after_seconds(value: str | None) -> float | None:
    """AWS's Retry-After: whole seconds or an HTTP date (a date past is 0); None when absent or unreadable."""
    text = (value or '').strip()
    if text.isdigit():
        return float(text)
    try:
        return max(0.0, (email.utils.parsedate_to_datetime(text) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError, IndexError):   # unreadable, or a date without its zone
        return None


def path_segment(value: Any) -> str:
    """Percent-encode one URL path segment, so an id like `../Groups` stays inside its resource."""
    segment = quote(str(value), safe='')
    if segment in ('', '.', '..'):
        raise InputError(f'"{value}" is not a valid id.')
    return segment


def read_boolean(value: Any, name: str, default: bool | None = None) -> bool:
    """The one reader of a true/false parameter, argument or field: a boolean, or 'true'/'false' in any case with
    spaces around it (as the War Room sends it); blank means `default` (required when it is None)."""
    text = value.strip().lower() if isinstance(value, str) else value
    if text in (None, '') and default is not None:
        return default
    if isinstance(text, bool) or text in ('true', 'false'):
        return argToBoolean(text)
    raise InputError(f'{name} must be true or false, not {value!r}.')


@dataclass(frozen=True)
class UserOptions:
    """What a user command does to the user's groups: `contain` (iam-disable-user's remove-from-groups, by default
    the instance's "Remove disabled users from their groups"), `restore` (iam-enable-user's restore-groups)."""
    contain: bool = False
    restore: bool = False
    scp_characters: int = SCP_CHARACTERS
    retention_days: int = RETENTION_DAYS

    @classmethod
    def from_args(cls, command: str, args: dict, settings: Settings) -> 'UserOptions':
        contain = command == 'iam-disable-user' and read_boolean(
            args.get('remove-from-groups'), 'remove-from-groups', default=settings.remove_from_groups)
        restore = command == 'iam-enable-user' and read_boolean(args.get('restore-groups'), 'restore-groups',
                                                                default=False)
        return cls(contain, restore, settings.scp_characters, settings.retention_days)


@dataclass(frozen=True)
class Memberships:
    """The groups a user was found in ({'id', 'displayName'}), and why that list may be incomplete or could not be
    read ('' when it is complete)."""
    groups: list[dict]
    unread: str = ''
    throttled: float | None = None   # AWS throttled the read: the seconds it asked to wait (0 when it did not say)


@dataclass(frozen=True)
class UserOutcome:
    """What one user came to: the IAM.Vendor result, the profile for IAM.UserProfile, whether the command reached
    the user before its time budget ran out, the user as AWS held it before the command (`found`), and, when a
    containment asked for them, the groups the user was found in (`memberships`)."""
    vendor: dict
    profile: dict
    reached: bool = True
    found: dict | None = None
    memberships: Memberships | None = None
    later: float | None = None   # the seconds before a later run may take the user up (not reached, throttled)

    def kind(self) -> str:
        """'failed', 'not reached', 'already disabled', 'already enabled', 'skipped', or the action done
        ('disabled', 'enabled')."""
        if not self.reached:
            return 'not reached'
        if not self.vendor['success']:
            return 'failed'
        if self.vendor['skipped']:
            return {ALREADY_DISABLED: 'already disabled', ALREADY_ENABLED: 'already enabled'}.get(self.vendor['reason'],
                                                                                                 'skipped')
        return f"{self.vendor['action']}d"


@dataclass(frozen=True)
class Polling:
    """A several-users command that continues itself (the platform's ScheduledCommand): the arguments a later run
    is given, how long the platform keeps scheduling it, and, from the second run on, the continuation: its key in
    the integration context, the run, and what the runs before found (the count of each outcome, the user ids the
    Deny holds)."""
    args: dict
    timeout: int = POLLING_TIMEOUT_SECONDS
    key: str = ''
    run: int = 1
    counts: dict = field(default_factory=dict)
    deny_ids: list = field(default_factory=list)
    stalled: int = 0   # the runs in a row, up to the one before, that finished no user


@dataclass(frozen=True)
class UserArguments:
    """A user command's arguments, read before any user is worked on: the users given (`items`: one, or several for
    the commands in SEVERAL_USERS_COMMANDS), how many blank items were ignored, what the command does to their
    groups, and, when the arguments cannot be read, the failed IAM result to report instead (`failed`)."""
    items: list[Any]
    options: UserOptions = UserOptions()
    blanks: int = 0
    failed: UserOutcome | None = None
    polling: Polling | None = None   # how the command continues itself past one execution (None: it does not)


def is_blank(value: Any) -> bool:
    """None, or text of nothing but spaces: an argument or field that was not given."""
    return value is None or (isinstance(value, str) and not value.strip())


def parse_limit(raw: Any, name: str = 'limit', default: int = DEFAULT_LIST_LIMIT, maximum: int = MAX_LIST_LIMIT) -> int:
    if is_blank(raw):
        return default
    text = '' if isinstance(raw, bool) else str(raw).strip()
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise InputError(f'{name} must be a whole number from 1 to {maximum}, not {raw!r}.')
    return int(text)


def text_field(scim: dict, name: str) -> str | None:
    value = scim.get(name)
    if is_blank(value):
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise InputError(f'"{name}" in scim must be a string.')
    return str(value).strip()


def read_context_key(key: str) -> dict[str, Any]:
    """One key of the instance's integration context (a dict; {} when absent)."""
    held = (get_integration_context() or {}).get(key)
    return held if isinstance(held, dict) else {}


def can_continue(command: str, args: dict) -> bool:
    """Whether the command may continue itself past one execution: a several-users command, polling not turned off
    (a playbook may), on a platform that schedules commands."""
    return (command in SEVERAL_USERS_COMMANDS and read_boolean(args.get('polling'), 'polling', default=True)
            and ScheduledCommand.supports_polling())


def read_polling(command: str, args: dict) -> Polling | None:
    """How a several-users command continues past one execution: None when it cannot (another command, polling=false
    as a playbook may ask, or a platform that does not schedule commands); the continuation, from the second run."""
    if not can_continue(command, args):
        return None
    timeout = parse_limit(args.get('timeout_in_seconds'), 'timeout_in_seconds', POLLING_TIMEOUT_SECONDS, 7 * 86400)
    key = text_field(args, 'continuation') or ''
    given = {name: value for name, value in args.items() if name not in ('user-profile', 'continuation')}
    if not key:
        return Polling(given, timeout)
    state = (read_context_key(CONTINUATION_KEY).get(key) or {})
    if not state:
        raise InputError(f'The continuation {key} is not recorded on this instance: it finished, or was not picked up '
                         f'within {CONTINUATION_DAYS} days. Run the command again with its users; those already done '
                         'are reported as such.')
    return Polling(given, timeout, key, int(state.get('run') or 1) + 1, dict(state.get('counts') or {}),
                   list(state.get('denyIds') or []), int(state.get('stalled') or 0))


def continued_users(key: str) -> list:
    return list((read_context_key(CONTINUATION_KEY).get(key) or {}).get('users') or [])


@dataclass(frozen=True)
class ProfileItems:
    """The user-profile argument split into the users it gives: `items`, how many blank items were ignored, and
    `joined`, the whole text when it is several comma-separated names (which may still be one user's name)."""
    items: list[Any]
    blanks: int = 0
    joined: str = ''


def looks_like_json(text: str) -> bool:
    """A JSON document rather than a bare user name: an object, array, string, true/false/null. A bare number is a
    user name (an employee number used as the user name)."""
    stripped = text.strip()
    return stripped.startswith(('{', '[', '"')) or stripped in ('true', 'false', 'null')


def is_empty(value: Any) -> bool:
    """None, blank text, [] or {}: a value that was not given."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, (list, dict)) and not value)


def user_profile_items(raw: Any, several: bool) -> ProfileItems:
    """The users one call is about: `raw` itself, or, for a command that takes several, each item of a list (from a
    script or as JSON text) or each of several bare user names separated by commas. Blank items (null, '', {}) are
    dropped in every form, as lists built by transformers have them. No request is sent here."""
    if isinstance(raw, str) and raw.strip().startswith(('"', '[', '{')) and len(raw) <= MAX_PROFILE_CHARACTERS:
        try:
            decoded = json.loads(raw)
        except ValueError:
            decoded = None   # parse_user_profile names the problem
        raw = decoded if isinstance(decoded, (str, list, dict)) else raw   # JSON text: what it holds
    items = raw if isinstance(raw, list) else [raw]
    joined = ''
    if (several and isinstance(raw, str) and not looks_like_json(raw)
            and len([name for name in raw.split(',') if name.strip()]) > 1):
        items, joined = raw.split(','), raw.strip()
    given = [item for item in items if not is_empty(item)]
    if len(given) > 1 and not several:
        raise InputError(f'user-profile holds {len(given)} users; this command takes one user per call (only '
                         'iam-disable-user takes several).')
    if not given and len(items) != 1:
        raise InputError('user-profile is an empty list: give at least one user.')
    if not given:
        return ProfileItems(items)   # one blank value: parse_user_profile says what is missing
    return ProfileItems(given, len(items) - len(given), joined)


def calling_instance() -> tuple[str, str]:
    context = (getattr(demisto, 'callingContext', None) or {}).get('context') or {}
    return context.get('IntegrationBrand') or DEFAULT_BRAND, context.get('IntegrationInstance') or ''


def primary_email(user: dict | None) -> str | None:
    emails = (user or {}).get('emails') or []
    chosen = next((e for e in emails if isinstance(e, dict) and e.get('primary')), emails[0] if emails else None)
    return chosen.get('value') if isinstance(chosen, dict) else None


def vendor_result(action: str, user: dict | None, names: tuple[str | None, str | None],
                  error: tuple[int, str] | None = None, skip: str = '', notes: str = '',
                  mapped: dict | None = None) -> dict[str, Any]:
    """The IAM.Vendor result of one user.

    Args:
        action: the IAM action (get, create, update, disable, enable).
        user: the AWS user as it is after the command (None when there is none).
        names: the (user name, e-mail) the profile gives.
        error: (code, message) of a failure.
        skip: why the command was skipped ('' when it was not).
        notes: what a successful command did not apply (emitted only when there are any).
        mapped: the profile mapped through the outgoing mapper: the details when AWS's user is not known.

    Returns:
        The result in VENDOR_KEYS' order. It always names the user: AWS's userName when the user was found, else
        the profile's; the profile's e-mail when it has one (so that a re-run's result merges with the earlier one
        under IAM.Vendor's key), else AWS's.
    """
    brand, instance = calling_instance()
    user = user or {}
    values = {
        'brand': brand, 'instanceName': instance, 'action': action, 'success': error is None,
        'active': user.get('active'), 'id': user.get('id'), 'username': user.get('userName') or names[0],
        'email': names[1] or primary_email(user), 'errorCode': error[0] if error else None,
        'errorMessage': error[1] if error else '', 'details': user or mapped or None, 'skipped': bool(skip),
        'reason': skip,
    }
    return {**{key: values[key] for key in VENDOR_KEYS}, **({'notes': notes} if notes else {})}


def unexpected_error(command: str, exc: Exception, token: str) -> str:
    """An exception nobody expected (a defect): logged once with its traceback (demisto.error); the text the
    result of the user or group it happened to carries, redacted."""
    demisto.error(redact(f'AWS-ILM {command} failed unexpectedly: {traceback.format_exc()}', token))
    return redact(f'Unexpected error: {type(exc).__name__}: {exc}', token)


def logged_failure(command: str, exc: Exception, token: str) -> tuple[int, str]:
    """The (error code, message) the user sees, always redacted; logged at debug level when AWS or the input refused
    it, with demisto.error (and its traceback) only when it is unexpected."""
    if isinstance(exc, InputError):
        code, message = 400, str(exc)
    elif isinstance(exc, IdentityConflict):
        code, message = 409, str(exc)
    elif isinstance(exc, ScimError):
        code, message = exc.status, AUTH_FAILED if exc.status == 401 else exc.detail
        if exc.maybe_applied:
            message += (' The request got no answer, so AWS may have applied it: check the current state (e.g. with '
                        'iam-get-user) before running it again.')
    else:
        return 500, unexpected_error(command, exc, token)
    message = redact(message, token)
    demisto.debug(f'AWS-ILM {command} failed ({code}): {message}')
    return code, message


def read_user_arguments(command: str, client: Client, args: dict, settings: Settings) -> UserArguments:
    """The users a command is about and what it does to their groups. Several comma-separated names are one user
    when AWS has a user named by the whole text (one read). Arguments that cannot be read are the command's
    failed IAM result, saying what to fix."""
    try:
        options = UserOptions.from_args(command, args, settings)
        polling = read_polling(command, args)
        if polling and polling.key:
            return UserArguments(continued_users(polling.key), options, 0, polling=polling)
        items = user_profile_items(args.get('user-profile'), command in SEVERAL_USERS_COMMANDS)
        users = ([items.joined] if items.joined and client.search('Users', 'userName', items.joined)
                 else items.items)   # several names, unless AWS has a user named by the whole text
        return UserArguments(users, options, items.blanks, polling=polling)
    except Exception as exc:
        vendor = vendor_result(USER_COMMANDS[command], None, (None, None), logged_failure(command, exc, client.token))
        return UserArguments([], failed=UserOutcome(vendor, {}))


@dataclass(frozen=True)
class MappedUser:
    """The outgoing mapper's result as an AWS user. `user`: what AWS supports, in AWS's shapes (see AWS_USER_SCHEMA);
    `dropped`: what AWS does not support and was left out, each named (a create or update says so in its notes);
    `problems`: values of a shape AWS cannot take, each naming the attribute and the shape expected (a create or
    update refuses them with 400 before any request)."""
    user: dict
    dropped: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    def dropped_note(self) -> str:
        return (f'Not sent (AWS does not support it): {"; ".join(self.dropped)}.' if self.dropped else '')


@dataclass(frozen=True)
class UserRequest:
    """One user of a command, read once: the profile as given, it mapped through the outgoing mapper (for an
    update), the previous values it gives (olduserdata, as given), the names the result carries, and whether the
    command may enable the user (allow-enable, for create and update)."""
    profile: dict
    mapped: dict
    old: dict
    names: tuple[str | None, str | None]
    may_enable: bool = False
    mapping: MappedUser = MappedUser({})


@dataclass(frozen=True)
class UserPlan:
    """What a user command does, decided before anything is written.

    `user`: the AWS user the profile designates (None when nobody is, and before a create); `operations`: the PATCH
    that brings that user to the profile ([] when nothing changes); `body`: the user to create ({} when none);
    `skip`: why nothing is done ('' when something is); `error`: (code, message) when the command fails without a
    write (a user iam-get-user does not find); `notes`: what is not applied (a manager)."""
    action: str
    user: dict | None = None
    operations: list[dict] = field(default_factory=list)
    body: dict = field(default_factory=dict)
    skip: str = ''
    error: tuple[int, str] | None = None
    notes: str = ''
    then: list[dict] = field(default_factory=list)   # a second PATCH: userName and active never share one


def check_profile_size(raw: Any) -> None:
    """One limit for a profile given as text or as an object (measured as its JSON)."""
    try:
        size = len(raw) if isinstance(raw, str) else len(json.dumps(raw, default=str))
    except (TypeError, ValueError):
        size = 0   # not JSON-able: named as such below
    if size > MAX_PROFILE_CHARACTERS:
        raise InputError(f'user-profile is {size:,} characters long, over the {MAX_PROFILE_CHARACTERS:,} a profile '
                         'may have: check that the right field is passed.')


def bare_user(text: str) -> dict[str, str]:
    """A user given as bare text: its user name, and, when the text has the shape of an Identity Store user id (the
    id CloudTrail records and AWS's revoke procedure starts from), that id too, which is looked up first."""
    return {'id': text, 'username': text} if AWS_USER_ID.fullmatch(text) else {'username': text}


def parse_user_profile(raw: Any) -> dict[str, Any]:
    """The `user-profile` argument: a JSON object, or a bare user name (the Block Account playbook), text or number."""
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    check_profile_size(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        return {'username': str(raw)}
    if isinstance(raw, str) and looks_like_json(raw):
        try:
            profile = json.loads(raw)
        except ValueError as exc:
            raise InputError(f'user-profile is not valid JSON ({exc}). Give a JSON object such as '
                             '{"username": "jdoe@example.com"}.')
        if isinstance(profile, str):
            return parse_user_profile(profile)
    elif isinstance(raw, str) and raw.strip():
        return bare_user(raw.strip())
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
    return profile


def split_attribute_path(key: str) -> list[str]:
    """`name.givenName` -> [name, givenName]; enterprise URNs (1.0 or 2.0) stay one segment."""
    key = key.replace('\\.', '.')
    for urn in (ENTERPRISE_SCHEMA, LEGACY_ENTERPRISE_SCHEMA):
        if key == urn:
            return [ENTERPRISE_SCHEMA]
        if key.startswith((urn + '.', urn + ':')):
            return [ENTERPRISE_SCHEMA] + key[len(urn) + 1:].split('.')
    return key.split('.')


def single_object(value: Any) -> Any:
    """A one-item list of an object (a SCIM multi-valued attribute AWS keeps one of) as that object."""
    return value[0] if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict) else value


def put_path(target: dict, path: list, value: Any) -> None:
    for part in path[:-1]:
        target[part] = single_object(target.get(part))
        if not isinstance(target[part], dict):
            target[part] = {}
        target = target[part]
    last = path[-1]
    if isinstance(single_object(value), dict) and isinstance(single_object(target.get(last)), dict):
        value, target[last] = single_object(value), single_object(target[last])
    if not isinstance(value, dict):
        target[last] = value
        return
    if not isinstance(target.get(last), dict):
        target[last] = {}
    for key, sub in value.items():
        put_path(target[last], split_attribute_path(str(key)), sub)


def without_empty(value: Any) -> Any:
    """Strings trimmed, numbers as text, and empty values (after trimming) dropped, at every depth."""
    if isinstance(value, dict):
        cleaned = {k: without_empty(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if not is_empty(v)}
    if isinstance(value, list):
        return [v for v in (without_empty(v) for v in value) if not is_empty(v)]
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def text_value(path: str, value: Any) -> tuple[Any, list[str], list[str]]:
    if isinstance(value, (dict, list, bool)):
        return None, [], [f'"{path}" must be text, not {json.dumps(value)[:100]}.']
    return value, [], []


def manager_value(value: Any) -> tuple[Any, list[str], list[str]]:
    """The manager as given (its user name, e-mail, AWS user id, or display name): {'value'} and/or
    {'displayName'}, which only find the manager's AWS user id (with_manager_id); nothing else is kept."""
    value = value[0] if isinstance(value, list) and len(value) == 1 else value
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return {'value': str(value)}, [], []
    if isinstance(value, dict):
        found = {key: str(value[key]) for key in ('value', 'displayName') if isinstance(value.get(key), (str, int))}
        return found or None, [f'{ENTERPRISE_SCHEMA}.manager.{key}' for key in value if key not in found], []
    return None, [], [f'"{ENTERPRISE_SCHEMA}.manager" must be the manager\'s user name, e-mail or AWS user id (text), '
                      f'not {json.dumps(value)[:100]}.']


def object_value(path: str, subs: tuple[str, ...], value: Any) -> tuple[Any, list[str], list[str]]:
    """One object of these sub-attributes (each text; an enterprise manager as `manager_value` reads it)."""
    if not isinstance(single_object(value), dict):
        return None, [], [f'"{path}" must be an object of {", ".join(subs)}, not {json.dumps(value)[:100]}: map '
                          f'its parts, as {path}.{subs[1]}.']
    kept: dict = {}
    dropped: list[str] = []
    problems: list[str] = []
    for sub, sub_value in single_object(value).items():
        if sub not in subs:
            dropped.append(f'{path}.{sub}')
            continue
        shaped, left_out, wrong = manager_value(sub_value) if sub == 'manager' else text_value(f'{path}.{sub}',
                                                                                                sub_value)
        dropped, problems = dropped + left_out, problems + wrong
        if shaped is not None:
            kept[sub] = shaped
    return kept or None, dropped, problems


def one_value(path: str, subs: tuple[str, ...], value: Any) -> tuple[Any, list[str], list[str]]:
    """A multi-valued attribute of which AWS keeps one object, primary: text is its value (an address's formatted
    text), JSON text is read, of several the primary one (else the first) is kept and the others left out."""
    if isinstance(value, str) and value.strip().startswith(('[', '{')):
        try:
            value = without_empty(json.loads(value))
        except ValueError:
            pass
    plain = 'formatted' if path == 'addresses' else 'value'
    items = [item if isinstance(item, dict) else {plain: item} for item in (value if isinstance(value, list) else [value])
             if not is_empty(item)]
    if not items:
        return None, [], []
    if any(isinstance(v, (dict, list)) for item in items for v in item.values()):
        return None, [], [f'"{path}" must be text or an object of {", ".join(subs)}, not {json.dumps(value)[:100]}.']
    valueless = [item for item in items if not set(item) & (set(subs) - {'type', 'primary'})]
    items = [item for item in items if item not in valueless]
    unsent = [f'{path} {json.dumps(item)} (it has no value)' for item in valueless]
    if not items:
        return None, unsent, []
    chosen = next((item for item in items if item.get('primary') in (True, 'true', 'True')), items[0])
    dropped = unsent + [f'{path} {json.dumps(item.get(plain) or item)} (AWS keeps one {path[:-1]})' for item in items
                        if item is not chosen]
    dropped += [f'{path}.{sub}' for sub in chosen if sub not in subs]
    kept = {sub: text for sub, text in chosen.items() if sub in subs and sub != 'primary'}
    return [{**kept, 'primary': True}], dropped, []


def shaped_value(attribute: str, value: Any) -> tuple[Any, list[str], list[str]]:
    """One attribute in the shape AWS_USER_SCHEMA gives it: (the value to send or None, what was left out, what
    is of a shape AWS cannot take)."""
    shape, subs = AWS_USER_SCHEMA[attribute]
    if shape == 'boolean':
        if isinstance(value, bool) or str(value).strip().lower() in ('true', 'false'):
            return read_boolean(value, attribute), [], []
        return None, [], [f'"{attribute}" must be true or false, not {json.dumps(value)[:100]}.']
    if shape == 'text':
        return text_value(attribute, value)
    if shape == 'object':
        return object_value(attribute, subs, value)
    return one_value(attribute, subs, value)


def normalise_user(mapped: Any) -> MappedUser:
    """Make the outgoing mapper's result an AWS user (without `schemas`), by AWS_USER_SCHEMA. Whole objects (`name`,
    `addresses`, an enterprise URN) are laid down first and the dotted fields over them, whatever the order the
    platform returns them in; the 1.0 enterprise URN counts as the 2.0 one."""
    user: dict = {}
    pairs = [(key, value) for key, value in (mapped.items() if isinstance(mapped, dict) else []) if isinstance(key, str)
             and key]
    for key, value in sorted(pairs, key=lambda pair: len(split_attribute_path(pair[0]))):
        put_path(user, split_attribute_path(key), value)
    shaped: dict = {}
    dropped: list[str] = []
    problems: list[str] = []
    for attribute, value in without_empty(user).items():
        if attribute == 'id':   # an AWS user id: it finds the user, it is never sent
            shaped['id'] = value
        elif attribute in AWS_USER_SCHEMA:
            kept, left_out, wrong = shaped_value(attribute, value)
            dropped += left_out
            problems += wrong
            if kept is not None:
                shaped[attribute] = kept
        elif attribute not in ('schemas', 'meta'):
            dropped.append(attribute)
    return MappedUser(shaped, tuple(dropped), tuple(problems))


def map_user(profile: dict, mapper: str, mapping_type: str) -> MappedUser:
    source = {k: v for k, v in profile.items() if k != 'olduserdata'}
    return normalise_user(demisto.mapObject(source, mapper, mapping_type))


def old_user_data(profile: dict) -> dict[str, Any]:
    """The profile's previous values (a rename); blank (\'\', null, {}, only blank values) means none."""
    old = profile.get('olduserdata')
    if isinstance(old, str) and old.strip():
        try:
            old = json.loads(old)
        except ValueError:
            raise InputError('olduserdata in user-profile is not valid JSON.')
    old = without_empty(old)
    if old and not isinstance(old, dict):
        raise InputError('olduserdata in user-profile must be a JSON object of the previous values.')
    return old or {}


def profile_names(profile: dict, mapped: dict) -> tuple[str | None, str | None]:
    """(user name, e-mail) the profile gives, trimmed: the mapped ones, else the profile's own keys (`username`,
    `login`, `user_name`; `email`), so that a profile the mapper cannot take is named all the same."""
    raw = [mapped.get('userName')] + [profile.get(key) for key in RAW_NAME_KEYS]
    texts = [str(v).strip() for v in raw if isinstance(v, (str, int)) and not isinstance(v, bool) and str(v).strip()]
    email = (mapped.get('emails') or [{}])[0].get('value') or profile.get('email')   # normalised: one, primary
    return (texts[0] if texts else None), (email.strip() or None if isinstance(email, str) else None)


def read_user_request(profile: dict, action: str, args: dict, settings: Settings) -> UserRequest:
    """The profile mapped once (what AWS does not support left out, values of a wrong shape noted), its olduserdata
    and the command's allow-enable checked, and the user named (see `profile_names`)."""
    mapping = map_user(profile, settings.mapper_out, UPDATE_MAPPING_TYPE)
    old = old_user_data(profile) if 'olduserdata' in profile else {}
    may_enable = (action in ('create', 'update') and settings.enable_enabled
                  and read_boolean(args.get('allow-enable'), 'allow-enable', default=True))
    return UserRequest(profile, mapping.user, old, profile_names(profile, mapping.user), may_enable, mapping)


def describe_user(user: dict) -> str:
    return (f'AWS user {user.get("userName")} (id {user.get("id")}, externalId {user.get("externalId") or "none"}, '
            f'{"active" if user.get("active") else "disabled"})')


@dataclass(frozen=True)
class Resolution:
    """Who a profile designates: `user`, provably the profile's person (None when nobody is), and `others`, the
    users an identifier led to who are provably someone else (their externalId contradicts the profile's)."""
    user: dict | None
    others: list[dict]

    def others_text(self) -> str:
        return '; '.join(f'{describe_user(u)} holds one of its identifiers but is another person' for u in self.others)


def identifier_pairs(raw: dict, user: dict) -> list[tuple[str, str]]:
    """(attribute, value) pairs that designate one person's AWS user, best first: id (the raw profile's, since
    outgoing mappers do not map it), userName, externalId; when the mapped profile has no userName, the mapped
    e-mail, then the raw profile's user name (`login` from get-user-data, `username`, `user_name`) and e-mail, as
    userName (AWS userName is usually the e-mail), so that callers reach users whatever the outgoing mapper maps."""
    pairs = [('id', raw.get('id') or user.get('id'))] + [(a, user.get(a)) for a in LOOKUP_ATTRIBUTES[1:]]
    if not user.get('userName'):
        names = [primary_email(user)] + [raw.get(key) for key in RAW_NAME_KEYS] + [raw.get('email')]
        pairs += [('userName', name) for name in names]
    pairs = [(a, str(v).strip()) for a, v in pairs if isinstance(v, (str, int)) and not isinstance(v, bool)]
    return list(dict.fromkeys(pair for pair in pairs if pair[1]))


@dataclass
class UserSearch:
    """The lookups of one identity decision, each made once; the users found to be someone else."""
    client: Client
    known_external_ids: set[str]
    found: dict[tuple[str, str], dict | None] = field(default_factory=dict)
    strangers: dict[str, dict] = field(default_factory=dict)

    def first_person(self, pairs: list[tuple[str, str]]) -> dict | None:
        """The first user an identifier leads to whose externalId does not contradict the profile's."""
        for attribute, value in pairs:
            if (attribute, value) not in self.found:
                self.found[(attribute, value)] = (self.client.get('Users', value) if attribute == 'id' else
                                                  self.client.search('Users', attribute, value))
            user = self.found[(attribute, value)]
            held = (user or {}).get('externalId')
            if user and held and self.known_external_ids and held not in self.known_external_ids:
                self.strangers[user['id']] = user
            elif user:
                return user
        return None


def identity_conflict(previous: list, current: list, before: dict, after: dict) -> str:
    def named(pairs: list) -> str:
        return ', '.join(f'{a} {v}' for a, v in pairs)
    return (f'Nobody was changed: the previous identifiers in olduserdata ({named(previous)}) lead to '
            f'{describe_user(before)}, and the current ones ({named(current)}) to {describe_user(after)}. Nothing in '
            'the profile tells which is this person. If the rename already happened and the old name now belongs to '
            'someone else, drop olduserdata; give the employee id (mapped to externalId) so that the person can be '
            'told apart.')


def resolve_user(client: Client, request: UserRequest, mapper: str, use_old_data: bool = True) -> Resolution:
    """The identity rule of every user command, spending a request only where a decision needs it: the previous
    identifiers (olduserdata) first, kept when the employee id proves them; else the current ones; two different
    users that nothing tells apart are a conflict (nobody is changed). Users whose externalId contradicts the
    profile's are never the person."""
    old_mapped = map_user(request.old, mapper, UPDATE_MAPPING_TYPE).user if use_old_data and request.old else {}
    current = identifier_pairs(request.profile, request.mapped)
    previous = identifier_pairs(request.old, old_mapped) if old_mapped else []
    if not current and not previous:
        raise InputError(' '.join(request.mapping.problems + (
            'The user profile has no identifier AWS can search by: it must map (through the outgoing '
            f'mapper "{mapper}") to userName, externalId or id. AWS cannot search by e-mail; give a username.',)))
    external_id = request.mapped.get('externalId')
    search = UserSearch(client, {v for v in (external_id, old_mapped.get('externalId')) if v})
    before = search.first_person(previous)
    if before and external_id and before.get('externalId') == external_id:
        return Resolution(before, list(search.strangers.values()))
    after = search.first_person(current)
    if before and after and before['id'] != after['id']:
        if not (external_id and after.get('externalId') == external_id):
            raise IdentityConflict(identity_conflict(previous, current, before, after))
        before = None
    return Resolution(before or after, list(search.strangers.values()))


def turned_off_plan(action: str, client: Client, request: UserRequest, settings: Settings) -> UserPlan:
    """The "Command is disabled." skip. For disable and enable it carries the user's real state (one read), so
    that a script reading `active` never takes the skip for done; a failed read leaves the state unknown."""
    user = None
    if action in STATE_ACTIONS:
        try:
            user = resolve_user(client, request, settings.mapper_out).user
        except (ScimError, InputError, IdentityConflict) as exc:
            demisto.debug(f'AWS-ILM: the state of the user could not be read for the skip: {exc}')
    return UserPlan(action, user, skip=DISABLED)


def refuse_wrong_shapes(mapping: MappedUser, mapper: str) -> None:
    """A create or update whose mapped values AWS cannot take is refused (400) before any request, naming each."""
    if mapping.problems:
        raise InputError(f'{" ".join(mapping.problems)} Correct the outgoing mapper "{mapper}" (or the profile); '
                         'nothing was sent to AWS.')


def creatable(user: dict) -> tuple[dict, list[str]]:
    """The user with displayName built from the names when it has none, and what AWS still requires of it."""
    name = user.get('name') or {}
    if not user.get('displayName') and name.get('givenName') and name.get('familyName'):
        user = {**user, 'displayName': f"{name['givenName']} {name['familyName']}"}
    required = {'userName': user.get('userName'), 'name.givenName': name.get('givenName'),
                'name.familyName': name.get('familyName'), 'displayName': user.get('displayName')}
    return user, [field_name for field_name, value in required.items() if not value]


def with_manager_id(client: Client, user: dict, existing: dict | None = None) -> tuple[dict, str]:
    """`user` with its mapped manager (the manager's AWS userName, usually the e-mail, or an AWS user id; a display
    name is tried as a user name) as {'value': the manager's AWS user id}, and what the result must say of it (''
    when applied). A manager that is unknown, or is the user being written (`existing` on update), is left out,
    never blocking the user; on update AWS's current manager then stays. manager.displayName is never sent."""
    enterprise = dict(user.get(ENTERPRISE_SCHEMA) or {})
    given = enterprise.get('manager') or {}
    manager = given.get('value') or given.get('displayName')
    if not manager:
        return user, ''
    own = {str(v).casefold() for v in ((existing or {}).get('id'), (existing or user).get('userName')) if v}
    found, reason = None, 'it is the user themself'
    if str(manager).casefold() not in own:
        try:
            found = client.search('Users', 'userName', manager) or client.get('Users', manager)
            by_name = '' if given.get('value') else (
                '; AWS cannot find a user by display name: map the manager\'s user name (usually the e-mail) or AWS '
                f'user id to {ENTERPRISE_SCHEMA}.manager.value')
            reason = ('it is the user themself' if found and existing and found['id'] == existing.get('id')
                      else f'no AWS user has that userName or id{by_name}')
        except (ScimError, InputError) as exc:
            reason = f'it could not be looked up ({exc.detail if isinstance(exc, ScimError) else exc})'
    if found and reason != 'it is the user themself':
        return {**user, ENTERPRISE_SCHEMA: {**enterprise, 'manager': {'value': found['id']}}}, ''
    enterprise.pop('manager')
    user = {key: value for key, value in user.items() if key != ENTERPRISE_SCHEMA}
    note = f'Manager "{manager}" not applied: {reason}.' + (" AWS's current manager is left as it is."
                                                              if existing else '')
    demisto.info(f'AWS-ILM: {note}')
    return ({**user, ENTERPRISE_SCHEMA: enterprise} if enterprise else user), note


def same_value(wanted: Any, current: Any) -> bool:
    if isinstance(wanted, dict):
        return isinstance(current, dict) and all(same_value(v, current.get(k)) for k, v in wanted.items())
    return wanted == current


def user_changes(current: dict, wanted: dict) -> list[dict]:
    """PATCH operations that bring `current` to `wanted`, one per changed attribute; nothing AWS holds is lost. An
    email, phone number or address (AWS keeps one, primary) is compared by its fields; an address is AWS's with the
    profile's fields laid over it (a profile that carries only the city keeps the street); AWS's type stays unless
    the profile gives one."""
    changes: list[tuple[str, Any]] = []
    for attribute, value in wanted.items():
        if attribute in NEVER_SENT or attribute == 'active':
            continue
        if attribute in ('name', ENTERPRISE_SCHEMA):
            separator = '.' if attribute == 'name' else ':'
            existing = current.get(attribute) or {}
            changes += [(f'{attribute}{separator}{sub}', sub_value) for sub, sub_value in value.items()
                        if not same_value(sub_value, existing.get(sub))]
        elif attribute in SINGLE_VALUED_LISTS:
            held = next((item for item in current.get(attribute) or [] if isinstance(item, dict)), {})
            given = {k: v for k, v in value[0].items() if k != 'primary'}
            merged = {**held, **given} if attribute == 'addresses' else given
            if not same_value(given, held):
                changes.append((attribute, [{**merged, 'type': given.get('type') or held.get('type') or 'work',
                                             'primary': True}]))
        elif not same_value(value, current.get(attribute)):
            changes.append((attribute, value))
    return [{'op': 'replace', 'path': path, 'value': value} for path, value in changes]


def built_display_name(name: dict) -> str:
    return f"{name.get('givenName') or ''} {name.get('familyName') or ''}".strip()


def rebuilt_formatted(formatted: Any, old_parts: dict, new_parts: dict) -> str | None:
    """A `formatted` text built from the parts, with each changed part's old text replaced by the new one (None
    when nothing in it changes)."""
    if not isinstance(formatted, str):
        return None
    text = formatted
    for key, new in new_parts.items():
        old = old_parts.get(key)
        if key != 'formatted' and isinstance(old, str) and old and isinstance(new, str) and old != new:
            text = re.sub(rf'(?<!\w){re.escape(old)}(?!\w)', new.replace('\\', '\\\\'), text)
    return text if text != formatted else None


def with_followed_parts(current: dict, wanted: dict) -> dict[str, Any]:
    """`wanted` with the values built from parts that change rebuilt from the new parts: displayName when AWS's is
    the one built from the old names, name.formatted and the address's formatted where the old parts' text
    appears in them. A value the profile maps, or one set by hand, is left as it is."""
    wanted = copy.deepcopy(wanted)
    old_name = current.get('name') or {}
    new_name = {**old_name, **(wanted.get('name') or {})}
    if (not wanted.get('displayName') and wanted.get('name')
            and current.get('displayName') == built_display_name(old_name) != built_display_name(new_name)):
        wanted['displayName'] = built_display_name(new_name)
    pairs = [(current.get('name'), wanted.get('name'))]
    if wanted.get('addresses') and isinstance(current.get('addresses'), list) and current['addresses']:
        pairs.append((current['addresses'][0], wanted['addresses'][0]))
    for old_parts, new_parts in pairs:
        if isinstance(old_parts, dict) and isinstance(new_parts, dict) and 'formatted' not in new_parts:
            formatted = rebuilt_formatted(old_parts.get('formatted'), old_parts, new_parts)
            if formatted:
                new_parts['formatted'] = formatted
    return wanted


def replace_operation(path: str, value: Any) -> dict[str, Any]:
    return {'op': 'replace', 'path': path, 'value': value}


def state_change(existing: dict, request: UserRequest, settings: Settings) -> tuple[list[dict], str]:
    """The operation that changes the user's state, if any, and what the result says of it: a mapped `active`
    false disables (when "Allow disabling users" lets it); true, or none mapped with allow-enable, enables a
    disabled user (when allow-enable and "Allow enabling users" let it)."""
    wanted, held = request.mapped.get('active'), existing.get('active')
    if wanted is False:
        if held is False:
            return [], ''
        if not settings.disable_enabled:
            return [], ('Not disabled although the profile maps active false: the instance\'s "Allow disabling '
                        'users" is cleared.')
        return [replace_operation('active', False)], 'Disabled: the profile maps active false.'
    if held is not False:
        return [], ''
    if request.may_enable:
        return [replace_operation('active', True)], 'Enabled: the profile maps active true.' if wanted else ''
    return [], ('Not enabled although the profile maps active true: allow-enable is false or the instance\'s '
                '"Allow enabling users" is cleared.') if wanted else ''


def text_problems(path: str, value: Any) -> list[str]:
    """What AWS refuses in the texts of an attribute's value, each named by its path (name.givenName, emails.value):
    a length over AWS's limit, or the first character it does not allow (named, with its position), and the rule."""
    if isinstance(value, dict):
        return [problem for key, sub in value.items() for problem in text_problems(f'{path}.{key}', sub)]
    if isinstance(value, list):
        return [problem for item in value for problem in text_problems(path, item)]
    if not isinstance(value, str):
        return []
    user_name = path == 'userName'
    limit = MAX_USER_NAME_CHARACTERS if user_name else MAX_TEXT_CHARACTERS
    forbidden = USER_NAME_FORBIDDEN if user_name else EXTERNAL_ID_FORBIDDEN if path == 'externalId' else ''
    rule = (f'AWS allows in userName only letters, marks, symbols, numbers and punctuation (no spaces, no control or '
            f'format characters, none of {" ".join(USER_NAME_FORBIDDEN)}), at most {limit} characters' if user_name
            else f'AWS allows no control or format characters in its text attributes, at most {limit} characters'
            + (f', and refuses {" ".join(forbidden)} in externalId' if forbidden else ''))
    if len(value) > limit:
        return [f'"{path}" is {len(value):,} characters long: {rule}.']
    for position, char in enumerate(value, 1):
        category = unicodedata.category(char)
        if category in ('Cc', 'Cf') or char in forbidden or (user_name and category.startswith('Z')):
            return [f'"{path}" has U+{ord(char):04X} {unicodedata.name(char, "(a control character)")} at position '
                    f'{position}: {rule}.']
    return []


def check_aws_text_rules(attributes: Any) -> None:
    """Refuse (400, nothing sent) a write whose text AWS would refuse with a message that names nothing."""
    problems = [problem for path, value in attributes if path not in NEVER_SENT
                for problem in text_problems(path, value)]
    if problems:
        raise InputError(' '.join(problems) + ' Correct the user profile; nothing was sent to AWS.')


def apart_from_user_name(operations: list[dict], state: list[dict]) -> tuple[list[dict], list[dict]]:
    """The PATCHes to send in order: one, unless userName changes with the state (AWS takes one operation on
    userName or active per request); then a disable goes first and an enable last."""
    if not state or not any(operation['path'] == 'userName' for operation in operations):
        return operations + state, []
    return (state, operations) if state[0]['value'] is False else (operations, state)


def joined_notes(*notes: str) -> str:
    return ' '.join(note for note in notes if note)


def plan_update(client: Client, request: UserRequest, existing: dict, settings: Settings) -> UserPlan:
    """The PATCH that brings the AWS user to the profile: one operation per changed attribute, the values built
    from changed parts (displayName, formatted) rebuilt, the manager as an AWS id, and the user's state as the
    mapped `active` and allow-enable ask within the instance's checkboxes (a rename that also changes the state
    goes in two PATCHes). Nothing AWS holds and the profile does not give is touched."""
    wanted, notes = (with_manager_id(client, request.mapped, existing)
                     if 'manager' in request.mapped.get(ENTERPRISE_SCHEMA, {}) else (request.mapped, ''))
    operations = user_changes(existing, wanted)
    if any(operation['path'].startswith(('name.', 'addresses')) for operation in operations):
        operations = user_changes(existing, with_followed_parts(existing, wanted))
    state, state_note = state_change(existing, request, settings)
    check_aws_text_rules((operation['path'], operation['value']) for operation in operations + state)
    first, then = apart_from_user_name(operations, state)
    return UserPlan('update', existing, first, notes=joined_notes(request.mapping.dropped_note(), state_note, notes),
                    then=then)


def update_instead(client: Client, request: UserRequest, existing: dict, settings: Settings) -> UserPlan:
    """iam-create-user found the person in AWS: an update of them, when the instance allows updates."""
    if not settings.update_enabled:
        return UserPlan('update', existing, skip=DISABLED)
    return plan_update(client, request, existing, settings)


def created_active(mapped: bool | None, request: UserRequest) -> tuple[bool, str]:
    """Whether a new user is active, and what the result says of it: a mapped `active` false creates the user
    disabled; true, or none mapped, makes it active when allow-enable and "Allow enabling users" let it."""
    if mapped is False:
        return False, 'Created disabled: the profile maps active false.'
    if mapped and not request.may_enable:
        return False, ('Created disabled although the profile maps active true: allow-enable is false or the '
                       'instance\'s "Allow enabling users" is cleared.')
    return request.may_enable, ''


def user_body(user: dict) -> dict[str, Any]:
    body = {k: v for k, v in user.items() if k not in NEVER_SENT}
    for attribute in TYPED_LISTS:
        if attribute in body:
            body[attribute] = [{'type': 'work', **item} for item in body[attribute]]
    body['schemas'] = [USER_SCHEMA] + ([ENTERPRISE_SCHEMA] if ENTERPRISE_SCHEMA in body else [])
    return body


def plan_create(client: Client, request: UserRequest, settings: Settings) -> UserPlan:
    """A new user from the profile mapped for a create; a profile lacking what AWS requires updates the person
    when AWS has them already, and is refused otherwise."""
    mapping = map_user(request.profile, settings.mapper_out, CREATE_MAPPING_TYPE)
    refuse_wrong_shapes(mapping, settings.mapper_out)
    user, missing = creatable(mapping.user)
    if missing:
        existing = (identifier_pairs(request.profile, request.mapped)
                    and resolve_user(client, request, settings.mapper_out, use_old_data=False).user)
        if existing:
            return update_instead(client, request, existing, settings)
        raise InputError(f'Cannot create the user: AWS requires userName, name.givenName, name.familyName and '
                         f'displayName, and the profile mapped through "{settings.mapper_out}" lacks '
                         f'{", ".join(missing)}.')
    active, active_note = created_active(user.get('active'), request)
    user = {**user, 'active': active}
    check_aws_text_rules(user.items())
    user, notes = with_manager_id(client, user) if 'manager' in user.get(ENTERPRISE_SCHEMA, {}) else (user, '')
    return UserPlan('create', body=user_body(user), notes=joined_notes(mapping.dropped_note(), active_note, notes))


def not_found(resolution: Resolution) -> str:
    return USER_NOT_FOUND + (f' ({resolution.others_text()}; nobody was changed)' if resolution.others else '')


def plan_active_state(action: str, existing: dict) -> UserPlan:
    """Disable or enable in one PATCH; a skip when AWS already has the user so."""
    active = action == 'enable'
    if existing.get('active') is active:
        return UserPlan(action, existing, skip=ALREADY_ENABLED if active else ALREADY_DISABLED)
    return UserPlan(action, existing, [replace_operation('active', active)])


def plan_user_command(action: str, client: Client, request: UserRequest, settings: Settings) -> UserPlan:
    """What `action` does for the request's user: who the user is (the identity rule, once), then what changes.

    Args:
        action: get, create, update, disable or enable.
        client: the tenant's SCIM client (the plan reads AWS, it never writes).
        request: the user's profile, mapped, and its names.
        settings: the instance's settings.

    Returns:
        The plan: the user found, and the operations or body to send, or why nothing is done.
    """
    if not getattr(settings, f'{action}_enabled', True):   # its "Allow ..." checkbox
        return turned_off_plan(action, client, request, settings)
    if action in ('create', 'update'):
        refuse_wrong_shapes(request.mapping, settings.mapper_out)
    if action == 'create':
        return plan_create(client, request, settings)
    resolution = resolve_user(client, request, settings.mapper_out)
    if action == 'get':
        return UserPlan('get', resolution.user, error=None if resolution.user else (404, not_found(resolution)),
                        notes='' if resolution.user else FIND_USER_HINT)
    if not resolution.user and action == 'update' and settings.create_if_not_exists:
        return plan_create(client, request, settings)
    if not resolution.user:
        return UserPlan(action, skip=not_found(resolution), notes=FIND_USER_HINT)
    if action == 'update':
        return plan_update(client, request, resolution.user, settings)
    return plan_active_state(action, resolution.user)


def taken_identifiers(client: Client, user: dict, operations: list[dict], refused: bool = True) -> str:
    """Which new userName, externalId or e-mail another user holds, with that user's id ('' when none): why AWS
    refused (409) the PATCH (`refused`), or would refuse it (a dry run). AWS cannot search by e-mail: an e-mail's
    holder is found when its user name is that e-mail, and after AWS's refusal the e-mail is named all the same."""
    taken, emails = [], []
    for operation in operations:
        path = operation['path']
        value = primary_email({'emails': operation['value']}) if path == 'emails' else operation['value']
        if path not in ('userName', 'externalId', 'emails') or not value:
            continue
        try:
            holder = client.search('Users', 'userName' if path == 'emails' else path, value)
        except ScimError:
            holder = None
        if holder and holder['id'] != user['id']:
            taken.append(f'{"e-mail" if path == "emails" else path} "{value}" belongs to another AWS user '
                         f'(id {holder["id"]}, userName {holder.get("userName")}, '
                         f'{"active" if holder.get("active") else "disabled"})')
        elif path == 'emails':
            emails.append(value)
    if not taken and emails and refused:
        taken.append(f'the e-mail "{emails[0]}" belongs to another AWS user (AWS keeps e-mails unique, and cannot '
                     'search by e-mail: !aws-ilm-list-users lists each user\'s e-mail)')
    return ('User not updated: ' + '; '.join(taken) + '. Nobody was changed.') if taken else ''


def apply_operations(user: dict, operations: list) -> dict[str, Any]:
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


def patch_user(client: Client, user: dict, operations: list[dict]) -> dict:
    """One PatchUser: the user as AWS answers it afterwards (as the operations make it when AWS answers without it);
    AWS's 409 names who holds the new identifier (a dry run reads who holds it first, as AWS would refuse it)."""
    taken = taken_identifiers(client, user, operations, refused=False) if client.would_send is not None else ''
    if taken:
        raise ScimError(409, taken)
    try:
        answer = client.patch('Users', user['id'], operations)
        return answer if answer and answer.get('id') == user['id'] else apply_operations(user, operations)
    except ScimError as exc:
        taken = taken_identifiers(client, user, operations) if exc.status == 409 else ''
        if not taken:
            raise
        raise ScimError(409, taken, exc.maybe_applied, exc.resent) from exc


def write_user(client: Client, plan: UserPlan) -> dict | None:
    """Send the plan's one write, if any: the user as AWS holds it afterwards (the plan's user when nothing is
    written)."""
    if plan.body:
        return client.create('Users', plan.body)
    if not plan.operations or plan.user is None:
        return plan.user
    written = patch_user(client, plan.user, plan.operations)
    if not plan.then:
        return written
    try:
        return patch_user(client, written, plan.then)
    except ScimError as exc:
        raise ScimError(exc.status, f'The first of two requests was applied (userName and active cannot change in '
                                    f'one), the second failed: {exc.detail}', exc.maybe_applied, exc.resent) from exc


def create_conflict(client: Client, user: dict, resolution: Resolution, detail: str) -> str:
    """Why AWS refused (409) to create a user that no identifier of the profile's person leads to."""
    if resolution.others:
        holder = resolution.others[0]
        return (f'User not created: userName {holder.get("userName")} belongs to another person (externalId '
                f'{holder.get("externalId")}, {"active" if holder.get("active") else "disabled"}, id {holder["id"]}), '
                f'not to the profile\'s externalId {user.get("externalId")}. Nobody was changed and no group was '
                'touched. If it is the same person, correct the employee id; otherwise give this user another name.')
    email = primary_email(user)
    holder = None
    if email and email.casefold() != str(user.get('userName')).casefold():
        try:
            holder = client.search('Users', 'userName', email)
        except ScimError:
            holder = None
    if holder:
        return (f'User not created: the e-mail {email} already belongs to {describe_user(holder)}; AWS requires '
                'unique e-mail addresses. Nobody was changed.')
    return (f'User already exists: {detail} No user matches its userName or externalId, so another user holds the '
            'same e-mail or identifier.')


def plan_after_conflict(client: Client, request: UserRequest, plan: UserPlan, exc: ScimError,
                        settings: Settings) -> UserPlan:
    """AWS refused a create (409) because the user exists: the person's update; the user itself when it was this
    create's own first attempt, whose answer was lost; a 409 naming who holds the identifiers otherwise."""
    resolution = resolve_user(client, request, settings.mapper_out, use_old_data=False)
    if not resolution.user:
        raise ScimError(409, create_conflict(client, plan.body, resolution, exc.detail))
    if exc.resent:
        return UserPlan('create', resolution.user)
    return update_instead(client, request, resolution.user, settings)


def with_manager_email(client: Client, user: dict) -> dict[str, Any]:
    enterprise = user.get(ENTERPRISE_SCHEMA)
    manager = enterprise.get('manager') if isinstance(enterprise, dict) else None
    if not isinstance(enterprise, dict) or not isinstance(manager, dict) or not manager.get('value'):
        return user
    try:
        email = primary_email(client.get('Users', str(manager['value'])))
    except (ScimError, InputError) as exc:
        demisto.debug(f'AWS-ILM: the manager {manager["value"]} could not be read: {exc}')
        email = None
    return {**user, ENTERPRISE_SCHEMA: {**enterprise, 'manager': {**manager, 'email': email}}} if email else user


def incoming_profile(client: Client, user: dict, settings: Settings) -> dict[str, Any]:
    """The AWS user through the incoming mapper: the IAM.UserProfile of iam-get-user. AWS holds only the manager's
    id; the manager's e-mail (one read, only when the user has a manager) is added as manager.email for the mapper,
    so that a profile read and written back names the same manager."""
    return demisto.mapObject(with_manager_email(client, user), settings.mapper_in, INCOMING_MAPPING_TYPE)


def failed_outcome(command: str, exc: Exception, user: dict | None, request: UserRequest | None, profile: dict,
                   token: str) -> UserOutcome:
    """A user's failure: logged, told in the user's result, with the user found (whose state is unknown when AWS
    may have applied the write), else the profile as mapped."""
    found = user
    if isinstance(exc, ScimError) and exc.maybe_applied and user:
        user = {**user, 'active': None}
    names = request.names if request else profile_names(profile, {})
    vendor = vendor_result(USER_COMMANDS[command], user, names, logged_failure(command, exc, token),
                           mapped=request.mapped if request else None)
    throttled = isinstance(exc, ScimError) and exc.status == 429 and not exc.maybe_applied   # a later run takes it
    later = (exc.retry_after or 0.0) if throttled and isinstance(exc, ScimError) else None   # (mypy narrows here)
    return UserOutcome(vendor, profile, found=found, later=later)


def run_one_user(command: str, client: Client, raw: Any, args: dict, settings: Settings) -> UserOutcome:
    """One user, start to end: parse the profile, resolve and plan, write, report.

    Args:
        command, client, args, settings: the command, the tenant's client, its arguments, the instance's settings.
        raw: the user's profile as given (a JSON object or text, or a bare user name).

    Returns:
        The user's IAM.Vendor result (naming the user, and the user found when a write failed), and IAM.UserProfile.
    """
    action = USER_COMMANDS[command]
    profile: dict = {}
    request: UserRequest | None = None
    plan: UserPlan | None = None
    try:
        profile = parse_user_profile(raw)
        request = read_user_request(profile, action, args, settings)
        plan = plan_user_command(action, client, request, settings)
        try:
            written = write_user(client, plan)
        except ScimError as exc:
            if not plan.body or exc.status != 409:
                raise
            plan = plan_after_conflict(client, request, plan, exc, settings)
            written = write_user(client, plan)
        vendor = vendor_result(plan.action, written, request.names, plan.error, plan.skip, plan.notes, request.mapped)
        return UserOutcome(vendor, incoming_profile(client, written, settings) if action == 'get' and written
                           else profile, found=plan.user)
    except Exception as exc:
        return failed_outcome(command, exc, plan.user if plan else None, request, profile, client.token)


@dataclass(frozen=True)
class MembershipChange:
    """What a containment (out of every group) or a restore (back into the recorded groups) did to one user's
    groups: those done and those not done, each with AWS's reason; the recorded groups a plain enable left out;
    and what else the analyst must know (the groups could not all be read, the record could not be written)."""
    user_id: str
    user_name: str | None
    done: list[dict] = field(default_factory=list)
    not_done: list[dict] = field(default_factory=list)
    left_out: list[dict] = field(default_factory=list)
    remark: str = ''
    record_key: str = ''   # the record restored from, when it is another id's (a user created again)


def guarded(function: Callable, failed: Callable) -> Callable:
    """`function` of one item, or `failed(item, exception)` when it raises: the item's result either way."""
    def one(item: Any) -> Any:
        try:
            return function(item)
        except Exception as exc:
            return failed(item, exc)
    return one


def in_parallel(function: Callable, items: list, failed: Callable) -> list:
    """`function` of each item, in order, or `failed(item, exception)` when it raises (one item's defect never costs
    the others their results): PARALLEL_USERS at a time on the client's pool, once the platform's channel takes one
    call at a time (support_multithreading, set once per execution); one at a time in debug mode, where the
    platform's debug logger collects every thread's HTTP lines in one buffer."""
    one = guarded(function, failed)
    if len(items) < 2 or is_debug_mode():
        return [one(item) for item in items]
    if getattr(demisto, 'lock', None) is None:
        support_multithreading()
    with ThreadPoolExecutor(max_workers=PARALLEL_USERS) as pool:
        return list(pool.map(one, items))


def remove_members(client: Client, group_id: str, user_ids: list[str]) -> str:
    """PatchGroup remove of these members only; '' when done, else why not (AWS's reason)."""
    try:
        client.patch('Groups', group_id, [{'op': 'remove', 'path': 'members',
                                           'value': [{'value': user_id} for user_id in user_ids]}])
        return ''
    except ScimError as exc:
        if exc.status == 404:
            return 'the group no longer exists'
        return f'AWS answered {exc.status}: {exc.detail}' + (' (AWS may have applied it: run the command again)'
                                                            if exc.maybe_applied else '')


def containment_of(user_id: str, outcome: UserOutcome, groups: dict[str, dict],
                   refused: dict[tuple[str, str], str]) -> MembershipChange:
    memberships = outcome.memberships or Memberships([])
    done = [groups[g['id']] for g in memberships.groups if (g['id'], user_id) not in refused]
    not_done = [{**groups[g['id']], 'reason': refused[(g['id'], user_id)]} for g in memberships.groups
                if (g['id'], user_id) in refused]
    return MembershipChange(user_id, outcome.vendor['username'], done, not_done, remark=memberships.unread)


def utc_now() -> datetime:
    return datetime.now(UTC)


def stamp_of(text: Any) -> datetime:
    """A time this integration recorded in the integration context (now, when it cannot be read: what it dates is
    kept)."""
    try:
        stamp = datetime.fromisoformat(str(text))
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    except ValueError:
        return utc_now()


def recorded_at(record: dict) -> datetime:
    """When a containment was recorded (now, for a record whose time cannot be read: it is kept)."""
    return stamp_of(record.get('containedAt'))


def pruned(records: dict, retention_days: int) -> tuple[dict, str]:
    """The records younger than the retention, at most MAX_CONTAINMENT_RECORDS of them (the newest), and what the
    result says of those dropped ('' when none)."""
    cutoff = utc_now() - timedelta(days=retention_days)
    kept = {key: record for key, record in records.items() if recorded_at(record) >= cutoff}
    expired = len(records) - len(kept)
    newest = sorted(kept, key=lambda key: recorded_at(kept[key]), reverse=True)[:MAX_CONTAINMENT_RECORDS]
    dropped = len(kept) - len(newest)
    said = ([f'{expired} record{"s" if expired > 1 else ""} older than {retention_days} days expired'] if expired
            else []) + ([f'the {dropped} oldest dropped to keep {MAX_CONTAINMENT_RECORDS:,}'] if dropped else [])
    return ({key: kept[key] for key in newest}, f'Containment records: {"; ".join(said)}.' if said else '')


def change_context_key(key: str, change: Any) -> None:
    """Apply `change` (value -> value) to one key of the instance's integration context with the platform's
    versioned write; when another command wrote in between (the platform refuses the stale version), read again
    and apply it again."""
    for attempt in range(CONTEXT_WRITE_ATTEMPTS):
        context, version = get_integration_context_with_version()
        value = change(copy.deepcopy((context or {}).get(key) or {}))
        try:
            set_integration_context({**(context or {}), key: value}, version=version)
            return
        except ValueError as exc:   # the platform's answer to a stale version
            demisto.debug(f'AWS-ILM: the integration context\'s {key} changed meanwhile ({exc}); attempt {attempt + 2}')
            pause(random.uniform(0.05, 0.25))
    raise DemistoException(f'the integration context\'s {key} kept changing under {CONTEXT_WRITE_ATTEMPTS} attempts')


def change_containment_records(change: Any) -> None:
    change_context_key(CONTAINMENT_KEY, change)


def written_or_told(change: Any, changes: dict[str, MembershipChange], failure: str,
                    retention_days: int) -> tuple[dict[str, MembershipChange], str]:
    """`change` applied to the record, the expired and the oldest records dropped; (the changes, each told when the
    record could not be written; what the result says of the records dropped)."""
    if not any(c.done or c.not_done for c in changes.values()):
        return changes, ''
    said: list[str] = ['']

    def bounded(records: dict) -> dict:
        kept, said[0] = pruned(change(records), retention_days)
        return kept
    try:
        change_containment_records(bounded)
        return changes, said[0]
    except Exception as exc:  # the platform's context store: the groups changed all the same, so say so
        demisto.error(f'AWS-ILM: {failure}: {exc}')
        return {user_id: replace(c, remark=f'{c.remark} {failure} ({exc}); keep this list.'.strip())
                for user_id, c in changes.items()}, ''


def record_containment(changes: dict[str, MembershipChange],
                       retention_days: int) -> tuple[dict[str, MembershipChange], str]:
    """Add each user's removed groups to the record (kept with those of an earlier containment: a second Block
    Account finds no group left); a failure to write is told in each change."""
    stamp = utc_now().isoformat(timespec='seconds')

    def added(records: dict) -> dict:
        for user_id, change in changes.items():
            if change.done:
                held = {g['id']: g for g in (records.get(user_id) or {}).get('groups') or []}
                held.update({g['id']: {'id': g['id'], 'displayName': g.get('displayName')} for g in change.done})
                records[user_id] = {'userName': change.user_name, 'groups': list(held.values()), 'containedAt': stamp}
        return records
    return written_or_told(added, changes, 'The groups removed could not be recorded for restore-groups',
                           retention_days)


def contain_users(client: Client, outcomes: list[UserOutcome],
                  retention_days: int) -> tuple[dict[str, MembershipChange], str]:
    """Every contained user out of each group found, several users of one group in one PatchGroup of up to
    MAX_MEMBER_CHANGES members (other members are never touched). The groups are recorded for a restore before any
    is removed, so that an execution ended midway loses no record (restoring a group the user is still in is
    harmless)."""
    found = {outcome.vendor['id']: outcome for outcome in outcomes if outcome.memberships is not None}
    members_of: dict[str, list[str]] = {}
    groups: dict[str, dict] = {}
    for user_id, outcome in found.items():
        for group in outcome.memberships.groups if outcome.memberships else []:
            members_of.setdefault(group['id'], []).append(user_id)
            groups[group['id']] = group
    intended = {user_id: containment_of(user_id, outcome, groups, {}) for user_id, outcome in found.items()}
    recorded, note = (intended, '') if client.would_send is not None else record_containment(intended, retention_days)
    batches = [(group_id, user_ids[start:start + MAX_MEMBER_CHANGES]) for group_id, user_ids in members_of.items()
               for start in range(0, len(user_ids), MAX_MEMBER_CHANGES)]
    failures = in_parallel(lambda batch: remove_members(client, *batch), batches,
                           lambda _, exc: unexpected_error('iam-disable-user', exc, client.token))
    refused = {(group_id, user_id): reason for (group_id, user_ids), reason in zip(batches, failures, strict=True) if reason
               for user_id in user_ids}
    return {user_id: replace(containment_of(user_id, outcome, groups, refused), remark=recorded[user_id].remark)
            for user_id, outcome in found.items()}, note


def enables(outcome: UserOutcome) -> bool:
    """iam-enable-user reached the user (enabled or already enabled), or an update or create enabled one."""
    vendor = outcome.vendor
    if not vendor['success'] or not vendor['id']:
        return False
    if vendor['action'] == 'enable':
        return not vendor['skipped'] or vendor['reason'] == ALREADY_ENABLED
    return vendor['active'] is True and (outcome.found or {}).get('active') is False


def read_containment_records() -> dict[str, dict]:
    """The memberships containments removed, by AWS user id: {'userName', 'groups', 'containedAt'}."""
    return read_context_key(CONTAINMENT_KEY)


def record_of(records: dict, user_id: str, user_name: str | None) -> tuple[str, dict]:
    """(its key, the containment recorded for this user): by its AWS user id, else, for a user deleted and created
    again under the same name, the newest record of that user name; ('', {}) when none."""
    if user_id in records:
        return user_id, records[user_id]
    named = [key for key, record in records.items()
             if user_name and str(record.get('userName') or '').casefold() == user_name.casefold()]
    newest = max(named, key=lambda key: recorded_at(records[key]), default='')
    return newest, records.get(newest) or {}


def add_member(client: Client, group_id: str, user_id: str) -> str:
    """PatchGroup add of this member; '' when done, else why not."""
    try:
        client.patch('Groups', group_id, [{'op': 'add', 'path': 'members', 'value': [{'value': user_id}]}])
        return ''
    except ScimError as exc:
        return 'the group no longer exists' if exc.status == 404 else f'AWS answered {exc.status}: {exc.detail}'


@dataclass(frozen=True)
class Listing:
    """A run of ListUsers / ListGroups pages: the items, the cursor that continues right after the last of them
    (None when AWS has no more), and why it stopped early ('' when it did not)."""
    items: list[dict]
    cursor: str | None
    stopped: str = ''


def list_resources(client: Client, resource: str, scim_filter: str | None, limit: int, token: str | None = None) -> Listing:
    """Up to `limit` users or groups from `token` on, in AWS's cursor pages, each asking only for as many as are
    still needed (so the cursor returned resumes right after the last one). Paging stops before the command's
    deadline, and when AWS refuses a filtered cursor listing (one legacy page then)."""
    found: list = []
    cursor: str | None = token or ''
    stopped, empty_pages = '', 0
    while cursor is not None and len(found) < limit and empty_pages < 3:
        if found and client.time_left() < MIN_PAGE_SECONDS:
            stopped = f'the command\'s time budget ran out after {len(found)}'
            break
        count = min(MAX_PAGE, limit - len(found))
        try:
            page, cursor = client.list_page(resource, scim_filter, cursor, count)
        except ScimError as exc:
            if exc.status == 404 and scim_filter:   # a filter on an unknown member id
                return Listing([], None)
            if exc.status != 400 or found:
                raise
            if token:
                raise InputError('AWS refused the next_token (it may have expired or come from another listing): '
                                 'start the listing again without next_token.')
            demisto.debug(f'AWS-ILM: a cursor listing of {resource} was refused ({exc.detail}); asking for one page.')
            (page, _), cursor = client.list_page(resource, scim_filter, None, count), None
            stopped = 'AWS refused a paged listing with this filter and answered one page, so more may exist'
        found += page
        empty_pages = 0 if page else empty_pages + 1
    return Listing(found, cursor, stopped)


def current_names(client: Client, user_id: str, groups: list[dict]) -> list[dict]:
    """The groups as AWS names them now (one read of the user's groups; a group renamed since the containment has
    its new name); as recorded when they cannot be read, and in a dry run, whose adds were not made."""
    if client.would_send is not None:
        return groups
    try:
        listing = list_resources(client, 'Groups', f'members.value eq {filter_value(user_id)}', MAX_USER_GROUPS)
    except (ScimError, InputError):
        return groups
    except Exception as exc:
        unexpected_error('iam-enable-user', exc, client.token)
        return groups
    names = {group['id']: group.get('displayName') for group in listing.items}
    return [{**group, 'displayName': names.get(group['id'], group.get('displayName'))} for group in groups]


def record_restores(changes: dict[str, MembershipChange],
                    retention_days: int) -> tuple[dict[str, MembershipChange], str]:
    """Drop the restored groups and the groups that no longer exist from the record (a user with none left is
    dropped); a failure to write is told in each change."""
    def cleared(records: dict) -> dict:
        for change in changes.values():
            key = change.record_key or change.user_id
            settled = {g['id'] for g in change.done} | {g['id'] for g in change.not_done
                                                         if g['reason'] == 'the group no longer exists'}
            left = [g for g in (records.get(key) or {}).get('groups') or [] if g['id'] not in settled]
            if left:
                records[key] = {**records[key], 'groups': left}
            else:
                records.pop(key, None)
        return records
    return written_or_told(cleared, changes, 'The record of the restored groups could not be updated', retention_days)


def restore_users(client: Client, enabled: list[UserOutcome], records: dict,
                  retention_days: int) -> tuple[dict[str, MembershipChange], str]:
    """Each enabled user back into the groups its containment recorded (one PatchGroup add each), the record found
    by the user's id or, for a user created again, by its user name; the groups named as AWS names them now; the
    record then keeps only the groups that could not be restored for another reason than being gone."""
    changes = {}
    for outcome in enabled:
        user_id = outcome.vendor['id']
        key, record = record_of(records, user_id, outcome.vendor['username'])
        recorded = record.get('groups') or []
        add = guarded(lambda group, user=user_id: add_member(client, group['id'], user),
                      lambda _, exc: unexpected_error('iam-enable-user', exc, client.token))
        failures = [add(group) for group in recorded]
        done = [g for g, reason in zip(recorded, failures, strict=True) if not reason]
        changes[user_id] = MembershipChange(
            user_id, outcome.vendor['username'], current_names(client, user_id, done) if done else [],
            [{**g, 'reason': reason} for g, reason in zip(recorded, failures, strict=True) if reason],
            remark='' if recorded else 'No containment is recorded for this user on this instance: no group to '
                                       'restore.', record_key=key if key != user_id else '')
    return (changes, '') if client.would_send is not None else record_restores(changes, retention_days)


def contained_at(record: dict) -> str:
    return f'contained by Block Account at {record.get("containedAt") or "a time not recorded"}'


def change_memberships(client: Client, outcomes: list[UserOutcome],
                       options: UserOptions) -> tuple[dict[str, MembershipChange], str]:
    """The users' group changes, by AWS user id: a containment's, a restore's, or the recorded groups a plain enable
    leaves out; and what the result says of the records that expired or were dropped."""
    if options.contain:
        return contain_users(client, outcomes, options.retention_days)
    enabled = [outcome for outcome in outcomes if enables(outcome)]
    if not enabled:
        return {}, ''
    records = read_containment_records()
    if options.restore:
        return restore_users(client, enabled, records, options.retention_days)
    found = {outcome.vendor['id']: (outcome.vendor['username'],
                                    record_of(records, outcome.vendor['id'], outcome.vendor['username'])[1])
             for outcome in enabled}
    return {user_id: MembershipChange(user_id, name, left_out=record['groups'], remark=contained_at(record))
            for user_id, (name, record) in found.items() if record.get('groups')}, ''


def dry_run_entry(command: str, would_send: list[dict], subjects: list[dict]) -> dict[str, Any]:
    """A dry run's one entry: titled as a dry run, the requests that would be sent (method, path, body) and what
    the command would do to each user or group; its context (AWSILM.DryRun, changed false) holds no IAM or group
    result, so that no playbook can take it for a change."""
    brand, _ = calling_instance()
    rows = [{'#': number, 'method': request['method'], 'path': request['path'],
             'body': json.dumps(request['body']) if request['body'] is not None else ''}
            for number, request in enumerate(would_send, 1)]
    count = f'{len(rows)} request{"s" if len(rows) != 1 else ""} would be sent' if rows else 'No request would be sent'
    readable = (f'### Dry run of {command} ({brand}): nothing was changed\n**{count}**; every read was made as usual.\n'
                + (tableToMarkdown('Requests that would be sent', rows, headers=['#', 'method', 'path', 'body'])
                   if rows else '')
                + tableToMarkdown('What the command would do', subjects, headers=list(subjects[0]), removeNull=True))
    context = {'command': command, 'dryRun': True, 'changed': False, 'requests': would_send, 'subjects': subjects}
    return {'Type': EntryType.NOTE, 'ContentsFormat': EntryFormat.JSON, 'Contents': context,
            'HumanReadable': readable, 'EntryContext': {'AWSILM.DryRun': context}}


def some_of(texts: list[str]) -> str:
    """The first MEMBERS_SHOWN texts, joined, and how many more there are."""
    more = len(texts) - MEMBERS_SHOWN
    return ', '.join(texts[:MEMBERS_SHOWN]) + (f' and {more} more' if more > 0 else '')


def group_names(groups: list[dict]) -> str:
    return some_of([f'{g.get("displayName") or "(no name)"} ({g["id"]})' for g in groups])


def dry_run_user(outcome: UserOutcome, changes: dict[str, MembershipChange]) -> dict[str, Any]:
    """What a user command would do to one user, read from its outcome in the dry run."""
    vendor, found = outcome.vendor, outcome.found or {}
    if not outcome.reached or not vendor['success']:
        would = f'fail ({vendor["errorCode"]}): {vendor["errorMessage"]}'
    elif vendor['skipped']:
        would = f'nothing to {vendor["action"]}: {vendor["reason"]}'
    else:
        would = vendor['action'] + (f' (notes: {vendor["notes"]})' if vendor.get('notes') else '')
    change = changes.get(vendor['id'] or '')
    groups = ''
    if change and change.left_out:
        would += f' (re-enables a user {change.remark}; its groups stay out: {group_names(change.left_out)})'
    if change and (change.done or change.not_done):
        verb = 'leave' if vendor['action'] == 'disable' else 'rejoin'
        groups = f'{verb} {group_names(change.done)}' + ''.join(f'; not {group_names([g])}: {g["reason"]}'
                                                                 for g in change.not_done)
    return {'username': vendor['username'], 'id': vendor['id'] if vendor['id'] != DRY_RUN_ID else None,
            'activeNow': found.get('active'), 'would': would, 'groups': groups or (change.remark if change else '')}


def iam_entry(outcome: UserOutcome) -> dict[str, Any]:
    vendor = outcome.vendor
    title = f"{vendor['action'].title()} User Results ({vendor['brand']})"
    headers = list(VENDOR_SKIPPED_TABLE if vendor['skipped'] else VENDOR_TABLE)
    if vendor.get('notes'):
        headers.append('notes')   # what the command did not apply (a manager), for the analyst
    return {
        'Type': EntryType.NOTE,
        'ContentsFormat': EntryFormat.JSON,
        'Contents': vendor,
        'HumanReadable': tableToMarkdown(title, vendor, headers=headers, removeNull=True),
        'EntryContext': {IAM_USER_PROFILE_KEY: outcome.profile, IAM_VENDOR_KEY: vendor},
    }


def summary_row(outcome: UserOutcome) -> dict[str, Any]:
    vendor = outcome.vendor
    return {'outcome': outcome.kind(), 'username': vendor['username'], 'email': vendor['email'], 'id': vendor['id'],
            'reason': vendor['errorMessage'] or vendor['reason'] or vendor.get('notes') or ''}


def several_users_entry(action: str, outcomes: list[UserOutcome]) -> dict[str, Any]:
    """One entry for several users: a readable summary headed by the counts, failures and users not reached first,
    one row per user; the context holds every user's IAM.Vendor and IAM.UserProfile, in the order given."""
    vendors = [outcome.vendor for outcome in outcomes]
    kinds = [outcome.kind() for outcome in outcomes]
    counts = ', '.join(f'{kinds.count(kind)} {kind}' for kind in OUTCOME_ORDER
                       if kinds.count(kind) or kind in ('failed', 'not reached', f'{action}d'))
    rows = sorted((summary_row(outcome) for outcome in outcomes), key=lambda row: OUTCOME_ORDER.index(row['outcome']))
    brand = vendors[0]['brand']
    readable = (f"### {action.title()} User Results ({brand}): {len(outcomes)} users\n**{counts}**\n"
                + tableToMarkdown('', rows, headers=['outcome', 'username', 'email', 'id', 'reason'], removeNull=True))
    return {
        'Type': EntryType.NOTE,
        'ContentsFormat': EntryFormat.JSON,
        'Contents': vendors,
        'HumanReadable': readable,
        'EntryContext': {IAM_USER_PROFILE_KEY: [outcome.profile for outcome in outcomes], IAM_VENDOR_KEY: vendors},
    }


def containment_context(change: MembershipChange) -> dict[str, Any]:
    return {'userId': change.user_id, 'userName': change.user_name, 'groupsRemoved': change.done,
            'groupsNotRemoved': change.not_done, 'complete': not change.remark and not change.not_done,
            'remark': change.remark}


def containment_markdown(change: MembershipChange) -> str:
    text = f'\n#### Groups of {change.user_name or change.user_id}\n'
    if change.done:
        text += f'Removed from {len(change.done)} group{"s" if len(change.done) > 1 else ""}: {group_names(change.done)}.\n'
    elif not change.not_done and not change.remark:
        text += 'In no group: nothing to remove.\n'
    for group in change.not_done:
        text += f'**Not removed** from {group_names([group])}: {group["reason"]}.\n'
    if change.remark:
        text += f'**{change.remark}**\n'
    if change.done:
        text += ('The groups removed are recorded on this instance: !iam-enable-user user-profile='
                 f'{change.user_name or change.user_id} restore-groups=true puts the user back into them.\n')
    return text


def containment_table(changes: list[MembershipChange]) -> str:
    """Several users' groups: one row a user, those with a group not removed first."""
    rows = sorted(({'username': c.user_name, 'id': c.user_id, 'removed': len(c.done),
                    'not removed': '; '.join(f'{group_names([g])}: {g["reason"]}' for g in c.not_done) or c.remark,
                    'groups removed': group_names(c.done)} for c in changes), key=lambda row: not row['not removed'])
    removed = sum(len(c.done) for c in changes)
    return (f'\n### Groups: {removed} membership{"s" if removed != 1 else ""} removed from {len(changes)} users\n'
            + tableToMarkdown('', rows, headers=['username', 'id', 'removed', 'not removed', 'groups removed'],
                              removeNull=True)
            + ('\nThe groups removed are recorded on this instance: iam-enable-user restore-groups=true puts a user '
               'back into them.\n' if removed else ''))


def restore_context(change: MembershipChange) -> dict[str, Any]:
    """A restore's groups, or the groups an enable without restore-groups left out."""
    if change.left_out:
        return {'userId': change.user_id, 'userName': change.user_name, 'groupsLeftOut': change.left_out}
    return {'userId': change.user_id, 'userName': change.user_name, 'groupsRestored': change.done,
            'groupsNotRestored': change.not_done, 'remark': change.remark}


def restore_markdown(change: MembershipChange) -> str:
    name = change.user_name or change.user_id
    if change.left_out:
        return (f'\n**{name} was {change.remark} and is enabled again**, without the groups the containment removed: '
                f'{group_names(change.left_out)}. To restore them: !iam-enable-user user-profile={name} '
                'restore-groups=true\n')
    text = f'\n#### Groups of {name}\n'
    if change.done:
        text += f'Restored {len(change.done)} group{"s" if len(change.done) > 1 else ""}: {group_names(change.done)}.\n'
    for group in change.not_done:
        text += f'**Not restored**: {group_names([group])}: {group["reason"]}.\n'
    return text + (f'{change.remark}\n' if change.remark else '')


def membership_report(command: str, outcomes: list[UserOutcome],
                      changes: dict[str, MembershipChange]) -> tuple[str, dict[str, Any]]:
    """The readable text and the context of the users' group changes ('' and {} when there are none)."""
    if not changes:
        return '', {}
    if command == 'iam-disable-user':
        rows = [containment_context(change) for change in changes.values()]
        markdown = (containment_markdown(next(iter(changes.values()))) if len(outcomes) == 1
                    else containment_table(list(changes.values())))
        return markdown, {'AWSILM.Containment(val.userId && val.userId == obj.userId)': rows}
    rows = [restore_context(change) for change in changes.values()]
    return (''.join(restore_markdown(change) for change in changes.values()),
            {'AWSILM.Restore(val.userId && val.userId == obj.userId)': rows})


def minified(document: dict) -> str:
    """The policy as AWS counts it: JSON without white space."""
    return json.dumps(document, separators=(',', ':'))


def deny_document(user_ids: list[str]) -> dict[str, Any]:
    """A policy that denies every action to these Identity Center users: the condition key AWS advises,
    identitystore:userId, holds their Identity Store user ids (the SCIM ids)."""
    return {'Version': '2012-10-17', 'Statement': [{
        'Sid': 'DenyCompromisedIdentityCenterUsers', 'Effect': 'Deny', 'Action': '*', 'Resource': '*',
        'Condition': {'StringEquals': {'identitystore:userId': user_ids}}}]}


def deny_documents(user_ids: list[str], limit: int) -> list[dict[str, Any]]:
    """As few Deny policies as hold every id, each at most `limit` characters minified (the ids in order):
    [{'document', 'characters', 'userCount'}]."""
    empty = len(minified(deny_document([])))
    chunks: list[list[str]] = [[]]
    size = empty
    for user_id in user_ids:
        added = len(json.dumps(user_id)) + (1 if chunks[-1] else 0)
        if chunks[-1] and size + added > limit:
            chunks.append([])
            size, added = empty, len(json.dumps(user_id))
        chunks[-1].append(user_id)
        size += added
    documents = [deny_document(chunk) for chunk in chunks if chunk]
    return [{'document': document, 'characters': len(minified(document)), 'userCount': len(chunk)}
            for document, chunk in zip(documents, [c for c in chunks if c], strict=True)]


@dataclass(frozen=True)
class DenyPolicies:
    """The Deny for the users a disable found: service control policies of at most the instance's size, and the
    same Deny as inline policies for the management account's permission sets (SCPs do not apply there)."""
    user_ids: list[str]
    limit: int

    def scps(self) -> list[dict[str, Any]]:
        return deny_documents(self.user_ids, self.limit)

    def inline(self) -> list[dict[str, Any]]:
        return deny_documents(self.user_ids, INLINE_POLICY_CHARACTERS)

    def context(self) -> dict[str, Any]:
        scps, inline = self.scps(), self.inline()
        return {'userIds': self.user_ids, 'policyCount': len(scps), 'maxCharacters': self.limit,
                'policies': scps, 'managementAccountPolicies': inline, 'keepHours': DENY_HOURS}

    def markdown(self, shown: bool) -> str:
        scps, inline = self.scps(), self.inline()
        count = f'{len(scps)} service control polic{"y" if len(scps) == 1 else "ies"}'
        low, high = SCPS_PER_TARGET
        text = (f'- **Deny now** with {count} ({len(self.user_ids)} user id{"s" if len(self.user_ids) > 1 else ""}, '
                f'each policy at most {self.limit:,} characters as AWS counts them, without white space: '
                f'{", ".join(str(p["characters"]) for p in scps)}). Attach {"it" if len(scps) == 1 else "them"} '
                f'where the users have access (the root, or their OUs and accounts): a root, OU or account takes at '
                f'most {low} SCPs ({high} under AWS\'s newer quota), FullAWSAccess among them. Keep the ids in the '
                f'Deny for at least {DENY_HOURS} hours, until every role session they assumed has expired.\n'
                '- **The management account**: service control policies do not apply there. A user with a permission '
                'set in the management account needs the same Deny in that permission set\'s inline policy (one a '
                f'set, at most {INLINE_POLICY_CHARACTERS:,} characters): {len(inline)} document'
                f'{"s" if len(inline) > 1 else ""} in AWSILM.DenyStatement.managementAccountPolicies.\n')
        if not shown:
            return text + (f'\nThe policies are in the file {DENY_FILE} attached below, ready to paste, and in '
                           'AWSILM.DenyStatement.policies.\n')
        return text + ''.join(f'\n```json\n{json.dumps(p["document"], indent=2)}\n```\n' for p in scps)

    def file(self) -> dict[str, Any]:
        """The policies, ready to paste, as a War Room file."""
        return fileResult(DENY_FILE, json.dumps({'serviceControlPolicies': [p['document'] for p in self.scps()],
                                                 'managementAccountInlinePolicies': [p['document'] for p in
                                                                                      self.inline()]}, indent=2))


def containable(outcome: UserOutcome) -> bool:
    """A user the disable identified and did not skip for another reason than being disabled already: disabled
    now, already disabled (Block Account runs again), or a disable that failed after the user was found."""
    return bool(outcome.vendor['id']) and outcome.kind() in ('disabled', 'already disabled', 'failed')


def stays_open_report(outcomes: list[UserOutcome], changes: dict[str, MembershipChange], options: UserOptions,
                      all_ids: list[str] | None = None) -> tuple[str, dict[str, Any], DenyPolicies | None]:
    """What a disable does not close, said once for all the users it found, and the Deny for them
    (AWSILM.DenyStatement): in full when containment was asked (remove-from-groups, or the instance's checkbox),
    else one line, so that an ordinary leaver's result stays short."""
    users = [(outcome.vendor['username'], outcome.vendor['id']) for outcome in outcomes if containable(outcome)]
    ids = all_ids or list(dict.fromkeys(user_id for _, user_id in users))
    if not ids:
        return '', {}, None
    named_here = {user_id for _, user_id in users}
    users += [('', user_id) for user_id in ids if user_id not in named_here]   # from the runs before
    deny = DenyPolicies(ids, options.scp_characters)
    context = {'AWSILM.DenyStatement': deny.context()}
    if not options.contain:
        return ('\n**What stays open**: live sessions, every group membership and direct assignments; '
                f'AWSILM.DenyStatement holds the Deny for {"these users" if len(ids) > 1 else "this user"}. Run with '
                'remove-from-groups=true to remove the groups and see what else to do.\n', context, None)
    named = some_of([f'{name} ({user_id})' if name else user_id for name, user_id in users])
    shown = len(deny.scps()) == 1
    return (f'\n### What stays open\nIdentity Store user id{"s" if len(ids) > 1 else ""} (SCIM id): {named}.\n'
            '- **Sessions**: a disabled user cannot sign in again, but a live AWS access portal session stays valid '
            'until it expires (the session duration of the tenant: 8 hours by default, up to 90 days) and can still '
            'assume roles; a role session already started lasts its permission set\'s session duration (at most 12 '
            'hours). No API ends them: delete them in the console, IAM Identity Center > Users > the user > Active '
            'sessions.\n'
            '- **Groups**: the AWS access portal and the CLI reflect a group removal within 1 hour; the Deny is the '
            'fast lever.\n'
            '- **Assignments made to the user directly** (not through a group) stay: remove them in IAM Identity '
            'Center > AWS accounts (they need AWS credentials, not the SCIM token).\n'
            '- **The identity provider**: where an external identity provider or Active Directory is the identity '
            'source, disable the user there too, or its next sync can enable the user again.\n'
            + deny.markdown(shown), context, None if shown else deny)


def blank_note(count: int, argument: str) -> str:
    """What the readable output says of blank list items that were ignored ('' when none)."""
    return f'\n{count} blank item{"s" if count > 1 else ""} of {argument} ignored.\n' if count else ''


def user_entry(command: str, outcomes: list[UserOutcome], changes: dict[str, MembershipChange],
               arguments: UserArguments, record_note: str,
               deny_ids: list[str] | None = None) -> dict[str, Any] | list[dict[str, Any]]:
    """The command's entry: the IAM result (one user) or the summary (several), then what was done to the users'
    groups and, for a disable, what stays open (for `deny_ids`, the users every run of a command that continued
    itself disabled; none while runs remain); and a file with the Deny policies when they are too long to show."""
    entry = iam_entry(outcomes[0]) if len(outcomes) == 1 else several_users_entry(USER_COMMANDS[command], outcomes)
    markdown, context = membership_report(command, outcomes, changes)
    deny_file = None
    if command == 'iam-disable-user' and deny_ids != []:
        stays_open, deny, long_deny = stays_open_report(outcomes, changes, arguments.options, deny_ids)
        markdown += stays_open
        context.update(deny)
        deny_file = long_deny.file() if long_deny else None
    entry['HumanReadable'] += markdown + blank_note(arguments.blanks, 'user-profile') + (
        f'\n{record_note}\n' if record_note else '')
    entry['EntryContext'].update(context)
    return [entry, deny_file] if deny_file else entry


def keep_continuation(key: str, command: str, remaining: list, counts: dict, deny_ids: list, run: int,
                      stalled: int) -> None:
    """The state the next run needs (the users that remain, as given; what the runs so far came to), or, after the
    last run, none; continuations not picked up for CONTINUATION_DAYS are dropped."""
    stamp = utc_now()

    def kept(held: dict) -> dict:
        held = {k: v for k, v in held.items() if stamp_of(v.get('at')) >= stamp - timedelta(days=CONTINUATION_DAYS)}
        if remaining:
            held[key] = {'command': command, 'users': remaining, 'counts': counts, 'denyIds': deny_ids, 'run': run,
                         'stalled': stalled, 'at': stamp.isoformat(timespec='seconds')}
        else:
            held.pop(key, None)
        return held
    change_context_key(CONTINUATION_KEY, kept)


def progress_entry(command: str) -> dict[str, Any]:
    """A run's entry when it finished no user (every request was throttled, or nothing was reached); the run's
    progress is added to it."""
    brand, _ = calling_instance()
    return {'Type': EntryType.NOTE, 'ContentsFormat': EntryFormat.MARKDOWN, 'Contents': '',
            'HumanReadable': f'### {USER_COMMANDS[command].title()} User Results ({brand})\n', 'EntryContext': {}}


def continued_entry(command: str, done: list[UserOutcome], later: list[tuple[Any, UserOutcome]],
                    changes: dict[str, MembershipChange], arguments: UserArguments,
                    record_note: str) -> dict[str, Any] | list[dict[str, Any]]:
    """One run of a command that continues itself: the IAM results of the users this run finished (each user is
    named in one run only), what the runs so far came to, and, while users remain, the platform's ScheduledCommand
    for them (their state kept in the integration context); the last run says what stays open for every user the
    runs disabled."""
    polling = arguments.polling or Polling({})
    counts = dict(polling.counts)
    for outcome in done:
        counts[outcome.kind()] = counts.get(outcome.kind(), 0) + 1
    deny_ids = list(dict.fromkeys(polling.deny_ids + [o.vendor['id'] for o in done if containable(o)]))
    key = polling.key or f'{command}-{uuid.uuid4().hex[:12]}'
    remaining = [raw for raw, _ in later]
    keep_continuation(key, command, remaining, counts, deny_ids, polling.run, 0 if done else polling.stalled + 1)
    finished = sum(counts.values())
    tally = ', '.join(f'{counts[kind]} {kind}' for kind in OUTCOME_ORDER if counts.get(kind))
    progress = (f'\n**Run {polling.run} of {command}**: {finished:,} user{"s" if finished != 1 else ""} done so far'
                + (f' ({tally})' if tally else '')
                + (f'; {len(remaining):,} remain' if remaining else '; every user is done') + '.\n')
    entry = (user_entry(command, done, changes, arguments, record_note, [] if remaining else deny_ids) if done
             else progress_entry(command))
    first = entry[0] if isinstance(entry, list) else entry
    first['HumanReadable'] += progress
    if not remaining:
        return entry
    wait = max([outcome.later or 0.0 for _, outcome in later] + [ScheduledCommand.MIN_NEXT_RUN])
    first['HumanReadable'] += f'It continues in {wait:.0f} s with the users that remain (a new run of this command).\n'
    first.update(ScheduledCommand(command, next_run_in_seconds=math.ceil(wait), timeout_in_seconds=polling.timeout,
                                  args={**polling.args, 'user-profile': f'(continued: {len(remaining)} users)',
                                        'continuation': key, 'polling': 'true'},
                                  items_remaining=len(remaining)).to_results())
    return entry


def user_report(command: str, client: Client, outcomes: list[UserOutcome],
                arguments: UserArguments) -> dict[str, Any] | list[dict[str, Any]]:
    """The command's one entry, once the users' groups are changed as the command asks (a containment, a restore,
    the recorded groups a plain enable leaves out): one user's IAM result, or for several users a summary whose
    context holds one IAM.Vendor per user in the order given, with what was done to their groups and, for a
    disable, what stays open. A dry run's entry lists the requests that would be sent instead."""
    polling = arguments.polling if client.would_send is None and not arguments.failed else None
    deferring = polling is not None and polling.stalled < MAX_STALLED_RUNS   # else this run reports every user
    later = [(raw, outcome) for raw, outcome in zip(arguments.items, outcomes, strict=False)
             if deferring and outcome.later is not None]
    done = [outcome for outcome in outcomes if not later or outcome.later is None]
    changes, record_note = change_memberships(client, done, arguments.options)
    if deferring:   # a group change AWS throttled: the user is contained again by a later run (its record is kept)
        again = {user_id for user_id, change in changes.items()
                 if any(g['reason'].startswith('AWS answered 429') for g in change.not_done)}
        later += [(raw, outcome) for raw, outcome in zip(arguments.items, outcomes, strict=False)
                  if outcome.later is None and outcome.vendor['id'] in again]
        done = [outcome for outcome in done if outcome.vendor['id'] not in again]
        changes = {user_id: change for user_id, change in changes.items() if user_id not in again}
    if client.would_send is not None:
        return dry_run_entry(command, client.would_send, [dry_run_user(outcome, changes) for outcome in outcomes])
    if not polling or (not later and polling.run == 1):
        return user_entry(command, outcomes, changes, arguments, record_note)
    return continued_entry(command, done, later, changes, arguments, record_note)


def given_profile(raw: Any) -> dict[str, Any]:
    """The user as given, read without failing (a bare name when the profile cannot be read), to name it."""
    try:
        return parse_user_profile(raw)
    except InputError:
        return {'username': str(raw)}


def run_user_in_time(command: str, client: Client, raw: Any, args: dict, settings: Settings) -> UserOutcome:
    """One of several users, or, when the command's time budget is spent before it is reached, its result saying
    so and naming it."""
    if client.time_left() > 0:
        return run_one_user(command, client, raw, args, settings)
    profile = given_profile(raw)
    error = (504, f'Not {USER_COMMANDS[command]}d: the command\'s time budget ran out before this user was reached; '
                  'run the command again for it.')
    vendor = vendor_result(USER_COMMANDS[command], None, profile_names(profile, {}), error)
    return UserOutcome(vendor, profile, reached=False, later=0.0)


def read_memberships(client: Client, user_id: str) -> Memberships:
    """Every group the user is in (ListGroups with members.value eq, all pages); a tenant that refuses the filter is
    named, and no group is guessed."""
    try:
        listing = list_resources(client, 'Groups', f'members.value eq {filter_value(user_id)}', MAX_USER_GROUPS)
    except ScimError as exc:
        if exc.status in FILTER_REFUSALS:
            return Memberships([], f'AWS refused to list the groups of user {user_id} ({exc.status}: {exc.detail}); '
                                   'tenants older than the members.value filter cannot. No group was changed: remove '
                                   'the user from its groups in the AWS console, or with iam-update-group '
                                   'memberIdsToDelete.')
        return Memberships([], f'The groups of user {user_id} could not be read ({exc.status}: {exc.detail}). No '
                               'group was changed: run the command again for this user.',
                           (exc.retry_after or 0.0) if exc.status == 429 else None)
    except Exception as exc:
        return Memberships([], f'The groups of user {user_id} could not be read '
                               f'({unexpected_error("iam-disable-user", exc, client.token)}). No group was changed: '
                               'run the command again for this user.')
    groups = [{'id': group['id'], 'displayName': group.get('displayName')} for group in listing.items]
    more = f'more than {MAX_USER_GROUPS} groups were found; only those were read' if listing.cursor else ''
    return Memberships(groups, listing.stopped and f'{listing.stopped}; groups may remain' or more)


def run_users(command: str, client: Client, raw_profiles: list, args: dict, settings: Settings,
              options: UserOptions) -> list[UserOutcome]:
    """Each user's outcome, in the order given, several users PARALLEL_USERS at a time on the command's connection
    pool, pace and throttling state; a user to contain has its groups read right after its disable."""
    def one(raw: Any) -> UserOutcome:
        outcome = run_user_in_time(command, client, raw, args, settings)
        if options.contain and containable(outcome):
            memberships = read_memberships(client, outcome.vendor['id'])
            later = memberships.throttled if memberships.throttled is not None else outcome.later
            outcome = replace(outcome, memberships=memberships, later=later)   # throttled: a later run contains it
        return outcome

    def failed(raw: Any, exc: Exception) -> UserOutcome:
        return failed_outcome(command, exc, None, None, given_profile(raw), client.token)
    return in_parallel(one, raw_profiles, failed)


@dataclass(frozen=True)
class MemberRead:
    """What iam-get-group read of a group's members: `members` (None when they could not be read), why the list is
    partial ('' when it lists every member), and the token that continues it with aws-ilm-list-users."""
    members: list[dict] | None
    partial_reason: str = ''
    next_token: str | None = None

    def markdown(self, group_id: str | None) -> str:
        if self.members is None:
            return f'\n**Members not read**: {self.partial_reason}\n'
        count = len(self.members)
        text = f'\n**{count} member{"" if count == 1 else "s"}{" read so far" if self.partial_reason else ""}**\n'
        if self.members:
            text += tableToMarkdown('Members', self.members[:MEMBERS_SHOWN], headers=['value', 'display'])
        if count > MEMBERS_SHOWN:
            text += f'\n{count - MEMBERS_SHOWN} more members are not shown here; GetGroup.members holds them.\n'
        if self.partial_reason:
            text += f'\n**The member list is partial** (GetGroup.membersPartial): {self.partial_reason}.'
            if self.next_token:
                text += (f' Continue with !aws-ilm-list-users group_id={group_id} next_token={self.next_token} '
                         '(AWSILM.UserNextToken).')
            text += '\n'
        return text


def shortened(value: Any) -> Any:
    """A list of more than MEMBERS_SHOWN items as its first ones and how many more there are (readable only)."""
    if isinstance(value, list) and len(value) > MEMBERS_SHOWN:
        return value[:MEMBERS_SHOWN] + [f'... and {len(value) - MEMBERS_SHOWN} more ({len(value)} in all)']
    return value


def group_result(command: str, success: bool = True, group_id: str | None = None, display_name: str | None = None,
                 details: Any = None, error_code: int | None = None, error_message: str | None = None,
                 members: MemberRead | None = None, remark: str = '') -> CommandResults:
    prefix, title = GROUP_OUTPUTS[command]
    brand, instance = calling_instance()
    data = {'brand': brand, 'instanceName': instance, 'success': success, 'active': None, 'id': group_id,
            'username': None, 'email': None, 'errorCode': error_code, 'errorMessage': error_message,
            'details': details, 'displayName': display_name, 'members': members.members if members else None}
    if members and members.partial_reason:   # a playbook tests GetGroup.membersPartial
        data.update(membersPartial=True, membersReason=members.partial_reason)
    shown = {k: v for k, v in data.items() if k not in ('members', 'membersPartial', 'membersReason')}
    if isinstance(details, dict):   # long member lists are counted and shown in part; the context keeps them all
        shown['details'] = {key: shortened(value) for key, value in details.items()}
    readable: str = tableToMarkdown(title, shown, removeNull=True) + remark
    context: dict[str, Any] = {f'{prefix}(val.id && val.id == obj.id)': data}
    if members:
        readable += members.markdown(group_id)
        if members.next_token:
            context['AWSILM.UserNextToken'] = members.next_token
    return CommandResults(outputs=context, raw_response=data, readable_output=readable)


def dry_run_group(command: str, result: CommandResults) -> dict[str, Any]:
    """What a group command would do, read from its result in the dry run."""
    data = result.raw_response if isinstance(result.raw_response, dict) else {}
    action = command.split('-')[1]
    would = action if data.get('success') else f'fail ({data.get("errorCode")}): {data.get("errorMessage")}'
    group_id = data.get('id') if data.get('id') != DRY_RUN_ID else None
    return {'group': data.get('displayName'), 'id': group_id, 'would': would}


def group_command_result(command: str, client: Client, args: dict, work: Callable) -> CommandResults | dict:
    """A group command's one group output: `work`'s, or its failure (success false, with the code and a message);
    a dry run's entry, listing the requests that would be sent, instead."""
    try:
        result = work(client, args)
    except Exception as exc:
        code, message = logged_failure(command, exc, client.token)
        result = group_result(command, False, error_code=code, error_message=message)
    if client.would_send is not None:
        return dry_run_entry(command, client.would_send, [dry_run_group(command, result)])
    return result


def parse_scim(raw: Any) -> dict[str, Any]:
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


def resolve_group(client: Client, scim: dict, read: bool = False) -> dict | None:
    """The group `scim` names: by id (read from AWS when `read`, or when a displayName comes with it and must be
    the same group's), else by displayName. An id and a displayName of two different groups are refused before
    anything changes; a group reported carries its real name or none."""
    group_id, name = text_field(scim, 'id'), text_field(scim, 'displayName')
    if group_id and (read or name):
        group = client.get('Groups', group_id)
        if group and name and str(group.get('displayName') or '').casefold() != name.casefold():
            raise InputError(f'The scim id {group_id} is the group "{group.get("displayName")}", but its displayName '
                             f'says "{name}": give one of them, or both of the same group. Nothing was changed. To '
                             'rename the group, give its id in scim and the new name in newDisplayName.')
        return group
    if group_id:
        return {'id': group_id, 'displayName': None}
    if name:
        return client.search('Groups', 'displayName', name)
    raise InputError('Give the group\'s "id" or "displayName" in scim, e.g. {"id": "..."}.')


def group_members(client: Client, group_id: str, limit: int) -> MemberRead:
    """Up to `limit` members, as AWS lists them (ListUsers with groups.value eq), since GET /Groups never shows
    them. A failure to list them leaves the group found, with the members not read and why."""
    try:
        listing = list_resources(client, 'Users', f'groups.value eq {filter_value(group_id)}', limit)
    except ScimError as exc:
        return MemberRead(None, f'AWS refused to list the members ({exc.status}: {exc.detail}); tenants older than '
                                'the groups.value filter cannot list them')
    members = [{'value': user['id'], 'display': user.get('displayName') or user.get('userName')}
               for user in listing.items]
    reason = listing.stopped or (f'more members remain after the first {len(members)} (membersLimit {limit})'
                                 if listing.cursor else '')
    return MemberRead(members, reason, listing.cursor)


def get_group(client: Client, args: dict) -> CommandResults:
    """iam-get-group: the group by id or displayName, with up to membersLimit members.

    Args:
        client: the tenant's SCIM client.
        args: scim (the group's id or displayName), includeMembers, membersLimit.

    Returns:
        The GetGroup result; 404 Group Not Found when AWS has no such group.
    """
    scim = parse_scim(args.get('scim'))
    include_members = read_boolean(args.get('includeMembers'), 'includeMembers', default=True)
    members_limit = parse_limit(args.get('membersLimit'), 'membersLimit', DEFAULT_MEMBERS_LIMIT, MAX_GROUP_MEMBERS)
    group = resolve_group(client, scim, read=True)
    if not group:
        return group_result('iam-get-group', False, text_field(scim, 'id'), text_field(scim, 'displayName'),
                            error_code=404, error_message=GROUP_NOT_FOUND)
    members = group_members(client, group['id'], members_limit) if include_members else None
    return group_result('iam-get-group', True, group.get('id'), group.get('displayName'), details=group,
                        members=members)


def list_of_ids(text: str, name: str) -> list[Any]:
    if not text.startswith('['):
        return text.split(',')
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        items = ast.literal_eval(text)   # literals only: ['id1', 'id2'] as a script prints a list
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise InputError(f'{name} is not a valid list: give ids separated by commas, or a JSON list.')
    if not isinstance(items, list):
        raise InputError(f'{name} is not a valid list: give ids separated by commas, or a JSON list.')
    return items


def parse_member_ids(raw: Any, name: str) -> tuple[list[str], int]:
    """User ids as a list, a JSON list, a Python-style list (['a', 'b']) or a comma-separated string, whose items
    may be quoted ("a","b"); repeats dropped. Returns the ids and how many blank items (null, '', "") were
    ignored."""
    if is_blank(raw):
        return [], 0
    items = list_of_ids(raw.strip(), name) if isinstance(raw, str) else raw
    if not isinstance(items, list):
        items = [items]
    ids: dict = {}   # ordered, without repeats
    blanks = 0
    for item in items:
        if isinstance(item, dict):
            item = item.get('value', item) if item else None   # {} is blank; {"x": 1} is not an id
        if item is not None and (isinstance(item, bool) or not isinstance(item, (str, int))):
            raise InputError(f'{name} holds {json.dumps(item)}, which is not a user id.')
        member = '' if item is None else str(item).strip().strip('"\'').strip()
        if member:
            ids[member] = True
        else:
            blanks += 1
    return list(ids), blanks


def holder_id(client: Client, name: str) -> str | None:
    """The id of the group that holds `name` (so that an "ensure the group exists" step can go on), if AWS says."""
    try:
        group = resolve_group(client, {'displayName': name})
    except ScimError as exc:
        demisto.debug(f'AWS-ILM: could not look up the existing group "{name}": {exc.detail}')
        return None
    return group['id'] if group else None


def create_group(client: Client, args: dict) -> CommandResults:
    """iam-create-group: a group with up to MAX_MEMBER_CHANGES members.

    Args:
        client, args: the tenant's client; scim (displayName, and externalId and members when given).

    Returns:
        The CreateGroup result; 409 Group already exists, with the id of the group that has the name.
    """
    scim = parse_scim(args.get('scim'))
    name = text_field(scim, 'displayName')
    if not name:
        raise InputError('Give the new group\'s "displayName" in scim, e.g. {"displayName": "Engineers"}.')
    members, blanks = parse_member_ids(scim.get('members'), 'members')
    if len(members) > MAX_MEMBER_CHANGES:
        raise InputError(f'AWS takes at most {MAX_MEMBER_CHANGES} members when creating a group; create it, then '
                         'add them with iam-update-group.')
    body = {'schemas': [GROUP_SCHEMA], 'displayName': name, 'externalId': text_field(scim, 'externalId'),
            'members': [{'value': member} for member in members]}
    try:
        group = client.create('Groups', {key: value for key, value in body.items() if value})
    except ScimError as exc:
        if exc.status != 409:
            raise
        return group_result('iam-create-group', False, holder_id(client, name), name, details=exc.detail,
                            error_code=409, error_message=GROUP_EXISTS)
    return group_result('iam-create-group', True, group.get('id'), group.get('displayName'), details=group,
                        remark=blank_note(blanks, 'scim members'))


def member_ids_by_name(client: Client, values: list[str]) -> tuple[dict[str, str], list[str]]:
    """Each value not shaped like an AWS user id, looked up as a userName (eq, escaped): (name -> AWS user id, the
    names that match nobody). No value is sent to AWS as an id unchecked."""
    names: dict[str, str] = {}
    unknown: list[str] = []
    for value in values:
        if AWS_USER_ID.fullmatch(value):
            continue
        user = client.search('Users', 'userName', value)
        if user:
            names[value] = user['id']
        else:
            unknown.append(value)
    return names, unknown


def known_ids(values: list[str], names: dict[str, str], unknown: list[str]) -> list[str]:
    """The AWS user ids of `values` (names replaced by their ids, unknown names left out), without repeats."""
    return list(dict.fromkeys(names.get(value, value) for value in values if value not in unknown))


def member_ids(client: Client, to_add: list[str], to_remove: list[str]) -> tuple[list[str], list[str], dict[str, str],
                                                                                list[str]]:
    """The AWS user ids to add and to remove (names looked up, unknown names left out), the names resolved and
    those that match nobody. A user both to add and to remove is refused (nothing is changed)."""
    names, unknown = member_ids_by_name(client, to_add + to_remove)
    to_add, to_remove = known_ids(to_add, names, unknown), known_ids(to_remove, names, unknown)
    both = sorted(set(to_add) & set(to_remove))
    if both:
        raise InputError(f'These users are both to add and to delete: {", ".join(both[:10])}. Nothing was changed.')
    return to_add, to_remove, names, unknown


def rename_group(client: Client, group: dict, new_name: str) -> dict[str, Any]:
    """AWS's PatchGroup replace of displayName; refused (409, nothing changed) when another group has the name."""
    holder = client.search('Groups', 'displayName', new_name)
    if holder and holder['id'] != group['id']:
        raise ScimError(409, f'The group cannot be renamed "{new_name}": the group {holder["id"]} has that name. '
                             'Nothing was changed.')
    client.patch('Groups', group['id'], [replace_operation('displayName', new_name)])
    return {**group, 'displayName': new_name}


def names_note(names: dict[str, str], unknown: list[str]) -> str:
    """What the readable output says of the members given by name."""
    text = ''.join(f'\n{name} is the AWS user {user_id}.' for name, user_id in list(names.items())[:MEMBERS_SHOWN])
    if unknown:
        text += f'\n**Not changed**: no AWS user has the user name {some_of(unknown)}. {FIND_MEMBER_HINT}'
    return text + '\n' if text else ''


def member_batches(to_add: list[str], to_remove: list[str]) -> list[list[dict]]:
    """PATCH operation lists of at most MAX_MEMBER_CHANGES member changes each (add and remove)."""
    changes = [('add', member) for member in to_add] + [('remove', member) for member in to_remove]
    batches = []
    for start in range(0, len(changes), MAX_MEMBER_CHANGES):
        chunk = changes[start:start + MAX_MEMBER_CHANGES]
        batches.append([{'op': op, 'path': 'members', 'value': [{'value': m} for o, m in chunk if o == op]}
                        for op in ('add', 'remove') if any(o == op for o, _ in chunk)])
    return batches


def partial_update_result(group: dict, done: dict, to_add: list, to_remove: list, exc: ScimError) -> CommandResults:
    added, removed = set(done['added']), set(done['removed'])
    pending_add = [m for m in to_add if m not in added]
    pending_remove = [m for m in to_remove if m not in removed]
    details = {'membersAdded': done['added'], 'membersRemoved': done['removed'],
               'notAdded': pending_add, 'notRemoved': pending_remove}
    if exc.status == 404:
        return group_result('iam-update-group', False, group['id'], group.get('displayName'), details=details,
                            error_code=404, error_message=GROUP_NOT_FOUND)
    message = (f'{exc.detail} Applied {len(added) + len(removed)} of {len(to_add) + len(to_remove)} member changes '
               f'before the failure; not applied: {len(pending_add)} to add, {len(pending_remove)} to delete (see '
               'details).')
    if exc.maybe_applied:
        message += (' The failed request got no answer, so AWS may have applied it; run the command again to be '
                    'sure (adding or removing a member twice is harmless).')
    return group_result('iam-update-group', False, group['id'], group.get('displayName'), details=details,
                        error_code=exc.status, error_message=message)


def change_members(client: Client, group: dict, to_add: list[str], to_remove: list[str], looked_up: dict[str, Any],
                   remark: str) -> CommandResults:
    """Add and remove the members in PATCHes of at most MAX_MEMBER_CHANGES; the UpdateGroup result says what was
    applied (and, when a PATCH fails, what was not)."""
    done: dict[str, list[str]] = {'added': [], 'removed': []}
    for operations in member_batches(to_add, to_remove):
        try:
            client.patch('Groups', group['id'], operations)
        except ScimError as exc:
            return partial_update_result(group, done, to_add, to_remove, exc)
        for operation in operations:
            done['added' if operation['op'] == 'add' else 'removed'] += [v['value'] for v in operation['value']]
    details = {'membersAdded': done['added'], 'membersRemoved': done['removed'], **looked_up}
    return group_result('iam-update-group', True, group['id'], group.get('displayName'), details=details,
                        remark=remark)


def update_group(client: Client, args: dict) -> CommandResults:
    """iam-update-group: rename the group and add or remove members (AWS user ids, or user names looked up).

    Args:
        client, args: the tenant's client; scim (id or displayName), memberIdsToAdd, memberIdsToDelete, newDisplayName.

    Returns:
        The UpdateGroup result: the members added and removed, the names looked up, those that match nobody.
    """
    scim = parse_scim(args.get('scim'))
    new_name = text_field(args, 'newDisplayName')
    to_add, blanks_to_add = parse_member_ids(args.get('memberIdsToAdd'), 'memberIdsToAdd')
    to_remove, blanks_to_remove = parse_member_ids(args.get('memberIdsToDelete'), 'memberIdsToDelete')
    if not to_add and not to_remove and not new_name:
        raise InputError('Nothing to change: give memberIdsToAdd, memberIdsToDelete or newDisplayName.')
    group = resolve_group(client, scim)
    if not group:
        return group_result('iam-update-group', False, None, text_field(scim, 'displayName'),
                            error_code=404, error_message=GROUP_NOT_FOUND)
    to_add, to_remove, names, unknown = member_ids(client, to_add, to_remove)
    if not to_add and not to_remove and not new_name:
        return group_result('iam-update-group', False, group['id'], group.get('displayName'), error_code=404,
                            error_message=f'No AWS user has the user name {", ".join(unknown[:MEMBERS_SHOWN])}; '
                                          f'nothing was changed. {FIND_MEMBER_HINT}', details={'namesNotFound': unknown})
    if new_name:
        group = rename_group(client, group, new_name)
    looked_up = {**({'namesResolved': names} if names else {}), **({'namesNotFound': unknown} if unknown else {})}
    remark = names_note(names, unknown) + blank_note(blanks_to_add + blanks_to_remove, 'the member ids')
    return change_members(client, group, to_add, to_remove, looked_up, remark)


def delete_group(client: Client, args: dict) -> CommandResults:
    """iam-delete-group.

    Args:
        client: the tenant's SCIM client.
        args: scim (the group's id or displayName).

    Returns:
        The DeleteGroup result; 404 Group Not Found when AWS has no such group.
    """
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


def user_row(user: dict) -> dict[str, Any]:
    return {'id': user['id'], 'userName': user.get('userName'), 'displayName': user.get('displayName'),
            'active': user.get('active'), 'email': primary_email(user), 'externalId': user.get('externalId'),
            'details': user}


def group_row(group: dict) -> dict[str, Any]:
    return {'id': group['id'], 'displayName': group.get('displayName'), 'externalId': group.get('externalId')}


LIST_COMMANDS: dict = {   # command -> (resource, argument -> filter attribute, context noun, row builder)
    'aws-ilm-list-users': ('Users', {'user_name': 'userName', 'external_id': 'externalId', 'group_id': 'groups.value'},
                           'User', user_row),
    'aws-ilm-list-groups': ('Groups', {'display_name': 'displayName', 'external_id': 'externalId',
                                       'member_id': 'members.value'}, 'Group', group_row),
}


def listing_filter(args: dict, filters: dict) -> str | None:
    """The one eq filter the arguments ask for (AWS combines none of them); `filters`: argument -> attribute."""
    given = [(name, attribute, text_field(args, name)) for name, attribute in filters.items() if text_field(args, name)]
    if len(given) > 1:
        raise InputError(f'AWS filters by one attribute at a time: give only one of {", ".join(filters)} '
                         f'(given: {", ".join(name for name, _, _ in given)}).')
    return f'{given[0][1]} eq {filter_value(given[0][2])}' if given else None


def listing_result(command: str, client: Client, args: dict) -> CommandResults:
    """A listing command's rows under AWSILM.User / AWSILM.Group, and the token that continues it when more
    remain."""
    resource, filters, noun, row = LIST_COMMANDS[command]
    scim_filter = listing_filter(args, filters)
    limit = parse_limit(args.get('limit'))
    listing = list_resources(client, resource, scim_filter, limit, text_field(args, 'next_token'))
    found, next_token = listing.items, listing.cursor
    rows = [row(item) for item in found]
    context: dict = {f'AWSILM.{noun}(val.id && val.id == obj.id)': rows} if rows else {}
    headers = [key for key in (rows[0] if rows else row({'id': ''})) if key != 'details']
    readable = tableToMarkdown(f'AWS IAM Identity Center {resource.lower()} ({len(rows)})', rows, headers=headers,
                               removeNull=True)
    if next_token:
        context[f'AWSILM.{noun}NextToken'] = next_token
        readable += f'\nMore {resource.lower()} remain: run the command again with next_token={next_token}\n'
    if listing.stopped:
        readable += f'\nThe list may be incomplete: {listing.stopped}.\n'
    return CommandResults(outputs=context, raw_response=found, readable_output=readable)


def contained_row(key: str, record: dict, retention_days: int) -> dict[str, Any]:
    groups = [{'id': group.get('id'), 'displayName': group.get('displayName')} for group in record.get('groups') or []]
    return {'userId': key, 'userName': record.get('userName'), 'groupCount': len(groups), 'groups': groups,
            'containedAt': record.get('containedAt'),
            'expiresAt': (recorded_at(record) + timedelta(days=retention_days)).isoformat(timespec='seconds')}


def contained_users_result(args: dict, retention_days: int) -> CommandResults:
    """The recorded containments that have not expired, newest first, those of `user` when given, at most `limit`."""
    limit = parse_limit(args.get('limit'))
    user = text_field(args, 'user')
    records, _ = pruned(read_containment_records(), retention_days)
    rows = [contained_row(key, records[key], retention_days) for key in records
            if not user or user == key or user.casefold() == str(records[key].get('userName') or '').casefold()]
    shown = rows[:limit]
    table = [{**row, 'groups': group_names(row['groups'])} for row in shown]
    readable = (tableToMarkdown(f'Containments recorded on this instance ({len(shown)} of {len(rows)})', table,
                                headers=['userName', 'userId', 'groupCount', 'groups', 'containedAt', 'expiresAt'],
                                removeNull=True)
                + f'\nA record is kept {retention_days} days (the instance\'s "Containment record retention"), at most '
                  f'{MAX_CONTAINMENT_RECORDS:,} records; !iam-enable-user user-profile=<user> restore-groups=true puts '
                  'the user back into its groups and clears its record.\n')
    context = {'AWSILM.ContainedUser(val.userId && val.userId == obj.userId)': shown} if shown else {}
    return CommandResults(outputs=context, raw_response=shown, readable_output=readable)


def schema_descriptions(schema: dict, prefix: str) -> dict[str, str]:
    """AWS's descriptions of one schema's attributes and sub-attributes (`parent.sub`), by mapping field name."""
    described = {}
    for attribute in schema.get('attributes') or []:
        name = f'{prefix}{attribute.get("name")}'
        described[name] = attribute.get('description') or ''
        described.update({f'{name}.{sub.get("name")}': sub.get('description') or ''
                          for sub in attribute.get('subAttributes') or []})
    return described


def token_forms(params: dict, token: str) -> list[str]:
    """The token as it is sent, and as the instance holds it (pasted with quotes, spaces, a line end, `Bearer `)."""
    credentials = params.get('credentials')
    held = [credentials.get('password') if isinstance(credentials, dict) else None, params.get('authentication_token')]
    return list(dict.fromkeys(form for form in [token, *(str(value) for value in held if value)] if form.strip()))


def execution_limit() -> float | None:
    """The execution's time limit in seconds as the platform tells it (runDuration in minutes, else TimeoutDuration
    in nanoseconds), None when it tells none."""
    context = (getattr(demisto, 'callingContext', None) or {}).get('context') or {}
    for key, seconds_each in (('runDuration', 60.0), ('TimeoutDuration', 1e-9)):
        try:
            seconds = float(context.get(key) or 0) * seconds_each
        except (TypeError, ValueError):
            continue
        if seconds > 0:
            return seconds
    return None


def command_budget(command: str) -> tuple[float, float | None]:
    """(the seconds the command may spend on AWS, the seconds kept back for its report): the execution's time limit
    as the platform gives it (runDuration in minutes, else TimeoutDuration in nanoseconds; an admin sets it per
    command) less the reserve, else COMMAND_BUDGET_SECONDS with no reserve; at most INTERACTIVE_BUDGET_SECONDS for
    the Test button and get-mapping-fields, which a person waits for."""
    limit = execution_limit()
    if limit is None:
        budget, reserve = COMMAND_BUDGET_SECONDS, None
    else:
        reserve = min(max(limit * REPORT_RESERVE_SHARE, REPORT_RESERVE_SECONDS[0]), REPORT_RESERVE_SECONDS[1], limit / 2)
        budget = limit - reserve
    return (min(budget, INTERACTIVE_BUDGET_SECONDS) if command in INTERACTIVE_COMMANDS else budget), reserve


def unquoted(text: str) -> str:
    text = text.strip()
    while len(text) >= 2 and text[0] == text[-1] and text[0] in '"\'':
        text = text[1:-1].strip()
    return text


def whole_number(raw: Any, name: str, default: int, bounds: tuple[int, int], hint: str) -> int:
    """An instance parameter that is a whole number within `bounds`; `default` when it is not set."""
    text = str(raw).strip() if raw is not None else ''
    if not text:
        return default
    low, high = bounds
    if not text.isdigit() or not low <= int(text) <= high:
        raise InputError(f'The instance\'s "{name}" must be a whole number from {low} to {high} ({hint}), not {raw!r}.')
    return int(text)


def instance_credentials(params: dict) -> tuple[str, str]:
    """(token, Tenant ID). The token is the credentials' password, else the legacy hidden parameter; the quotes
    and `Bearer ` prefix a paste brings are removed, and the spaces, quotes and slashes around the Tenant ID. A
    Tenant ID that is a URL is refused."""
    credentials = params.get('credentials') or {}
    token = unquoted(str(credentials.get('password') or params.get('authentication_token') or ''))
    token = unquoted(token[7:]) if token[:7].lower() == 'bearer ' else token
    tenant = unquoted(str(credentials.get('identifier') or params.get('tenant_id') or '')).strip('/ ')
    if '://' in tenant or tenant.lower().startswith('scim.') or '/' in tenant:
        raise InputError(f'The Tenant ID "{tenant}" is a URL, not a tenant id: give only the id (the part of the '
                         'SCIM endpoint after the host, like d-1234567890), or put the whole endpoint in Base URL and '
                         'clear the Tenant ID.')
    return token, tenant


def checkbox(params: dict, name: str, default: bool = True) -> bool:
    """A checkbox: true or false in any case and spacing; one the instance never saved (or saved oddly) counts as
    its default, never as 'off'."""
    return {'true': True, 'false': False}.get(str(params.get(name)).strip().lower(), default)


def is_loopback(host: str) -> bool:
    if host.lower() == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def scim_base_url(url: str, tenant_id: str) -> str:
    """The tenant's SCIM root (ending in /scim/v2/) from the Base URL and the Tenant ID. The Base URL may be the
    host, the host with /scim/v2, or the console's full endpoint (whose tenant serves when Tenant ID is empty)."""
    text = url.strip()
    parts = urlsplit(text if '://' in text else f'https://{text}')
    host, scheme = parts.hostname or '', parts.scheme.lower()
    if not host or scheme not in ('http', 'https'):
        raise InputError(f'The Base URL "{text}" is not a URL; it looks like https://scim.<region>.amazonaws.com.')
    if scheme == 'http' and not is_loopback(host):
        raise InputError(f'The Base URL "{text}" uses plain http://, which would send the token unencrypted: use '
                         'https:// (https://scim.<region>.amazonaws.com).')
    segments = [segment for segment in parts.path.split('/') if segment]
    endpoint = segments[-2:] == ['scim', 'v2'] or segments[-1:] == ['scim']
    segments = (segments[:-2] if segments[-2:] == ['scim', 'v2'] else segments[:-1] if segments[-1:] == ['scim']
                else segments)
    url_tenant = segments[-1] if segments and (endpoint or not tenant_id or segments[-1] == tenant_id) else ''
    if url_tenant and tenant_id and url_tenant != tenant_id:
        raise InputError(f'The Base URL names the tenant "{url_tenant}" but the Tenant ID is "{tenant_id}": '
                         'correct one of them, or clear the Tenant ID.')
    tenant = tenant_id or url_tenant
    if not tenant:
        raise InputError('The instance is missing the Tenant ID: set it, or give the full SCIM endpoint '
                         '(https://scim.<region>.amazonaws.com/<tenant id>/scim/v2) as the Base URL.')
    prefix = segments[:-1] if url_tenant else segments
    return (f'{scheme}://{parts.netloc}/' + ''.join(f'{segment}/' for segment in prefix)
            + f'{quote(tenant, safe="")}/scim/v2/')


# ----- command functions: one per command ----------------------------------------------------
def get_user_command(client: Client, args: dict, settings: Settings) -> dict[str, Any] | list[dict[str, Any]]:
    """iam-get-user: the AWS user the profile designates.

    Args:
        client: the tenant's SCIM client.
        args: user-profile (a JSON object, or the user's name).
        settings: the instance's settings.

    Returns:
        The IAM result, with the user's profile through the incoming mapper; 404 when no AWS user is the person.
    """
    arguments = read_user_arguments('iam-get-user', client, args, settings)
    outcome = arguments.failed or run_one_user('iam-get-user', client, arguments.items[0], args, settings)
    return user_report('iam-get-user', client, [outcome], arguments)


def create_user_command(client: Client, args: dict, settings: Settings) -> dict[str, Any] | list[dict[str, Any]]:
    """iam-create-user: a new AWS user from the profile, or, when AWS has the person already, their update.

    Args:
        client: the tenant's SCIM client.
        args: user-profile, allow-enable, dry-run.
        settings: the instance's settings.

    Returns:
        The IAM result (create, or update when the person exists).
    """
    arguments = read_user_arguments('iam-create-user', client, args, settings)
    outcome = arguments.failed or run_one_user('iam-create-user', client, arguments.items[0], args, settings)
    return user_report('iam-create-user', client, [outcome], arguments)


def update_user_command(client: Client, args: dict, settings: Settings) -> dict[str, Any] | list[dict[str, Any]]:
    """iam-update-user: the AWS user brought to the profile (created when absent and the instance allows it).

    Args:
        client: the tenant's SCIM client.
        args: user-profile (with olduserdata for a rename), allow-enable, dry-run.
        settings: the instance's settings.

    Returns:
        The IAM result; a rehire's result names the groups a containment removed.
    """
    arguments = read_user_arguments('iam-update-user', client, args, settings)
    outcome = arguments.failed or run_one_user('iam-update-user', client, arguments.items[0], args, settings)
    return user_report('iam-update-user', client, [outcome], arguments)


def disable_user_command(client: Client, args: dict, settings: Settings) -> dict[str, Any] | list[dict[str, Any]]:
    """iam-disable-user (Block Account): each user disabled, and out of every group with remove-from-groups.

    Args:
        client: the tenant's SCIM client.
        args: user-profile (one user, or several: a list, JSON text of one, or comma-separated names),
            remove-from-groups, dry-run.
        settings: the instance's settings.

    Returns:
        One user's IAM result or several users' summary, with the groups removed and what stays open.
    """
    arguments = read_user_arguments('iam-disable-user', client, args, settings)
    outcomes = [arguments.failed] if arguments.failed else run_users('iam-disable-user', client, arguments.items, args,
                                                                     settings, arguments.options)
    return user_report('iam-disable-user', client, outcomes, arguments)


def enable_user_command(client: Client, args: dict, settings: Settings) -> dict[str, Any] | list[dict[str, Any]]:
    """iam-enable-user: the user enabled, and back into the groups a containment removed with restore-groups.

    Args:
        client: the tenant's SCIM client.
        args: user-profile, restore-groups, dry-run.
        settings: the instance's settings.

    Returns:
        The IAM result, with the groups restored (or those left out, when restore-groups is not given).
    """
    arguments = read_user_arguments('iam-enable-user', client, args, settings)
    outcomes = [arguments.failed] if arguments.failed else run_users('iam-enable-user', client, arguments.items, args,
                                                                     settings, arguments.options)
    return user_report('iam-enable-user', client, outcomes, arguments)


def get_group_command(client: Client, args: dict) -> CommandResults | dict:
    """iam-get-group: the group by id or displayName, with up to membersLimit members (GetGroup)."""
    return group_command_result('iam-get-group', client, args, get_group)


def create_group_command(client: Client, args: dict) -> CommandResults | dict:
    """iam-create-group: a new group, with up to 100 members (CreateGroup; 409 when the name is taken)."""
    return group_command_result('iam-create-group', client, args, create_group)


def update_group_command(client: Client, args: dict) -> CommandResults | dict:
    """iam-update-group: the group renamed, members added and removed (UpdateGroup)."""
    return group_command_result('iam-update-group', client, args, update_group)


def delete_group_command(client: Client, args: dict) -> CommandResults | dict:
    """iam-delete-group: the group deleted (DeleteGroup; 404 when AWS has no such group)."""
    return group_command_result('iam-delete-group', client, args, delete_group)


def list_users_command(client: Client, args: dict) -> CommandResults:
    """aws-ilm-list-users: users (AWSILM.User), filtered by one attribute, and the token that continues."""
    return listing_result('aws-ilm-list-users', client, args)


def list_contained_users_command(client: Client, args: dict, settings: Settings) -> CommandResults:
    """aws-ilm-list-contained-users: the containments recorded on this instance, newest first (expired ones left
    out), for one user or all: who, the groups removed, when, and when the record expires.

    Args:
        client: the tenant's SCIM client (not used: the records are the instance's).
        args: user (an AWS user id or user name), limit.
        settings: the instance's settings (the records' retention).

    Returns:
        The records under AWSILM.ContainedUser.
    """
    return contained_users_result(args, settings.retention_days)


def list_groups_command(client: Client, args: dict) -> CommandResults:
    """aws-ilm-list-groups: groups (AWSILM.Group), filtered by one attribute, and the token that continues."""
    return listing_result('aws-ilm-list-groups', client, args)


def test_module(client: Client) -> str:
    """The Test button: one GET /ServiceProviderConfig with the instance's URL, tenant and token.

    Args:
        client: the tenant's SCIM client.

    Returns:
        'ok', or what to correct (the token, the Base URL, the Tenant ID, the network path).
    """
    try:
        if not isinstance(client.service_provider_config(), dict):
            raise ScimError(502, 'AWS answered without a SCIM configuration.')
    except ScimError as exc:
        if exc.status == 401:
            return AUTH_FAILED
        if exc.status == 403:
            return f'Access denied (403): the token is not allowed to use this SCIM endpoint. {exc.detail}'
        if exc.status in (502, 504):
            hint = '' if 'Base URL' in exc.detail else ' Check the Base URL: it looks like https://scim.<region>.amazonaws.com.'
            return exc.detail + hint
        if exc.status == 404:
            return ('The SCIM endpoint was not found (404): check the Base URL '
                    '(https://scim.<region>.amazonaws.com) and the Tenant ID.')
        return f'AWS answered {exc.status}: {exc.detail}'
    return 'ok'


def get_mapping_fields_command(client: Client) -> GetMappingFieldsResponse:
    """get-mapping-fields: the user attributes a mapper may map, exactly those AWS_USER_SCHEMA accepts (and id, which
    finds the user), described in AWS's words where GET /Schemas gives them.

    Args:
        client: the tenant's SCIM client.

    Returns:
        The fields of the "User Profile" type.
    """
    described: dict = {}
    try:
        for schema in client.schemas().get('Resources') or []:
            prefix = {USER_SCHEMA: '', ENTERPRISE_SCHEMA: f'{ENTERPRISE_SCHEMA}.'}.get(schema.get('id'))
            if prefix is not None:
                described.update(schema_descriptions(schema, prefix))
    except ScimError as exc:
        demisto.debug(f'AWS-ILM: GET /Schemas failed ({exc}); using the built-in descriptions.')
    fields = {name: described.get(name) or description for name, description in BUILTIN_USER_FIELDS.items()}
    return GetMappingFieldsResponse([SchemeTypeMapping(type_name=INCOMING_MAPPING_TYPE, fields=fields)])


# ----- the commands, by name ------------------------------------------------------------------
COMMANDS: dict[str, Callable] = {   # those in SETTINGS_COMMANDS take (client, args, settings), the others (client, args)
    'iam-get-user': get_user_command,
    'iam-create-user': create_user_command,
    'iam-update-user': update_user_command,
    'iam-disable-user': disable_user_command,
    'iam-enable-user': enable_user_command,
    'iam-get-group': get_group_command,
    'iam-create-group': create_group_command,
    'iam-update-group': update_group_command,
    'iam-delete-group': delete_group_command,
    'aws-ilm-list-users': list_users_command,
    'aws-ilm-list-groups': list_groups_command,
    'aws-ilm-list-contained-users': list_contained_users_command,
}


# ----- main -----------------------------------------------------------------------------------
def main() -> None:
    """Read the settings, build the client, run the command; a failure is an entry saying what to fix."""
    params, args, command = demisto.params(), demisto.args(), demisto.command()
    demisto.debug(f'AWS-ILM: running {command}')
    token = ''
    try:
        settings = Settings.from_params(params)
        token = settings.token
        for form in token_forms(params, token):   # masked in the platform's logs, debug mode's HTTP lines included
            add_sensitive_log_strs(form)
        dry_run = command in DRY_RUN_COMMANDS and read_boolean(args.get('dry-run'), 'dry-run', default=False)
        budget, reserve = command_budget(command)
        client = Client(settings, budget, dry_run, reserve, SHORT_WAIT_SECONDS if can_continue(command, args) else None)
        if command == 'test-module':
            outcome = test_module(client)
            if outcome != 'ok':
                raise InputError(outcome)
            return_results(outcome)
        elif command == 'get-mapping-fields':
            return_results(get_mapping_fields_command(client))
        elif command in COMMANDS:
            function = COMMANDS[command]
            return_results(function(client, args, settings) if command in SETTINGS_COMMANDS else function(client, args))
        else:
            raise NotImplementedError(f'The command {command} is not implemented by AWS-ILM.')
    except Exception as exc:
        message = str(exc) if isinstance(exc, (InputError, NotImplementedError)) else logged_failure(command, exc, token)[1]
        return_error(redact(message if command == 'test-module' else f'Failed to execute {command} command. '
                                                                      f'Error: {message}', token))


if __name__ in ('__main__', '__builtin__', 'builtins'):
    main()
