"""Generate the integration's README (user documentation, shipped as Integrations/AWSILM/README.md) with
demisto-sdk's integration doc generator, followed by the hand-written notes.

Runs in the demisto-sdk virtual environment:

    python .ci/gen_readme.py AWS_ILM.yml command_examples.txt build/examples.json pack/integration_notes.md \
        AWS_ILM_README.md

generate-docs would run command_examples.txt on a live XSOAR server; here the examples come from
build/examples.json, captured by docs_examples.py against the embedded server (the notes say so). The
generator's "tested with version xx" line is left out: nothing here was run against AWS itself.
"""
import json
import sys
import tempfile
from pathlib import Path

UNTESTED = "This integration was integrated and tested with version xx of AWS-ILM.\n"
MIRRORING = "## Incident Mirroring"   # added for isremotesyncout, which only lets admins pick the outgoing mapper


def generate(yml: str, examples_file: str, examples_json: str) -> str:
    workdir = Path(tempfile.mkdtemp())
    (workdir / "Packs").mkdir()   # the SDK wants a content root
    import os
    os.chdir(workdir)
    from demisto_sdk.commands.generate_docs import generate_integration_doc as generator

    examples = {name: [tuple(example) for example in runs] for name, runs in json.loads(Path(examples_json).read_text()).items()}
    generator.build_example_dict = lambda command_examples, insecure: (examples, [])
    generator.generate_integration_doc(input_path=yml, examples=examples_file, output=str(workdir), force=True)
    text = (workdir / "README.md").read_text().replace(UNTESTED, "")
    return text.split(MIRRORING)[0].rstrip("\n") + "\n"


def main(yml: str, examples_file: str, examples_json: str, notes: str, readme: str) -> None:
    paths = [str(Path(p).resolve()) for p in (yml, examples_file, examples_json, notes, readme)]
    text = generate(*paths[:3])
    Path(paths[4]).write_text(f"{text}\n{Path(paths[3]).read_text()}")


if __name__ == "__main__":
    main(*sys.argv[1:6])
