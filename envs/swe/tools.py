"""The agent's tools and how its text is read into a tool call.

A turn is one tool call, written as a JSON object (optionally inside <tool_call>...</tool_call> or a ```json fence):

    {"tool": "bash", "command": "grep -rn 'def parse' src/"}
    {"tool": "view", "path": "src/isodate/isodates.py", "start": 1, "end": 60}     (a folder lists its files)
    {"tool": "str_replace", "path": "src/isodate/isodates.py", "old": "exact text", "new": "replacement"}
    {"tool": "submit"}

Shorthands: a ```bash fenced block is a bash call; a reply that is just `submit` submits. Anything else is not well
formed: the env answers with this help and info["valid_action"] = False, and runs nothing.

The file tools run inside the sandbox (a small Python program reading its request from /stage), so they are held to
the same limits as a shell command: they cannot read or write outside the repository copy.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

TOOLS = ("bash", "view", "str_replace", "submit")

HELP = """Reply with one tool call per turn, as a JSON object:
  {"tool": "bash", "command": "..."}                       run a shell command in the repository (cwd)
  {"tool": "view", "path": "FILE", "start": 1, "end": 80}  show numbered lines of a file (a folder: its files)
  {"tool": "str_replace", "path": "FILE", "old": "exact text", "new": "new text"}
                                                           replace the one occurrence of old with new
  {"tool": "submit"}                                       end the episode; your changes are graded
A ```bash fenced block also runs a command, and a reply of just `submit` submits."""


@dataclass
class ToolCall:
    tool: str
    args: dict[str, Any] = field(default_factory=dict)


class ParseError(ValueError):
    """The reply is not a well-formed tool call; the message says why."""


_FENCE = re.compile(r"```(?:bash|sh|shell)\s*\n(.*?)```", re.S)
_TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.S)


def parse(text: str) -> ToolCall:
    stripped = text.strip()
    if stripped.lower() in ("submit", "submit()", '"submit"'):
        return ToolCall("submit")
    m = _TOOL_CALL.search(text)
    body = m.group(1) if m else text
    start = body.find("{")
    if start >= 0:
        try:
            obj, _ = json.JSONDecoder().raw_decode(body[start:])
        except json.JSONDecodeError as e:
            fence = _FENCE.search(text)
            if fence:
                return ToolCall("bash", {"command": fence.group(1)})
            raise ParseError(f"the JSON tool call does not parse ({e.msg} at character {e.pos})") from None
        return _from_json(obj)
    fence = _FENCE.search(text)
    if fence:
        return ToolCall("bash", {"command": fence.group(1)})
    raise ParseError("no tool call found")


def _from_json(obj: Any) -> ToolCall:
    if not isinstance(obj, dict):
        raise ParseError(f"a tool call is a JSON object, got {type(obj).__name__}")
    tool = obj.get("tool", obj.get("name"))
    args = obj.get("arguments") if isinstance(obj.get("arguments"), dict) else obj
    if tool not in TOOLS:
        raise ParseError(f"unknown tool {tool!r}; the tools are {list(TOOLS)}")
    if tool == "bash":
        cmd = args.get("command")
        if not isinstance(cmd, str) or not cmd.strip():
            raise ParseError("bash needs a non-empty string \"command\"")
        return ToolCall("bash", {"command": cmd})
    if tool == "view":
        path = args.get("path")
        if not isinstance(path, str) or not path:
            raise ParseError("view needs a string \"path\"")
        start, end = args.get("start", 1), args.get("end")
        if not isinstance(start, int) or (end is not None and not isinstance(end, int)):
            raise ParseError("view's \"start\" and \"end\" are line numbers (integers)")
        return ToolCall("view", {"path": path, "start": start, "end": end})
    if tool == "str_replace":
        path, old, new = args.get("path"), args.get("old"), args.get("new")
        if not isinstance(path, str) or not isinstance(old, str) or not isinstance(new, str) or not old:
            raise ParseError("str_replace needs strings \"path\", \"old\" (non-empty) and \"new\"")
        return ToolCall("str_replace", {"path": path, "old": old, "new": new})
    return ToolCall("submit")


# The file tools, run by the sandbox's own Python: argv[1] is the request file in /stage; it prints the result and
# exits 0 on success, 1 when the request cannot be done (the message says why).
EDITOR = r'''
import json, os, sys
req = json.load(open(sys.argv[1], encoding="utf-8"))
root = os.path.realpath(os.getcwd())
path = os.path.realpath(os.path.join(root, req["path"]))
if path != root and not path.startswith(root + os.sep):
    print(f"{req['path']}: outside the repository"); sys.exit(1)
rel = os.path.relpath(path, root)
if req["tool"] == "view":
    if os.path.isdir(path):
        names = []
        for base, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
            for f in sorted(files):
                names.append(os.path.relpath(os.path.join(base, f), root))
            if len(names) > 400:
                break
        print("\n".join(names[:400]) + ("\n[... more files ...]" if len(names) > 400 else "")); sys.exit(0)
    if not os.path.isfile(path):
        print(f"{rel}: no such file"); sys.exit(1)
    lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    start = max(1, req.get("start") or 1); end = min(len(lines), req.get("end") or len(lines))
    print(f"{rel} (lines {start}-{end} of {len(lines)})")
    for i in range(start, end + 1):
        print(f"{i:6d}  {lines[i - 1]}")
    sys.exit(0)
if not os.path.isfile(path):
    print(f"{rel}: no such file"); sys.exit(1)
text = open(path, encoding="utf-8").read()
n = text.count(req["old"])
if n != 1:
    print(f"{rel}: the old text occurs {n} times; it must occur exactly once (add surrounding lines to make it "
          "unique)" if n else f"{rel}: the old text is not in the file (it must match exactly, spaces included)")
    sys.exit(1)
new_text = text.replace(req["old"], req["new"], 1)
with open(path, "w", encoding="utf-8") as f:
    f.write(new_text)
line = text[: text.index(req["old"])].count("\n") + 1
print(f"{rel}: replaced {req['old'].count(chr(10)) + 1} line(s) at line {line} with {req['new'].count(chr(10)) + 1}")
'''

TEST_COMMAND = re.compile(r"\b(pytest|py\.test|unittest|tox|nox)\b|\btest_\w*\.py\b|\bmanage\.py\s+test\b")
"""Commands that run tests (G-RA's "ran the tests" signal)."""


def runs_tests(command: str) -> bool:
    return bool(TEST_COMMAND.search(command))


def cut_middle(text: str, limit: int) -> str:
    """Long output keeps its head and tail with a note of what was cut."""
    if len(text) <= limit:
        return text
    head = limit // 2
    tail = limit - head
    return (text[:head] + f"\n[... {len(text) - head - tail} characters cut from the middle of the output ...]\n"
            + text[-tail:])
