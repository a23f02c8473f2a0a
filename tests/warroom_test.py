"""Tests of the terminal runner (warroom.py): embedded server, URL from the environment, exit codes."""
import io
import json

import pytest

import warroom


def test_demo_against_the_embedded_server(capsys):
    assert warroom.main(["demo"]) == 0
    printed = capsys.readouterr().out
    for title in ("Create User Results", "Get User Results", "Update User Results", "AWS Create Group:",
                  "AWS Update Group:", "AWS Get Group:", "Dry run of iam-disable-user", "Disable User Results",
                  "What stays open", "Enable User Results", "AWS Delete Group:"):
        assert f"### {title}" in printed
    assert "Removed from 1 group: Platform Engineers" in printed and "Restored 1 group: Platform Engineers" in printed
    assert "every entry shows success" in printed and '"success": false' not in printed


def test_command_against_a_url_from_the_environment(aws, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ILM_URL", aws.url)
    monkeypatch.setenv("AWS_ILM_TENANT_ID", aws.tenant)
    monkeypatch.setenv("AWS_ILM_TOKEN", aws.token)
    profile = json.dumps({"username": "t@example.com", "givenname": "T", "surname": "E", "email": "t@example.com"})
    assert warroom.main(["iam-create-user", f"user-profile={profile}"]) == 0
    assert [u["userName"] for u in aws.resources("User")] == ["t@example.com"]
    assert warroom.main(["iam-get-user", "user-profile=t@example.com"]) == 0
    assert warroom.main(["iam-get-user", "user-profile=ghost"]) == 1          # success: false
    assert warroom.main(["test-module", "--param", "url=http://127.0.0.1:9"]) == 1   # error entry
    assert aws.token not in capsys.readouterr().out


def test_token_only_from_the_environment(monkeypatch, capsys):
    monkeypatch.delenv("AWS_ILM_TOKEN", raising=False)
    assert warroom.main(["test-module", "--url", "http://127.0.0.1:9", "--tenant", "t"]) == 2
    assert "AWS_ILM_TOKEN" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        warroom.main(["iam-get-user", "no-equals-sign"])


def test_entries_that_are_not_war_room_notes_are_printed():
    out = io.StringIO()
    assert warroom.print_entry({"User Profile": {"userName": "Unique name"}}, out) is True   # get-mapping-fields
    assert warroom.print_entry(["ok", {"Type": 1, "Contents": {}, "HumanReadable": "### T"}], out) is True
    assert '"userName": "Unique name"' in out.getvalue() and "ok" in out.getvalue() and "### T" in out.getvalue()
