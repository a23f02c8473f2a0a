"""Local stand-in for the `demistomock` module that the XSOAR server injects at run time.

Only for tests and local runs: it is never shipped with the integration. It has the platform's functions only
(same names, signatures and result shapes), and behaves as content's test `demistomock` wherever a test can see
it: params() and args() are empty, command() is '', mapObject() returns {}, results() and the info/debug logs
go to the logging module at INFO, and error() prints (so that a test which logs an error without patching
`demisto.error` fails under content's conftest, as it would in content's CI). Tests patch what they need
(pytest-mock); what a server does around a run (the instance, the arguments, the mappers, the War Room) is
`xsoar_server.py` beside this file.
"""
import json
import logging
import uuid
from typing import Any

integrationContext: dict = {}
callingContext: dict = {}
is_debug = False   # the platform sets it for debug-mode=true


def params() -> dict:
    return {}


def args() -> dict:
    return {}


def getParam(param: str) -> Any:
    return params().get(param)


def command() -> str:
    return ""


def results(results: Any) -> None:
    logging.getLogger().info("demisto results: %s", json.dumps(results, indent=4, sort_keys=True, default=str))


def log(msg: Any) -> None:
    logging.getLogger().info(msg)


def debug(msg: Any, *args: Any) -> None:
    logging.getLogger().info(msg, *args)


def info(msg: Any, *args: Any) -> None:
    logging.getLogger().info(msg, *args)


def error(msg: Any, *args: Any) -> None:
    print(msg, *args)   # as content's test double: a test that logs an error must patch demisto.error


def investigation() -> dict:
    return {"id": "1"}


def uniqueFile() -> str:
    return str(uuid.uuid4())


def integrationInstance() -> str:
    return ""


def getIntegrationContext() -> dict:
    return integrationContext


def setIntegrationContext(context: dict) -> None:
    global integrationContext
    integrationContext = context


def getIntegrationContextVersioned(refresh: bool = False) -> dict:
    """Content's test double returns the plain context here (its demistoVersion is too old to use versions)."""
    return integrationContext


def setIntegrationContextVersioned(context: dict, version: int = -1, sync: bool = False) -> None:
    global integrationContext
    integrationContext = context


def demistoVersion() -> dict:
    return {"version": "5.5.0", "buildNumber": "12345"}


def mapObject(obj: Any, mapper: str, mapper_type: str) -> dict:
    """The platform applies the named mapper; content's test double maps nothing: tests patch it."""
    return {}
