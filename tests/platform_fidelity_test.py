"""The local stand-ins (runtime/) behave as the platform's demistomock and CommonServerPython wherever the
integration or a test can see it, so that nothing passes here and fails on a server. Each test pins one
behaviour read from the platform's public CommonServerPython: result shapes, table rendering, context
keys, proxy and CA handling, the timeout override. The end-to-end tests at the bottom run the integration
over HTTPS against a server whose certificate comes from a private CA.
"""
import json
import os
import ssl

import CommonServerPython as csp
import pytest
import requests
import requests_mock as requests_mock_module
import trustme
import xsoar_server

import AWS_ILM
from aws_scim_server import AwsScimServer
from conftest import PARAMS, run_command, run_on, vendor


# ----- result shapes --------------------------------------------------------------------------------------
def test_extract_mapping_is_one_dict_of_scheme_types():
    response = csp.GetMappingFieldsResponse([csp.SchemeTypeMapping("User Profile", {"userName": "d"})])
    response.add_scheme_type(csp.SchemeTypeMapping("Other", {"x": ""}))
    assert response.extract_mapping() == {"User Profile": {"userName": "d"}, "Other": {"x": ""}}
    with xsoar_server.platform("get-mapping-fields") as run:
        csp.return_results(response)
    assert run.entries == [{"User Profile": {"userName": "d"}, "Other": {"x": ""}}]


def test_return_results_sends_a_list_of_entries_in_one_call():
    with xsoar_server.platform("x") as run:
        csp.return_results([{"Type": 1, "Contents": "a"}, "b", csp.CommandResults(readable_output="c")])
    assert run.entries[0]["HumanReadable"] == "c" and run.entries[1] == [{"Type": 1, "Contents": "a"}, "b"]


def test_command_results_context_rules():
    empty = csp.CommandResults(outputs_prefix="A", outputs_key_field="id", outputs=[], readable_output="r")
    assert empty.to_context()["EntryContext"] == {} and empty.to_context()["Contents"] == []
    generated = csp.CommandResults(outputs_prefix="A", outputs={"id": 1}, readable_output="").to_context()
    assert generated["HumanReadable"].startswith("### Results\n|id|")
    keyed = csp.CommandResults(outputs_prefix="A", outputs_key_field=["id", "n"], outputs={"id": 1, "n": 2})
    assert list(keyed.to_context()["EntryContext"]) == ["A(val.id && val.id == obj.id && val.n && val.n == obj.n)"]
    assert keyed.to_context()["Contents"] == {"id": 1, "n": 2}   # raw_response defaults to the outputs
    raw = csp.CommandResults(outputs={"A.B(true)": 1, "C": [2]})   # no prefix: the dict is the context
    assert raw.to_context()["EntryContext"] == {"A.B(true)": 1, "C": [2]}
    with pytest.raises(ValueError):
        csp.CommandResults(outputs=[1])


def test_return_error_ends_the_execution_with_an_error_entry():
    with xsoar_server.platform("x") as run, pytest.raises(SystemExit):
        csp.return_error("went wrong")
    assert run.entries == [{"Type": 4, "ContentsFormat": "text", "Contents": "went wrong", "EntryContext": None}]
    assert any(level == "info" and "went wrong" in message for level, message in run.logs)   # upstream may prefix it


# ----- tables ---------------------------------------------------------------------------------------------
def test_table_cells_render_as_the_platform_does():
    row = {"list": ["a", "b"], "code": "x`y", "lines": "one\r\ntwo\rthree", "nested": {"k": None, "n": {"m": None}},
           "flag": True, "number": 5, "none": None, "pipe": "a|b"}
    table = csp.tableToMarkdown("T", row, headers=list(row))
    cells = table.splitlines()[3].strip("| ").split(" | ")
    assert cells == ["a,<br>b", "x\\`y", "one<br>two<br>three", 'k: null<br>n: {"m": null}', "true", "5", "",
                     "a\\|b"]


def test_table_headers_come_from_the_first_row_sorted_and_escaped():
    table = csp.tableToMarkdown("T", [{"b": 1, "a|`": 2}, {"b": 3, "z": 4}])
    assert table.splitlines()[1] == "|a\\|\\`|b|" and "z" not in table
    assert csp.tableToMarkdown("T", {"b": 1, "a": 2}, sort_headers=False).splitlines()[1] == "|b|a|"


def test_table_of_a_single_key_dict_is_pivoted_and_empty_tables_say_so():
    assert csp.tableToMarkdown("T", {"ids": ["a", "b"]}).splitlines()[1:] == ["|ids|", "|---|", "| a |", "| b |"]
    assert csp.tableToMarkdown("T", []) == "### T\n**No entries.**\n"


# ----- HTTP: proxy, CA bundle, TLS adapter, timeout, URL building ---------------------------------------------
@pytest.fixture
def environment(monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "REQUESTS_CA_BUNDLE", "REQUESTS_TIMEOUT",
                 "REQUESTS_TIMEOUT.AWS-ILM"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_proxy_off_removes_the_proxy_variables_and_keeps_the_ca_bundle(environment):
    environment.setenv("HTTPS_PROXY", "proxy.local:3128")
    environment.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/private-ca.pem")
    client = csp.BaseClient("https://x/", proxy=False)
    assert "HTTPS_PROXY" not in os.environ and os.environ["REQUESTS_CA_BUNDLE"] == "/etc/ssl/private-ca.pem"
    assert client._session.trust_env is True   # so the CA bundle and .netrc still apply


def test_proxy_on_gets_an_http_prefix(environment):
    environment.setenv("https_proxy", "proxy.local:3128")
    csp.BaseClient("https://x/", proxy=True)
    assert os.environ["https_proxy"] == "http://proxy.local:3128"


def test_trust_any_certificate_mounts_the_platforms_adapter_and_keeps_it(environment):
    client = AWS_ILM.Client(AWS_ILM.Settings.from_params({**PARAMS, "insecure": True}))
    adapter = client._session.get_adapter("https://scim.us-east-1.amazonaws.com/")
    assert isinstance(adapter, csp.SSLAdapter) and adapter.max_retries.total == 0   # Client.send does the retries


@pytest.mark.parametrize("variables, read", [
    ({}, 20.0), ({"REQUESTS_TIMEOUT": "45"}, 45.0), ({"REQUESTS_TIMEOUT.AWS-ILM": "30", "REQUESTS_TIMEOUT": "45"}, 30.0),
    ({"REQUESTS_TIMEOUT": "600"}, AWS_ILM.MAX_READ_TIMEOUT),
])
def test_requests_timeout_override(environment, requests_mock, variables, read):
    for name, value in variables.items():
        environment.setenv(name, value)
    with xsoar_server.platform("x"):   # the calling context names the brand
        timeout = csp.BaseClient("https://x/").timeout
    assert timeout == float(variables.get("REQUESTS_TIMEOUT.AWS-ILM") or variables.get("REQUESTS_TIMEOUT") or 60)
    requests_mock.get(requests_mock_module.ANY, json={"Resources": []})
    run_command("iam-get-user", {"user-profile": "x"})
    assert requests_mock.last_request.timeout == (AWS_ILM.REQUEST_TIMEOUT[0], read)


def test_urls_are_the_base_url_and_the_suffix_put_together():
    client = csp.BaseClient("https://h/t/scim/v2/")
    prepared = []
    answer = requests.Response()
    answer.status_code = 200
    client._session.request = lambda method, url, **kwargs: prepared.append(url) or answer
    client._http_request("GET", "Users/a%2Fb", resp_type="response")
    assert prepared == ["https://h/t/scim/v2/Users/a%2Fb"]


# ----- a private CA, end to end -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def private_ca(tmp_path_factory):
    ca = trustme.CA()
    certificate = ca.issue_cert("127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate.configure_cert(context)
    bundle = tmp_path_factory.mktemp("ca") / "private-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with AwsScimServer(tls=context) as server:
        yield server, str(bundle)


def test_a_private_ca_in_requests_ca_bundle_works_with_the_proxy_off(private_ca, environment):
    server, bundle = private_ca
    server.reset()
    environment.setenv("REQUESTS_CA_BUNDLE", bundle)
    created = vendor(run_on(server, "iam-create-user", {"user-profile": json.dumps(
        {"username": "ca@example.com", "givenname": "Ca", "surname": "Test"})}, proxy=False))
    assert created["success"] is True and server.url.startswith("https://")
    assert run_on(server, "test-module", proxy=False) == ["ok"]
    assert [u["userName"] for u in server.resources("User")] == ["ca@example.com"]


def test_without_the_private_ca_the_certificate_problem_is_named(private_ca, environment):
    server, _ = private_ca
    server.reset()
    result = vendor(run_on(server, "iam-get-user", {"user-profile": "x"}))
    assert result["errorCode"] == 502 and "its certificate could not be verified (unable to get local issuer " \
        "certificate)" in result["errorMessage"]
    assert "Trust any certificate" in result["errorMessage"]
    trusted = vendor(run_on(server, "iam-get-user", {"user-profile": "x"}, insecure=True))
    assert trusted["errorCode"] == 404   # reached the server: no such user
