"""Local stand-in for the subset of XSOAR's `CommonServerPython` that AWS-ILM uses.

Only for tests and local runs: the XSOAR server injects the real module. Names, signatures and
result shapes follow the upstream public API; behaviour is reduced to what an integration can
observe (see ../shared/reference/xsoar-runtime-api.md in the project's notes).
"""
import json
import sys
from typing import Any
from urllib.parse import urljoin

import requests

import demistomock as demisto


class EntryType:
    NOTE = 1
    DOWNLOAD_AGENT = 2
    FILE = 3
    ERROR = 4
    PINNED = 5


class EntryFormat:
    HTML = "html"
    TABLE = "table"
    JSON = "json"
    TEXT = "text"
    MARKDOWN = "markdown"


class DemistoException(Exception):
    def __init__(self, message, exception=None, res=None, *args):
        self.res = res
        self.message = message
        self.exception = exception
        super().__init__(message, exception, *args)

    def __str__(self):
        return str(self.message)


# ----- argument helpers -----------------------------------------------------------------------
def argToBoolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value.lower() in ("true", "yes"):
            return True
        if value.lower() in ("false", "no"):
            return False
    raise ValueError("Argument does not contain a valid boolean-like value")


def argToList(arg: Any, separator: str = ",", transform=None) -> list:
    if not arg:
        return []
    if isinstance(arg, list):
        result = arg
    elif isinstance(arg, str):
        result = json.loads(arg) if arg.startswith("[") else [s.strip() for s in arg.split(separator)]
    else:
        result = [arg]
    return [transform(x) for x in result] if transform else result


def safe_load_json(json_object: Any) -> Any:
    if isinstance(json_object, (dict, list)):
        return json_object
    try:
        return json.loads(json_object)
    except (ValueError, TypeError) as exc:
        raise ValueError("Unable to parse JSON string. Please verify the JSON is valid.") from exc


def remove_empty_elements(d: Any) -> Any:
    def empty(x):
        return x is None or x == {} or x == [] or x == ""

    if isinstance(d, list):
        return [v for v in (remove_empty_elements(v) for v in d) if not empty(v)]
    if isinstance(d, dict):
        return {k: v for k, v in ((k, remove_empty_elements(v)) for k, v in d.items()) if not empty(v)}
    return d


# ----- markdown -------------------------------------------------------------------------------
def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "<br>".join(f"{k}: {_nested(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(repr(v) if isinstance(v, dict) else str(v) for v in value)
    return str(value).replace("|", "\\|").replace("\n", "<br>")


def _nested(value: Any) -> str:
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, list):
        return ", ".join(repr(v) if isinstance(v, dict) else str(v) for v in value)
    return _cell(value)


def tableToMarkdown(name, t, headers=None, headerTransform=None, removeNull=False, metadata=None,
                    url_keys=None, date_fields=None, json_transform_mapping=None,
                    is_auto_json_transform=False, sort_headers=True):
    rows = [t] if isinstance(t, dict) else list(t or [])
    if headers is None:
        headers = []
        for row in rows:
            headers += [k for k in row if k not in headers]
        if sort_headers:   # as the published group tables show: brand, details, displayName, id, ...
            headers = sorted(headers)
    elif isinstance(headers, str):
        headers = [headers]
    if removeNull:
        headers = [h for h in headers if any(row.get(h) not in (None, "", [], {}) for row in rows)]
    text = f"### {name}\n" if name else ""
    if metadata:
        text += f"{metadata}\n"
    if not rows or not headers:
        return text + "**No entries.**\n"
    titles = [headerTransform(h) if headerTransform else h for h in headers]
    text += "|" + "|".join(titles) + "|\n" + "|" + "|".join("---" for _ in headers) + "|\n"
    for row in rows:
        text += "| " + " | ".join(_cell(row.get(h)) for h in headers) + " |\n"
    return text


# ----- results --------------------------------------------------------------------------------
class CommandResults:
    def __init__(self, outputs_prefix=None, outputs_key_field=None, outputs=None, indicators=None,
                 readable_output=None, raw_response=None, indicators_timeline=None, indicator=None,
                 ignore_auto_extract=False, mark_as_note=False, scheduled_command=None,
                 relationships=None, entry_type=None, content_format=None, execution_metrics=None,
                 replace_existing=False):
        self.outputs_prefix = outputs_prefix
        self.outputs_key_field = outputs_key_field
        self.outputs = outputs
        self.readable_output = readable_output
        self.raw_response = raw_response
        self.ignore_auto_extract = ignore_auto_extract
        self.mark_as_note = mark_as_note
        self.entry_type = entry_type if entry_type is not None else EntryType.NOTE
        self.content_format = content_format

    def to_context(self) -> dict:
        context = {}
        if self.outputs is not None:
            key = self.outputs_prefix
            if self.outputs_key_field:
                field = self.outputs_key_field
                key = f"{key}(val.{field} && val.{field} == obj.{field})"
            context = {key: self.outputs} if key else self.outputs
        contents = self.raw_response if self.raw_response is not None else self.outputs
        readable = self.readable_output
        if readable is None and self.outputs is not None:
            readable = tableToMarkdown("Results", self.outputs)
        return {
            "Type": self.entry_type,
            "ContentsFormat": self.content_format
            or (EntryFormat.JSON if isinstance(contents, (dict, list)) else EntryFormat.TEXT),
            "Contents": contents,
            "HumanReadable": readable,
            "EntryContext": context,
            "IndicatorTimeline": [],
            "IgnoreAutoExtract": self.ignore_auto_extract,
            "Note": self.mark_as_note,
            "Relationships": [],
        }


class SchemeTypeMapping:
    def __init__(self, type_name="", fields=None):
        self.type_name = type_name
        self.fields = fields if fields else {}

    def add_field(self, name, description=""):
        self.fields[name] = description

    def extract_mapping(self):
        return {self.type_name: self.fields}


class GetMappingFieldsResponse:
    def __init__(self, scheme_types_mapping=None):
        self.scheme_types_mappings = scheme_types_mapping if scheme_types_mapping else []

    def add_scheme_type(self, scheme_type_mapping):
        self.scheme_types_mappings.append(scheme_type_mapping)

    def extract_mapping(self):
        all_mappings = []
        for scheme_types_mapping in self.scheme_types_mappings:
            all_mappings.append(scheme_types_mapping.extract_mapping())
        return all_mappings


def return_results(results):
    if results is None:
        demisto.results(None)
    elif isinstance(results, list):
        for result in results:
            return_results(result)
    elif isinstance(results, CommandResults):
        demisto.results(results.to_context())
    elif isinstance(results, GetMappingFieldsResponse):
        demisto.results(results.extract_mapping())
    elif hasattr(results, "to_entry"):
        demisto.results(results.to_entry())
    else:
        demisto.results(results)


def return_error(message, error="", outputs=None):
    demisto.error(str(message))
    demisto.results({"Type": EntryType.ERROR, "ContentsFormat": EntryFormat.TEXT,
                     "Contents": str(message), "EntryContext": outputs})
    sys.exit(0)


# ----- HTTP -----------------------------------------------------------------------------------
class BaseClient:
    REQUESTS_TIMEOUT = 60

    def __init__(self, base_url, verify=True, proxy=False, ok_codes=(), headers=None, auth=None,
                 timeout=REQUESTS_TIMEOUT):
        self._base_url = base_url
        self._verify = verify
        self._ok_codes = ok_codes
        self._headers = headers
        self._auth = auth
        self._session = requests.Session()
        self._session.trust_env = bool(proxy)
        self.timeout = timeout

    def _http_request(self, method, url_suffix="", full_url=None, headers=None, auth=None, json_data=None,
                      params=None, data=None, files=None, timeout=None, resp_type="json", ok_codes=None,
                      return_empty_response=False, retries=0, status_list_to_retry=None, backoff_factor=5,
                      raise_on_redirect=False, raise_on_status=False, error_handler=None,
                      empty_valid_codes=None, **kwargs):
        address = full_url if full_url else urljoin(self._base_url, url_suffix)
        try:
            res = self._session.request(method, address, verify=self._verify, params=params, data=data,
                                        json=json_data, files=files, headers=headers or self._headers,
                                        auth=auth or self._auth, timeout=timeout or self.timeout, **kwargs)
        except requests.exceptions.ConnectTimeout as exception:
            raise DemistoException("Connection Timeout Error - potential reasons might be that the Server URL "
                                   "parameter is incorrect or that the Server is not accessible from your host.",
                                   exception)
        except requests.exceptions.SSLError as exception:
            raise DemistoException("SSL Certificate Verification Failed - try selecting 'Trust any certificate' "
                                   "checkbox in the integration configuration.", exception)
        except requests.exceptions.ProxyError as exception:
            raise DemistoException("Proxy Error - if the 'Use system proxy' checkbox in the integration "
                                   "configuration is selected, try clearing the checkbox.", exception)
        except requests.exceptions.ConnectionError as exception:
            raise DemistoException("Verify that the server URL parameter is correct and that you have access "
                                   f"to the server from your host.\nError Type: <{type(exception).__name__}>",
                                   exception)
        valid = res.status_code in (ok_codes or self._ok_codes) if (ok_codes or self._ok_codes) else res.ok
        if not valid:
            if error_handler:
                error_handler(res)
            else:
                try:
                    body = json.dumps(res.json())
                except ValueError:
                    body = res.text
                raise DemistoException(f"Error in API call [{res.status_code}] - {res.reason}\n{body}", res=res)
        if return_empty_response and res.status_code in (empty_valid_codes or [204]):
            return res
        if resp_type == "response":
            return res
        if resp_type == "text":
            return res.text
        if resp_type == "content":
            return res.content
        try:
            return res.json()
        except ValueError as exception:
            raise DemistoException(f"Failed to parse json object from response: {res.content!r}", exception, res)
