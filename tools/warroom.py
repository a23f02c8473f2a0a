"""The War Room in a terminal: run AWS-ILM commands without an XSOAR server.

    python tools/warroom.py iam-get-user user-profile='{"username": "jdoe@example.com"}'
    python tools/warroom.py demo

It loads AWS_ILM.py with the local runtime stand-ins (runtime/), runs the command as XSOAR does
(params, args, command, main()), prints each entry's readable output and its entry context as
JSON, and exits 1 when an entry is an error or reports `success: false`.

Instance settings come from flags or the environment: --url / AWS_ILM_URL, --tenant /
AWS_ILM_TENANT_ID, --param NAME=VALUE for any other parameter. The token is read only from the
AWS_ILM_TOKEN environment variable. Without a URL, an embedded AWS-flavoured SCIM server is
started on 127.0.0.1 and used for this run.
"""
import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent   # the repository root
for folder in (HERE / "runtime", HERE / "scimtest", HERE, HERE / "tools"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import xsoar_server  # noqa: E402

import AWS_ILM  # noqa: E402

DEMO_USER = {"email": "jdoe@example.com", "username": "jdoe@example.com", "givenname": "Jane", "surname": "Doe",
             "displayname": "Jane Doe", "title": "Engineer", "department": "Platform"}


def parse_arguments(argv: list) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="tools/warroom.py", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", help="an AWS-ILM command (iam-get-user, ...), or 'demo' for a scripted lifecycle")
    parser.add_argument("args", nargs="*", metavar="NAME=VALUE", help="command arguments, e.g. user-profile='{...}'")
    parser.add_argument("--url", default=os.environ.get("AWS_ILM_URL"), help="Base URL (env AWS_ILM_URL)")
    parser.add_argument("--tenant", default=os.environ.get("AWS_ILM_TENANT_ID"), help="Tenant ID (env AWS_ILM_TENANT_ID)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="any other instance parameter, e.g. create_if_not_exists=false")
    parser.add_argument("--instance", default="AWS-ILM_terminal", help="instance name shown in the results")
    return parser.parse_args(argv)


def key_values(pairs: list, what: str) -> dict:
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"warroom: {what} {pair!r} is not NAME=VALUE")
        values[name] = value
    return values


def instance_params(options: argparse.Namespace, token: str) -> dict:
    params = {"url": options.url, "credentials": {"identifier": options.tenant or "", "password": token},
              "mapper_in": AWS_ILM.DEFAULT_MAPPER_IN, "mapper_out": AWS_ILM.DEFAULT_MAPPER_OUT}
    params.update(key_values(options.param, "--param"))
    return params


def run(command: str, args: dict, params: dict, out=None) -> bool:
    """Run one command as XSOAR does; print its entries; True when all of them succeeded."""
    out = out or sys.stdout
    shown = " ".join(f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in args.items())
    print(f"\n$ !{command} {shown}".rstrip(), file=out)
    entries = xsoar_server.execute(AWS_ILM.main, command, params, args)
    return all([print_entry(entry, out) for entry in entries]) and bool(entries)  # noqa: C419 (print them all)


def print_entry(entry, out) -> bool:
    if isinstance(entry, list):   # entries returned together
        return all([print_entry(item, out) for item in entry])  # noqa: C419 (print them all)
    if not isinstance(entry, dict) or not {"Type", "Contents"} & set(entry):   # 'ok', get-mapping-fields' fields
        print(entry if isinstance(entry, str) else json.dumps(entry, indent=2), file=out)
        return True
    if entry.get("Type") == 4:
        print(f"ERROR: {entry.get('Contents')}", file=out)
        return False
    print(entry.get("HumanReadable") or "", file=out)
    context = entry.get("EntryContext") or {}
    print("Entry context:\n" + json.dumps(context, indent=2, default=str), file=out)
    outputs = [v for k, v in context.items() if not k.startswith("IAM.UserProfile")]
    return all(not isinstance(v, dict) or v.get("success", True) is not False for v in outputs)


def demo(params: dict, out=None) -> bool:
    """A new hire's lifecycle, then Block Account out of every group (previewed with a dry run first) and the user
    back in, each step printed as the War Room shows it."""
    out = out or sys.stdout
    group = '{"displayName": "Platform Engineers"}'
    ok = run("iam-create-user", {"user-profile": json.dumps(DEMO_USER), "allow-enable": "false"}, params, out)
    ok &= run("iam-get-user", {"user-profile": '{"username": "jdoe@example.com"}'}, params, out)
    user_id = created_id()
    steps = [
        ("iam-update-user", {"user-profile": json.dumps({**DEMO_USER, "title": "Senior Engineer"}),
                             "allow-enable": "true"}),
        ("iam-create-group", {"scim": group}),
        ("iam-update-group", {"scim": group, "memberIdsToAdd": user_id}),
        ("iam-get-group", {"scim": group}),
        ("iam-disable-user", {"user-profile": "jdoe@example.com", "remove-from-groups": "true", "dry-run": "true"}),
        ("iam-disable-user", {"user-profile": "jdoe@example.com", "remove-from-groups": "true"}),
        ("iam-enable-user", {"user-profile": "jdoe@example.com", "restore-groups": "true"}),
        ("iam-delete-group", {"scim": group}),
    ]
    for command, args in steps:
        ok &= run(command, args, params, out)
    print("\nDemo " + ("finished: every entry shows success." if ok else "FAILED: see the entries above."), file=out)
    return ok


def created_id() -> str:
    """The user id in the last IAM entry."""
    entries = xsoar_server.emitted()
    vendor = entries[0].get("EntryContext", {}).get(AWS_ILM.IAM_VENDOR_KEY, {}) if entries else {}
    return vendor.get("id") or ""


def main(argv: list | None = None) -> int:
    options = parse_arguments(sys.argv[1:] if argv is None else argv)
    xsoar_server.set_instance_name(options.instance)
    server = None
    if options.url:
        token = os.environ.get("AWS_ILM_TOKEN", "")
        if not token:
            print("warroom: set the token in the AWS_ILM_TOKEN environment variable", file=sys.stderr)
            return 2
    else:
        from aws_scim_server import AwsScimServer
        server = AwsScimServer().start()
        options.url, options.tenant, token = server.url, server.tenant, server.token
        print(f"(embedded AWS-flavoured SCIM server at {server.scim_url})")
    try:
        params = instance_params(options, token)
        if options.command == "demo":
            return 0 if demo(params) else 1
        return 0 if run(options.command, key_values(options.args, "argument"), params) else 1
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
