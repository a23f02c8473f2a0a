"""AWS_ILM.py laid out as content's integrations are, and as the platform can compile it: imports, constants,
errors, the instance settings, the Client, helpers each below what it uses, one command function per command, the
table of commands, main() and the entry guard; no `from __future__` import and no annotation, default, decorator or
base class naming a definition below it (the platform evaluates them when the script runs, top to bottom)."""
import ast
from pathlib import Path

import AWS_ILM

SOURCE = Path(AWS_ILM.__file__).read_text()
TREE = ast.parse(SOURCE)
SECTIONS = ["constants", "errors", "the instance settings", "the SCIM client", "helpers", "command functions",
            "the commands, by name", "main"]


def defined_name(node) -> str | None:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return None


POSITION = {defined_name(node): index for index, node in enumerate(TREE.body) if defined_name(node)}


def names_in(*nodes) -> set:
    return {name.id for node in nodes if node is not None for name in ast.walk(node) if isinstance(name, ast.Name)}


def evaluated_when_defined(node) -> set:
    """The names a definition needs when the script runs: annotations, defaults, decorators, bases, class bodies."""
    if isinstance(node, ast.FunctionDef):
        arguments = node.args.args + node.args.kwonlyargs + node.args.posonlyargs
        return names_in(*[a.annotation for a in arguments], *node.args.defaults, *node.args.kw_defaults,
                        *node.decorator_list, node.returns)
    if isinstance(node, ast.ClassDef):
        needed = names_in(*node.bases, *node.decorator_list)
        for statement in node.body:
            needed |= (evaluated_when_defined(statement) if isinstance(statement, ast.FunctionDef)
                       else set() if isinstance(statement, ast.Expr) else names_in(statement))
        return needed
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        return names_in(node.value, getattr(node, "annotation", None))
    return names_in(node)


def test_no_future_import_and_it_compiles_pasted_after_other_code():
    assert not [node for node in TREE.body if isinstance(node, ast.ImportFrom) and node.module == "__future__"]
    compile("from __future__ import print_function\ndemisto = None\n" + SOURCE, "<string>", "exec")


def test_nothing_evaluated_when_the_script_runs_names_a_definition_below_it():
    late = [(defined_name(node), name) for index, node in enumerate(TREE.body)
            for name in evaluated_when_defined(node) if POSITION.get(name, -1) >= index]
    assert late == []


def test_each_helper_and_command_is_below_what_it_uses():
    functions = [(index, node) for index, node in enumerate(TREE.body) if isinstance(node, ast.FunctionDef)]
    above = [(node.name, name) for index, node in functions for name in names_in(node)
             if POSITION.get(name, -1) > index and isinstance(TREE.body[POSITION[name]], (ast.FunctionDef, ast.ClassDef))]
    assert above == []


def test_sections_come_in_content_order_and_main_and_the_guard_last():
    banners = [line[len("# ----- "):] for line in SOURCE.splitlines() if line.startswith("# ----- ")]
    assert [next(s for s in SECTIONS if banner.startswith(s)) for banner in banners] == SECTIONS
    assert defined_name(TREE.body[-2]) == "main" and isinstance(TREE.body[-1], ast.If)
    assert POSITION["Settings"] < POSITION["Client"] < min(POSITION[n] for n in ("run_one_user", "user_report"))


def test_one_command_function_per_command_in_its_section():
    lines = SOURCE.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# ----- command functions"))
    end = next(i for i, line in enumerate(lines) if line.startswith("# ----- the commands, by name"))
    in_section = {node.name for node in TREE.body if isinstance(node, ast.FunctionDef) and start < node.lineno < end}
    handlers = {function.__name__ for function in AWS_ILM.COMMANDS.values()}
    assert handlers | {"test_module", "get_mapping_fields_command"} == in_section
    assert all(name.endswith("_command") for name in handlers)
    assert set(AWS_ILM.COMMANDS) == set(AWS_ILM.USER_COMMANDS) | set(AWS_ILM.GROUP_COMMANDS) | set(
        AWS_ILM.LIST_COMMANDS) | {"aws-ilm-list-contained-users"}
