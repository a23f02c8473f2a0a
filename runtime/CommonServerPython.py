"""Local stand-in for the subset of XSOAR's `CommonServerPython` that AWS-ILM uses.

Only for tests and local runs: the XSOAR server injects the real module. Names, signatures and
result shapes follow the upstream public API; behaviour is reduced to what an integration can
observe (see ../shared/reference/xsoar-runtime-api.md in the project's notes).
"""
import base64
import builtins
import http.client
import json
import logging
import os
import ssl
import sys
import traceback
from inspect import currentframe
from threading import Lock
from typing import Any
from urllib.parse import quote_plus

import requests
from requests.adapters import HTTPAdapter

import demistomock as demisto


def __line__():
    """The line number of the caller (the unifier's register_module_line lines pass it)."""
    return currentframe().f_back.f_lineno


_MODULES_LINE_MAPPING = {"CommonServerPython": {"start": 0, "end": float("inf")}}


def register_module_line(module_name, start_end, line, wrapper=0):
    """Where a module pasted into the script starts and ends (demisto-sdk's unifier puts a call at each end), so
    that the platform can tell a traceback's line in its own module; a bad call is logged, never raised."""
    try:
        if start_end not in ("start", "end"):
            raise ValueError("Invalid start_end argument. Acceptable values are: start, end.")
        if not isinstance(line, int) or line < 0:
            raise ValueError(f"Invalid line argument. Expected non-negative integer, got {type(line)}({line})")
        _MODULES_LINE_MAPPING.setdefault(module_name, {"start": 0, "end": float("inf")}).update(
            {start_end: line, f"{start_end}_wrapper": line + wrapper})
    except Exception as exc:
        demisto.info(f"failed to register module line. module: {module_name} start_end: {start_end} line: {line}.\n"
                     f"Error: {exc}")


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


# ----- logging: debug mode, sensitive strings, threads -------------------------------------------------------
MASK = "<XX_REPLACED>"
SENSITIVE_PARAM_WORDS = ("key", "private", "password", "secret", "token", "credentials", "service_account")


def is_debug_mode():
    """Whether the command runs with debug-mode=true (the platform sets demisto.is_debug)."""
    return hasattr(demisto, "is_debug") and bool(demisto.is_debug)


def b64_encode(text):
    return base64.b64encode(text.encode("utf-8")).decode("utf-8") if text else ""


def stringEscape(st):
    return st.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def stringUnEscape(st):
    return st.replace("\\r", "\r").replace("\\n", "\n").replace("\\t", "\t")


def censor_request_logs(request_log):
    """http.client's `send:` / `header:` text with the word after an Authorization, Cookie, Token, username,
    password or apiKey keyword masked (the word after Bearer or Basic when one of those follows the keyword)."""
    keywords = ("authorization:", "cookie", "token", "username", "password", "apikey")
    prefix = "send: b'" if request_log.startswith("send: b'") else ""
    words = request_log[len(prefix):].replace("\\r\\n", " \\r\\n").split()
    for position, word in enumerate(words):
        if any(keyword in word.lower() for keyword in keywords) and position + 1 < len(words):
            following = words[position + 1]
            if following.lower() in ("bearer", "basic") and position + 2 < len(words):
                words[position + 2] = MASK
            elif following.endswith("}'"):
                words[position + 1] = f'"{MASK}"}}\''
            else:
                words[position + 1] = MASK
    return (prefix + " ".join(words)).replace(" \\r\\n", "\\r\\n")


class IntegrationLogger:
    """The platform's logger (LOG): masks the registered sensitive strings (and, from the start, the values of the
    instance's parameters whose names look secret) in everything it logs. As a file (`write`), it collects text up to
    a line end in one buffer shared by every thread, then logs that text with demisto.info, censoring the lines
    http.client starts with send: or header: in debug mode."""

    def __init__(self, debug_logging=False):
        self.messages = []
        self.write_buf = []
        self.replace_strs = []
        self.buffering = True
        self.debug_logging = debug_logging
        if not os.getenv("COMMON_SERVER_NO_AUTO_REPLACE_STRS") and hasattr(demisto, "getParam") and demisto.params():
            self._add_sensitive_params(demisto.params())

    def _add_sensitive_params(self, params):
        for key, value in params.items():
            if isinstance(value, dict):
                self._add_sensitive_params(value)
                if value.get("identifier") and value.get("password"):
                    self.add_replace_strs(b64_encode(f"{value.get('identifier')}:{value.get('password')}"))
            elif isinstance(value, str) and any(word in key.lower() for word in SENSITIVE_PARAM_WORDS):
                self.add_replace_strs(value, b64_encode(value))

    def encode(self, message):
        text = str(message)
        for sensitive in self.replace_strs:
            text = text.replace(sensitive, MASK)
        return text

    def __call__(self, message):
        text = self.encode(message)
        if self.buffering:
            self.messages.append(text)
            if self.debug_logging:
                demisto.debug(text)
        else:
            demisto.info(text)
        return text

    def add_replace_strs(self, *args):
        for value in args:
            if value:
                value = self.encode(value)
                dumped = json.dumps(value)
                self.replace_strs += [stringEscape(value), stringUnEscape(value), dumped[1:-1], quote_plus(value)]

    def set_buffering(self, state):
        self.buffering = state

    def write(self, msg):
        msg = self.encode(msg)
        ends_line = "\n" in msg
        self.write_buf.append(msg[:-1] if msg.endswith("\n") else msg)
        if not ends_line:
            return
        text = "".join(self.write_buf)
        if self.buffering:
            self.messages.append(text)
        else:
            if is_debug_mode() and text.startswith(("send:", "header:")):
                text = censor_request_logs(text.replace('send: b"', "send: b'"))
            demisto.info(text)
        self.write_buf = []   # emptied once the line is logged (the platform's order: meanwhile, other threads add)

    def print_override(self, *args, **kwargs):
        """print() for http.client: what it prints to stdout or stderr goes to this logger."""
        target = kwargs.get("file")
        if not target or target in (sys.stdout, sys.stderr):
            kwargs["file"] = self
        builtins.print(*args, **kwargs)  # noqa: T201


class DemistoHandler(logging.Handler):
    """Python logging records to an IntegrationLogger (or demisto.debug)."""

    def __init__(self, int_logger=None):
        super().__init__()
        self.int_logger = int_logger

    def emit(self, record):
        message = self.format(record)
        try:
            (self.int_logger or demisto.debug)(message)
        except Exception:  # logging must never fail the command
            pass


class DebugLogger:
    """debug-mode: http.client prints every request and answer line (send:, reply:, header:) and every Python log
    record at DEBUG goes, through an unbuffered IntegrationLogger, to demisto.info."""

    def __init__(self):
        self.int_logger = IntegrationLogger()
        self.int_logger.set_buffering(False)
        self.http_client_print = getattr(http.client, "print", None)   # someone else's, to put back
        http.client.HTTPConnection.debuglevel = 1
        http.client.print = self.int_logger.print_override   # module-level print, found before the builtin
        self.handler = DemistoHandler(self.int_logger)
        self.handler.setFormatter(logging.Formatter("python logging: %(levelname)s [%(name)s] - %(message)s"))
        self.root = logging.getLogger()
        self.previous_level = self.root.level
        self.root.setLevel(logging.DEBUG)
        for handler in list(self.root.handlers):
            self.root.removeHandler(handler)
        self.root.addHandler(self.handler)

    def __del__(self):
        """The execution is over (the loop deletes the underscore globals first, so this runs while the rest of
        the script's globals still exist): http.client and the root logger as they were, for the next execution
        of the same process."""
        self.root.setLevel(self.previous_level)
        self.root.removeHandler(self.handler)
        http.client.HTTPConnection.debuglevel = 0
        if self.http_client_print is not None:
            http.client.print = self.http_client_print
        elif hasattr(http.client, "print"):
            del http.client.print

    def log_start_debug(self):
        message = "debug-mode started.\n#### Params: " + json.dumps(demisto.params(), indent=2)
        self.int_logger.write(message + "\n")


_requests_logger = None
if is_debug_mode():
    _requests_logger = DebugLogger()
    _requests_logger.log_start_debug()
LOG = IntegrationLogger(debug_logging=is_debug_mode())


def add_sensitive_log_strs(sensitive_str):
    """Mask this string (and its escaped, JSON and URL forms) in every log line from now on."""
    if _requests_logger:
        _requests_logger.int_logger.add_replace_strs(sensitive_str)
    LOG.add_replace_strs(sensitive_str)


def support_multithreading():
    """One call at a time on the platform's channel: a lock around demisto's request/reply function (the object
    the platform injects has it; content's test demistomock does not, so tests patch this function)."""
    previous_do = demisto._Demisto__do
    demisto.lock = Lock()

    def locked_do(cmd):
        if demisto.lock.acquire(timeout=60):
            try:
                return previous_do(cmd)
            finally:
                demisto.lock.release()
        raise RuntimeError("Failed acquiring lock")

    demisto._Demisto__do = locked_do


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


def assign_params(keys_to_ignore=None, values_to_ignore=None, **kwargs):
    """The keyword arguments without the empty ones (None, '', [], {}, ()) and without `keys_to_ignore`."""
    values_to_ignore = (None, "", [], {}, ()) if values_to_ignore is None else values_to_ignore
    keys_to_ignore = keys_to_ignore or ()
    return {key: value for key, value in kwargs.items() if value not in values_to_ignore and key not in keys_to_ignore}


def remove_empty_elements(d: Any) -> Any:
    def empty(x):
        return x is None or x == {} or x == [] or x == ""

    if isinstance(d, list):
        return [v for v in (remove_empty_elements(v) for v in d) if not empty(v)]
    if isinstance(d, dict):
        return {k: v for k, v in ((k, remove_empty_elements(v)) for k, v in d.items()) if not empty(v)}
    return d


# ----- markdown (as the platform renders it) ----------------------------------------------------------
def stringEscapeMD(st, minimal_escaping=False, escape_multiline=False):
    if escape_multiline:
        st = st.replace("\r\n", "<br>").replace("\r", "<br>").replace("\n", "<br>")
    if minimal_escaping:
        for char in ("|", "`"):
            st = st.replace(char, "\\" + char)
    else:
        st = "".join("\\" + c if c in r"\`*_{}[]()#+-!|" else c for c in st)
    return st


def flattenCell(data, is_pretty=True):
    """A cell value as text: a list's items one per line, anything else but text as JSON (None is null)."""
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, list):
        return ",\n".join(d.decode("utf-8") if isinstance(d, bytes) else str(d) for d in data)
    return json.dumps(data, indent=4 if is_pretty else None, ensure_ascii=False, default=str)


def formatCell(data, is_pretty=True, json_transform=None):
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, dict):
        return "\n".join(f"{key}: {flattenCell(value, is_pretty)}" for key, value in data.items())
    return flattenCell(data, is_pretty)


def tableToMarkdown(name, t, headers=None, headerTransform=None, removeNull=False, metadata=None,
                    url_keys=None, date_fields=None, json_transform_mapping=None,
                    is_auto_json_transform=False, sort_headers=True):
    text = f"### {name}\n" if name else ""
    if metadata:
        text += f"{metadata}\n"
    if not t:
        return text + "**No entries.**\n"
    if not headers and isinstance(t, dict) and len(t) == 1:   # a single key: its values become the rows
        headers = list(t)
        t = list(t.values())[0]
    rows = t if isinstance(t, list) else [t]
    if isinstance(headers, str):
        headers = [headers]
    if rows and not isinstance(rows[0], dict):
        if not headers:
            raise Exception("Missing headers param for tableToMarkdown. Example: headers=['Some Header']")
        rows = [{headers[0]: item} for item in rows]
    if not headers:
        headers = list(rows[0])   # the first row's keys only
        if sort_headers:
            headers.sort()
    if removeNull:
        headers = [h for h in headers if not all(row.get(h) in ("", None, [], {}) for row in rows)]
    if not rows or not headers:
        return text + "**No entries.**\n"
    transform = headerTransform or (lambda header: stringEscapeMD(header, True, True))
    text += "|" + "|".join(transform(h) for h in headers) + "|\n" + "|" + "|".join("---" for _ in headers) + "|\n"
    for row in rows:
        cells = [stringEscapeMD(formatCell(row.get(h), False) if row.get(h) is not None else "", True, True)
                 for h in headers]
        text += "| " + " | ".join(cells) + " |\n"
    return text


# ----- results --------------------------------------------------------------------------------
class CommandResults:
    def __init__(self, outputs_prefix=None, outputs_key_field=None, outputs=None, indicators=None,
                 readable_output=None, raw_response=None, indicators_timeline=None, indicator=None,
                 ignore_auto_extract=False, mark_as_note=False, tags=None, scheduled_command=None,
                 relationships=None, entry_type=None, content_format=None, execution_metrics=None,
                 replace_existing=False):
        if raw_response is None:
            raw_response = outputs
        if outputs is not None and not isinstance(outputs, dict) and not outputs_prefix:
            raise ValueError("outputs_prefix is missing")
        self.outputs_prefix = outputs_prefix
        self.outputs_key_field = outputs_key_field
        key_fields = [outputs_key_field] if isinstance(outputs_key_field, str) else outputs_key_field
        self._outputs_key_field = key_fields or None
        self.outputs = outputs
        self.readable_output = readable_output
        self.raw_response = raw_response
        self.ignore_auto_extract = ignore_auto_extract
        self.mark_as_note = mark_as_note
        self.entry_type = entry_type if entry_type is not None else EntryType.NOTE
        self.content_format = content_format
        self.replace_existing = replace_existing
        self.scheduled_command = scheduled_command

    def to_context(self) -> dict:
        context: dict = {}
        readable = self.readable_output or None
        if self.outputs is not None and self.outputs != []:
            if not self.readable_output:
                readable = tableToMarkdown("Results", self.outputs) if isinstance(self.outputs, (dict, list)) \
                    else self.outputs
            if self.outputs_prefix and self.replace_existing:
                path, _, key = self.outputs_prefix.rpartition(".")
                context[f"{path}(true)"] = {key: self.outputs}
            elif self.outputs_prefix and self._outputs_key_field:
                condition = " && ".join(f"val.{f} && val.{f} == obj.{f}" for f in self._outputs_key_field)
                context[f"{self.outputs_prefix}({condition})"] = self.outputs
            elif self.outputs_prefix:
                context[str(self.outputs_prefix)] = self.outputs
            else:
                context.update(self.outputs)
        content_format = self.content_format or (EntryFormat.TEXT if isinstance(self.raw_response, (str, bytes, int))
                                                 else EntryFormat.JSON)
        return {
            "Type": self.entry_type,
            "ContentsFormat": content_format,
            "Contents": self.raw_response,
            "HumanReadable": readable,
            "EntryContext": context,
            "IndicatorTimeline": [],
            "IgnoreAutoExtract": bool(self.ignore_auto_extract),
            "Note": self.mark_as_note,
            "Relationships": [],
            **(self.scheduled_command.to_results() if self.scheduled_command else {}),
        }


class ScheduledCommand:
    """A command the platform runs again, as a new execution of the same instance, `next_run_in_seconds` after this
    entry (at least 10), with `args`, until `timeout_in_seconds`; `items_remaining` tells it how much is left. The
    entry carries PollingCommand, NextRun, PollingArgs, Timeout, PollingItemsRemaining."""
    MIN_NEXT_RUN = 10

    def __init__(self, command, next_run_in_seconds, args=None, timeout_in_seconds=None, items_remaining=0):
        self.raise_error_if_not_supported()
        if next_run_in_seconds < self.MIN_NEXT_RUN:
            demisto.info(f"ScheduledCommandConfiguration: the shortest interval is {self.MIN_NEXT_RUN} seconds")
            next_run_in_seconds = self.MIN_NEXT_RUN
        self._command = command
        self._next_run = str(next_run_in_seconds)
        self._args = args
        self._timeout = str(timeout_in_seconds) if timeout_in_seconds else None
        self._items_remaining = items_remaining

    @staticmethod
    def raise_error_if_not_supported():
        if not ScheduledCommand.supports_polling():
            raise DemistoException("ScheduledCommands are only supported from Cortex XSOAR version 6.2.0 and up.")

    @staticmethod
    def supports_polling():
        """Whether the server schedules commands (6.2.0 and later)."""
        return is_demisto_version_ge("6.2.0")

    def to_results(self):
        return assign_params(PollingCommand=self._command, NextRun=self._next_run, PollingArgs=self._args,
                             Timeout=self._timeout, PollingItemsRemaining=self._items_remaining)


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
        """One dict: {type name: {field: description}} for every scheme type."""
        mappings: dict = {}
        for scheme_types_mapping in self.scheme_types_mappings:
            mappings.update(scheme_types_mapping.extract_mapping())
        return mappings


def fileResult(filename, data, file_type=None):
    """A War Room file entry: the data written where the platform picks files up (the investigation's id, then the
    file's own id), the entry naming it."""
    file_type = EntryType.FILE if file_type is None else file_type
    temp = demisto.uniqueFile()
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(demisto.investigation()["id"] + "_" + temp, "wb") as f:
        f.write(data)
    if isinstance(filename, str):
        filename = filename.replace("../", "")
    return {"Contents": "", "ContentsFormat": EntryFormat.TEXT, "Type": file_type, "File": filename, "FileID": temp}


def return_results(results):
    if results is None:
        demisto.results(None)
    elif isinstance(results, list):   # dicts and strings go out together, in one results() call
        batch = []
        for result in results:
            if isinstance(result, (dict, str)):
                batch.append(result)
            else:
                return_results(result)
        if batch:
            demisto.results(batch)
    elif isinstance(results, CommandResults):
        demisto.results(results.to_context())
    elif isinstance(results, GetMappingFieldsResponse):
        demisto.results(results.extract_mapping())
    elif hasattr(results, "to_entry"):
        demisto.results(results.to_entry())
    else:
        demisto.results(results)


def return_error(message, error="", outputs=None):
    trace = traceback.format_exc() if sys.exc_info()[0] else ""
    demisto.info(f"{message}\n{trace}" if trace and trace.strip() != "NoneType: None" else str(message))
    if error:
        demisto.info(str(error))
    demisto.results({"Type": EntryType.ERROR, "ContentsFormat": EntryFormat.TEXT,
                     "Contents": str(message), "EntryContext": outputs})
    sys.exit(0)


# ----- the server's version and the integration context -------------------------------------------------
MIN_VERSION_FOR_VERSIONED_CONTEXT = "6.0.0"


class GetDemistoVersion:
    """demisto.demistoVersion(), asked once per execution and kept (as the platform's helper does)."""

    def __init__(self):
        self._version = None

    def __call__(self):
        if self._version is None:
            if not hasattr(demisto, "demistoVersion"):
                raise AttributeError("demistoVersion attribute not found.")
            self._version = demisto.demistoVersion()
        return self._version


get_demisto_version = GetDemistoVersion()


def is_demisto_version_ge(version, build_number=""):
    """Whether the server is at `version` (and `build_number`) or later; version parts compare as numbers."""
    def parts(text):
        return tuple(piece.zfill(8) for piece in str(text).split("."))

    try:
        server = get_demisto_version()
        if parts(server.get("version")) != parts(version):
            return parts(server.get("version")) > parts(version)
        return not build_number or int(server.get("buildNumber")) >= int(build_number)
    except AttributeError:
        if version >= "5.0.0":
            return False
        raise
    except ValueError:   # a development build's version does not compare
        return True


def is_versioned_context_available():
    return is_demisto_version_ge(MIN_VERSION_FOR_VERSIONED_CONTEXT)


def get_integration_context(sync=True, with_version=False):
    """The instance's integration context; with_version: {'context': ..., 'version': n} on servers that keep one."""
    if not is_versioned_context_available():
        return demisto.getIntegrationContext()
    versioned = demisto.getIntegrationContextVersioned(sync)
    return versioned if with_version else versioned.get("context", {})


def set_integration_context(context, sync=True, version=-1):
    """Store the integration context; a server that keeps versions refuses a stale `version` (ValueError)."""
    demisto.debug("Setting integration context")
    if is_versioned_context_available():
        return demisto.setIntegrationContextVersioned(context, version, sync)
    return demisto.setIntegrationContext(context)


def get_integration_context_with_version(sync=True):
    """(context, version); the version is -1 where the server keeps none (or when not read straight from it)."""
    held = get_integration_context(sync, with_version=True)
    if not is_versioned_context_available():
        return held, -1
    return held.get("context", {}), held.get("version", 0) if sync else -1


# ----- HTTP -----------------------------------------------------------------------------------
PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")


def skip_proxy():
    """With the proxy off, the platform removes the proxy variables (a CA bundle and .netrc still count)."""
    for name in PROXY_VARIABLES:
        os.environ.pop(name, None)


def ensure_proxy_has_http_prefix():
    for name in PROXY_VARIABLES:
        value = os.environ.get(name)
        if value and not value.startswith(("http://", "https://")):
            os.environ[name] = "http://" + value


def skip_cert_verification():
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        os.environ.pop(name, None)


class SSLAdapter(HTTPAdapter):
    """The platform's adapter for "Trust any certificate": no verification, and old servers' ciphers allowed."""

    def __init__(self, verify=True, **kwargs):
        self.context = ssl.create_default_context()
        self.context.set_ciphers("DEFAULT@SECLEVEL=1")
        if not verify:
            self.context.check_hostname = False
            self.context.verify_mode = ssl.CERT_NONE
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["ssl_context"] = self.context
        return super().init_poolmanager(*args, **kwargs)


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
        if not verify:
            self._session.mount("https://", SSLAdapter(verify=verify))
        if proxy:
            ensure_proxy_has_http_prefix()
        else:
            skip_proxy()
        if not verify:
            skip_cert_verification()
        brand = demisto.callingContext.get("context", {}).get("IntegrationBrand", "")
        self.timeout = float(os.getenv(f"REQUESTS_TIMEOUT.{brand}", "") or os.getenv("REQUESTS_TIMEOUT", "") or timeout)

    def _http_request(self, method, url_suffix="", full_url=None, headers=None, auth=None, json_data=None,
                      params=None, data=None, files=None, timeout=None, resp_type="json", ok_codes=None,
                      return_empty_response=False, retries=0, status_list_to_retry=None, backoff_factor=5,
                      raise_on_redirect=False, raise_on_status=False, error_handler=None,
                      empty_valid_codes=None, **kwargs):
        address = full_url if full_url else self._base_url + url_suffix   # concatenated, as the platform does
        try:
            res = self._session.request(method, address, verify=self._verify, params=params, data=data,
                                        json=json_data, files=files, headers=headers or self._headers,
                                        auth=auth or self._auth, timeout=timeout or self.timeout, **kwargs)
        except requests.exceptions.ConnectTimeout as exception:
            raise DemistoException("Connection Timeout Error - potential reasons might be that the Server URL "
                                   "parameter is incorrect or that the Server is not accessible from your host.",
                                   exception)
        except requests.exceptions.SSLError as exception:
            if not self._verify:
                raise
            raise DemistoException("SSL Certificate Verification Failed - try selecting 'Trust any certificate' "
                                   "checkbox in the integration configuration.", exception)
        except requests.exceptions.ProxyError as exception:
            raise DemistoException("Proxy Error - if the 'Use system proxy' checkbox in the integration "
                                   "configuration is selected, try clearing the checkbox.", exception)
        except requests.exceptions.ConnectionError as exception:
            raise DemistoException("Verify that the server URL parameter is correct and that you have access "
                                   f"to the server from your host.\nError Type: <{type(exception).__name__}>",
                                   exception)
        except requests.exceptions.RetryError as exception:
            raise DemistoException(f"Max Retries Error- Request attempts with {retries} retries failed.", exception)
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
