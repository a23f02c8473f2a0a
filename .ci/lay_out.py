"""Lay out content's Packs/AWS-ILM from this repository, under the published file names.

    python .ci/lay_out.py DEST              this tree as content would merge it (make pack: build/content/Packs/AWS-ILM)
    python .ci/lay_out.py DEST --previous   the published 1.0.35 as validate -g compares to it

The pack holds what the pull request changes, nothing else: pack_metadata.json (without `created`), the pack README
and ignore files, the release notes, the two mappers (Classifiers/, already under their published names), and the
integration folder Integrations/AWSILM with AWSILM.py, AWSILM.yml, AWSILM_description.md, AWSILM_test.py
(importing AWSILM), README.md (the integration's user documentation), command_examples.txt and test_data/. The
integration's image is content's own: the pull request leaves it alone.

--previous stands in for content's master: version 1.0.35 with no release note of this version, the yml with the
published docker image, restricted to the published commands, arguments, outputs and execution flags
(.ci/published_1_0_35.json, facts read from the published pack), and an image where content keeps its own (a plain
placeholder of the size content's images have, 120x50: this repository does not hold content's). So validate -g
checks the version bump, the release note and backward compatibility against what content holds.
"""
import json
import shutil
import struct
import sys
import zlib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = {   # this repository's file -> its name in Integrations/AWSILM
    "AWS_ILM.py": "AWSILM.py", "AWS_ILM.yml": "AWSILM.yml", "AWS_ILM_description.md": "AWSILM_description.md",
    "AWS_ILM_test.py": "AWSILM_test.py", "AWS_ILM_README.md": "README.md", "command_examples.txt": "command_examples.txt",
}
IMAGE = "AWSILM_image.png"   # content's, left alone
PACK_FILES = ("README.md", ".pack-ignore", ".secrets-ignore")
TEST_IMPORT = ("import AWS_ILM\n", "import AWSILM as AWS_ILM\n")


def lay_out(dest: Path, previous: bool) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    folder = dest / "Integrations" / "AWSILM"
    folder.mkdir(parents=True)
    metadata = {k: v for k, v in json.loads((ROOT / "pack/pack_metadata.json").read_text()).items() if k != "created"}
    published = json.loads((ROOT / ".ci/published_1_0_35.json").read_text())
    if previous:
        metadata["currentVersion"] = published["version"]
    (dest / "pack_metadata.json").write_text(json.dumps(metadata, indent=4) + "\n")
    for name in PACK_FILES:
        shutil.copy(ROOT / "pack" / name, dest / name)
    if not previous:
        shutil.copytree(ROOT / "pack/ReleaseNotes", dest / "ReleaseNotes")
    shutil.copytree(ROOT / "Classifiers", dest / "Classifiers")
    for ours, theirs in INTEGRATION.items():
        shutil.copy(ROOT / ours, folder / theirs)
    test = folder / "AWSILM_test.py"
    text = test.read_text()
    if TEST_IMPORT[0] not in text:
        sys.exit("AWS_ILM_test.py must import the integration as 'import AWS_ILM'")
    test.write_text(text.replace(*TEST_IMPORT, 1))
    shutil.copytree(ROOT / "test_data", folder / "test_data")
    if previous:
        restrict_to_published(folder / "AWSILM.yml", published)
        (folder / IMAGE).write_bytes(placeholder_png(120, 50))


def placeholder_png(width: int, height: int) -> bytes:
    """A plain grey PNG: where content's master holds the integration's image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"\x88" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def restrict_to_published(path: Path, published: dict) -> None:
    """The published docker image, and only the published commands, their published arguments, their published
    outputs and types, and their published execution flags."""
    data = yaml.safe_load(path.read_text())
    data["script"]["dockerimage"] = published["dockerimage"]
    commands = published["commands"]
    kept = []
    for command in data["script"]["commands"]:
        facts = commands.get(command["name"])
        if facts is None:
            continue
        command["arguments"] = [a for a in command.get("arguments") or [] if a["name"] in facts["arguments"]]
        command["outputs"] = [{**o, "type": facts["outputs"][o["contextPath"]]} for o in command.get("outputs") or []
                              if o["contextPath"] in facts["outputs"]]
        command["execution"] = facts["execution"]
        kept.append({key: value for key, value in command.items() if value != []})
    data["script"]["commands"] = kept
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


if __name__ == "__main__":
    lay_out(Path(sys.argv[1]), "--previous" in sys.argv[2:])
