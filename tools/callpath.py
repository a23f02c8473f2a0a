"""How far a command travels inside AWS_ILM.py: the distinct functions it runs and how deep the stack is when a
request goes out, measured with a profiler hook over `main()` against the AWS-flavoured SCIM server.

    python tools/callpath.py                  (make callpath)
    python tools/callpath.py --list           (and the functions, in the order first run)
    python tools/callpath.py --root DIR       (measure another checkout, e.g. a worktree of an earlier commit)

The scenario is iam-update-user's happy path: the user exists, one attribute changes (the title), no
olduserdata, no manager; over HTTPS, as AWS serves it (the server's certificate from a private CA the run
trusts through REQUESTS_CA_BUNDLE). Counted are the functions defined with `def` in AWS_ILM.py (methods included;
lambdas and generator expressions are reported apart); the depth is the number of AWS_ILM.py frames on the
stack, main() included, when the PATCH leaves for requests. How the file reads along the path: a reader goes from
each function's definition to the next one's, in the order they are first run; the lines scrolled are the sum of
those distances (as a multiple of the file's length), and the jumps back up the file are counted.
"""
import argparse
import json
import os
import ssl
import sys
import tempfile
from pathlib import Path

ROOT_ARGUMENT = sys.argv.index("--root") + 1 if "--root" in sys.argv else 0
HERE = Path(sys.argv[ROOT_ARGUMENT] if ROOT_ARGUMENT else __file__).resolve()
HERE = HERE if ROOT_ARGUMENT else HERE.parent.parent   # the repository measured
for folder in (HERE / "runtime", HERE / "scimtest", HERE):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import requests  # noqa: E402
import trustme  # noqa: E402
import xsoar_server  # noqa: E402

import AWS_ILM  # noqa: E402
from aws_scim_server import AwsScimServer  # noqa: E402

SOURCE = str(Path(AWS_ILM.__file__).resolve())
PERSON = {"username": "path@example.com", "email": "path@example.com", "givenname": "Pat", "surname": "Path",
          "displayname": "Pat Path", "title": "Engineer"}


class CallPath:
    """A profiler hook: AWS_ILM.py's functions in the order first called, and the AWS_ILM.py frames on the stack
    at each request sent through requests (method -> depths)."""

    def __init__(self):
        self.functions: dict[str, None] = {}
        self.anonymous: dict[str, None] = {}
        self.depths: dict[str, list[int]] = {}

    def __call__(self, frame, event, _arg):
        if event != "call":
            return
        code = frame.f_code
        if code.co_filename == SOURCE:
            name = f"{code.co_qualname}:{code.co_firstlineno}"
            (self.anonymous if code.co_name.startswith("<") else self.functions).setdefault(name, None)
        elif code.co_name == "request" and code.co_filename.endswith("requests/sessions.py"):
            method = str(frame.f_locals.get("method", "")).upper()
            self.depths.setdefault(method, []).append(own_frames(frame))


def own_frames(frame) -> int:
    count = 0
    while frame is not None:
        count += frame.f_code.co_filename == SOURCE and not frame.f_code.co_name.startswith("<")
        frame = frame.f_back
    return count


def measure() -> tuple[CallPath, list, int]:
    """Run the happy path under the hook: (the path, the entries, the requests the server saw)."""
    authority = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    with tempfile.TemporaryDirectory() as folder, AwsScimServer(tls=context) as server:
        bundle = os.path.join(folder, "ca.pem")
        authority.cert_pem.write_to_path(bundle)
        os.environ["REQUESTS_CA_BUNDLE"] = bundle
        session = requests.Session()
        session.verify = bundle
        session.headers["Authorization"] = f"Bearer {server.token}"
        session.post(server.scim_url + "Users", json={
            "userName": PERSON["username"], "name": {"givenName": "Pat", "familyName": "Path"},
            "displayName": "Pat Path", "title": "Intern",
            "emails": [{"value": PERSON["email"], "type": "work", "primary": True}]}).raise_for_status()
        server.hooks.requests.clear()
        path = CallPath()
        sys.setprofile(path)
        try:
            entries = xsoar_server.execute(AWS_ILM.main, "iam-update-user", server.params(),
                                           {"user-profile": json.dumps(PERSON)})
        finally:
            sys.setprofile(None)
        return path, entries, len(server.hooks.requests)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the functions, in the order first run")
    parser.add_argument("--root", help="the checkout to measure (default: this one)")
    options = parser.parse_args()
    path, entries, requests_sent = measure()
    vendor = entries[0]["EntryContext"][AWS_ILM.IAM_VENDOR_KEY]
    if not vendor["success"] or vendor["details"].get("title") != "Engineer":
        print(f"the happy path did not succeed: {json.dumps(vendor)[:500]}")
        return 1
    patch_depths = path.depths.get("PATCH", [])
    scrolled, back, length = reading(path)
    print("iam-update-user, happy path (the user exists, the title changes, no olduserdata, no manager)")
    print(f"  requests sent:                      {requests_sent}")
    print(f"  functions of AWS_ILM.py run:        {len(path.functions)}")
    print(f"  lambdas and generator expressions:  {len(path.anonymous)}")
    print(f"  AWS_ILM.py frames at the PATCH:     {', '.join(map(str, patch_depths)) or 'no PATCH was sent'}")
    print(f"  lines scrolled reading them:        {scrolled:,} of a {length:,}-line file ({scrolled / length:.1f} times "
          f"its length), back up the file {back} times")
    if options.list:
        print("\n".join(f"    {name}" for name in path.functions))
    return 0


def reading(path: CallPath) -> tuple[int, int, int]:
    """A reader following the path: from each function's definition to the next function's (in the order first
    run), the lines scrolled, how often back up the file, and the file's length."""
    lines = [int(name.rsplit(":", 1)[1]) for name in path.functions]
    steps = [after - before for before, after in zip(lines, lines[1:], strict=False)]
    return sum(abs(step) for step in steps), sum(1 for step in steps if step < 0), len(Path(SOURCE).read_text().splitlines())


if __name__ == "__main__":
    sys.exit(main())
