"""Make, accept and validate the SWE sandbox's tasks (deterministic; the shipped set is data/tasks-v1.jsonl).

    python -m agentgym.envs.swe.generate fetch              download the pinned sdists into the cache (sha256-checked)
    python -m agentgym.envs.swe.generate accept [--backend docker]
                                                            run each project's own tests on its clean copy
    python -m agentgym.envs.swe.generate make [--per-repo 5] [--out FILE]
                                                            generate tasks (SWE-smith-style bugs kept only when some
                                                            clean-passing tests now fail)
    python -m agentgym.envs.swe.generate validate [--backend local|docker] [--file FILE] [--repos a,b]
                                                            every gold patch resolves its task; an empty patch
                                                            resolves none

Splits (in each instance's agentgym.split): the repositories in HELDOUT_REPOS give "heldout_repos" (never seen in
training); of the others, every fourth task of each repository (in id order) is "heldout" and the rest "train".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
from pathlib import Path

from agentgym.envs.swe import bugs, repos as repos_mod
from agentgym.envs.swe.grading import failure_messages, parse_pytest_log
from agentgym.envs.swe.instances import Instance, hidden_test_files, read_jsonl, unified_diff, write_jsonl

SUITE_VERSION = "1"
SHIPPED = Path(__file__).parent / "data" / f"tasks-v{SUITE_VERSION}.jsonl"
HELDOUT_REPOS = ("inflection", "webcolors", "xmltodict")
"""Repositories whose tasks form the out-of-distribution split; no training task comes from them."""
GENERATION_SEED = 20260
COLLECTION_ERROR = re.compile(r"errors? during collection|^ERROR collecting", re.M)
MAX_FAIL_TO_PASS = 40
"""A bug that breaks more tests than this is dropped: it reads as "the module is broken", not as one bug."""


def source_files(spec: repos_mod.RepoSpec, root: Path) -> list[str]:
    out = []
    for s in spec.source:
        p = root / s
        files = [p] if p.is_file() else sorted(p.rglob("*.py"))
        for f in files:
            rel = f.relative_to(root).as_posix()
            if not any(rel == e or rel.startswith(e.rstrip("/") + "/") for e in spec.exclude):
                out.append(rel)
    return out


def _local(template: Path, timeout: float = 120.0):
    from agentgym.envs.swe.sandbox import Limits, LocalSandbox

    return LocalSandbox(template, limits=Limits(timeout_s=timeout))


def clean_statuses(spec: repos_mod.RepoSpec, sb) -> tuple[dict[str, str], str]:
    from agentgym.envs.swe.harness import test_command

    inst = _pseudo_instance(spec)
    res = sb.shell(test_command(sb, inst, list(spec.tests)))
    return parse_pytest_log(res.output), res.output


def _pseudo_instance(spec: repos_mod.RepoSpec) -> Instance:
    return Instance(instance_id=f"{spec.name}-clean", repo=spec.repo_id, version=spec.version, base_commit="",
                    problem_statement="", patch="", test_patch="", FAIL_TO_PASS=[], PASS_TO_PASS=[],
                    agentgym={"test_files": list(spec.tests)})


def accept(backend: str = "local") -> dict[str, dict]:
    """Each project's own suite on its clean copy in the sandbox: accepted iff no test fails or errors."""
    from agentgym.envs.swe.sandbox import DockerSandbox, tar_of

    out = {}
    for spec in repos_mod.REPOS:
        root = repos_mod.repo_path(spec)
        t0 = time.monotonic()
        sb = _local(root) if backend == "local" else DockerSandbox(tar_of(root, "repo"))
        with sb:
            statuses, log = clean_statuses(spec, sb)
        counts: dict[str, int] = {}
        for s in statuses.values():
            counts[s] = counts.get(s, 0) + 1
        ok = bool(statuses) and not counts.get("FAILED") and not counts.get("ERROR")
        out[spec.name] = {"accepted": ok, "counts": counts, "seconds": round(time.monotonic() - t0, 2)}
        print(f"{spec.name:12s} {'accepted' if ok else 'REJECTED'} {counts} {out[spec.name]['seconds']}s", flush=True)
    return out


def problem_statement(spec: repos_mod.RepoSpec, f2p: list[str], messages: dict[str, str]) -> str:
    """Written from the failing tests' names and their assertion messages only (never from the patch)."""
    many = len(f2p) != 1
    lines = [f"Bug report for {spec.name} {spec.version}", "",
             f"{len(f2p)} test{'s' if many else ''} of the project's own suite fail{'' if many else 's'} on this code "
             f"({'they are' if many else 'it is'} held back from your copy and run when you submit):", ""]
    for t in f2p[:8]:
        msg = messages.get(t, "").strip()
        lines.append(f"- {t}" + (f"\n  {msg[:300]}" if msg else ""))
    if len(f2p) > 8:
        lines.append(f"- ... and {len(f2p) - 8} more")
    lines += ["", "Find the bug in the library's source and fix it, without breaking the tests that pass now."]
    return "\n".join(lines)


def make_for_repo(spec: repos_mod.RepoSpec, per_repo: int, *, max_tries: int = 16, log=print) -> list[Instance]:
    root = repos_mod.repo_path(spec)
    rng = random.Random(f"{GENERATION_SEED}-{spec.name}-{spec.version}")
    made: list[Instance] = []
    with _local(root) as sb:
        clean, _ = clean_statuses(spec, sb)
        passing = {t for t, s in clean.items() if s == "PASSED"}
        files = source_files(spec, root)
        pool: list[bugs.Bug] = []
        for rel in files:
            src = (root / rel).read_text(encoding="utf-8")
            pool += bugs.candidates(rel, src, random.Random(f"{rng.random()}-{rel}"), limit=12)
        rng.shuffle(pool)
        # one candidate per (file, function): spread the tasks over the code
        seen_fn: set[tuple[str, str]] = set()
        tries = 0
        copy = Path(sb.host_copy)
        for bug in pool:
            if len(made) >= per_repo or tries >= max_tries:
                break
            if (bug.path, bug.function) in seen_fn:
                continue
            tries += 1
            original = (copy / bug.path).read_bytes()
            (copy / bug.path).write_text(bug.source, encoding="utf-8")
            try:
                statuses, log_text = clean_statuses(spec, sb)
            finally:
                (copy / bug.path).write_bytes(original)
            failing = sorted(t for t in passing if statuses.get(t) in ("FAILED",))
            # A bug that breaks collection (an import error) is no bug report; tests merely absent from the log
            # (parametrize ids computed by the changed code) are left out of FAIL_TO_PASS and PASS_TO_PASS.
            broken = bool(COLLECTION_ERROR.search(log_text))
            if not failing or broken or len(failing) > MAX_FAIL_TO_PASS:
                log(f"  {spec.name}: {bug.kind} in {bug.function} dropped ({len(failing)} fail"
                    f"{', collection error' if broken else ''})")
                continue
            seen_fn.add((bug.path, bug.function))
            test_files = sorted({t.split("::")[0] for t in failing})
            p2p = sorted(t for t in passing if t.split("::")[0] in test_files and t not in failing
                         and statuses.get(t) == "PASSED")
            clean_src = original.decode("utf-8")
            patch = unified_diff(bug.path, bug.source, clean_src)
            hidden = hidden_test_files(root, failing)
            test_patch = "".join(unified_diff(f, seen, full) for f, (full, seen) in hidden.items())
            digest = hashlib.sha256((patch + test_patch).encode()).hexdigest()[:8]
            inst = Instance(
                instance_id=f"pypi__{spec.name}-{spec.version}.{bug.kind}.{digest}", repo=spec.repo_id,
                version=spec.version, base_commit=f"sdist-sha256:{spec.sha256}",
                problem_statement=problem_statement(spec, failing, failure_messages(log_text)),
                patch=patch, test_patch=test_patch, FAIL_TO_PASS=failing, PASS_TO_PASS=p2p,
                agentgym={"kind": bug.kind, "function": bug.function, "file": bug.path, "test_files": test_files,
                          "license": spec.license, "generator": f"agentgym.envs.swe.bugs seed {GENERATION_SEED}"})
            made.append(inst)
            log(f"  {spec.name}: kept {inst.instance_id} ({len(failing)} FAIL_TO_PASS, {len(p2p)} PASS_TO_PASS)")
    return made


def assign_splits(instances: list[Instance]) -> list[Instance]:
    by_repo: dict[str, list[Instance]] = {}
    for inst in instances:
        by_repo.setdefault(inst.repo, []).append(inst)
    for repo, group in by_repo.items():
        group.sort(key=lambda i: i.instance_id)
        for k, inst in enumerate(group):
            if repo.removeprefix("pypi/") in HELDOUT_REPOS:
                inst.agentgym["split"] = "heldout_repos"
            else:
                inst.agentgym["split"] = "heldout" if k % 4 == 3 else "train"
    return sorted(instances, key=lambda i: (i.agentgym["split"], i.instance_id))


def make(per_repo: int, names: list[str] | None = None) -> list[Instance]:
    out: list[Instance] = []
    for spec in repos_mod.REPOS:
        if names and spec.name not in names:
            continue
        t0 = time.monotonic()
        made = make_for_repo(spec, per_repo)
        print(f"{spec.name}: {len(made)} tasks in {time.monotonic() - t0:.0f}s", flush=True)
        out += made
    return assign_splits(out)


def validate(instances: list[Instance], backend: str = "local") -> list[str]:
    """Problems found (empty = valid): the gold patch must resolve each task and an empty patch must resolve none."""
    from agentgym.envs.swe.harness import grade_submission
    from agentgym.envs.swe.instances import workspace
    from agentgym.envs.swe.sandbox import DockerSandbox, tar_of

    problems = []
    for inst in instances:
        ws = workspace(inst)
        if backend == "local":
            def make_sb(ws=ws):
                return _local(ws)
        else:
            data = tar_of(ws, "repo")

            def make_sb(data=data):
                return DockerSandbox(data)
        gold = grade_submission(make_sb, inst, inst.patch, timeout=120)
        empty = grade_submission(make_sb, inst, "", timeout=120)
        ok = gold.report.resolved and not empty.report.resolved and not empty.report.f2p_success
        print(f"{inst.instance_id}: gold {gold.report.resolution}, empty {empty.report.resolution} "
              f"({gold.seconds:.1f}s)", flush=True)
        if not ok:
            problems.append(f"{inst.instance_id}: gold {gold.report.to_dict()['tests_status']}, empty "
                            f"{empty.report.resolution}")
    return problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m agentgym.envs.swe.generate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("fetch")
    a = sub.add_parser("accept")
    a.add_argument("--backend", choices=["local", "docker"], default="local")
    m = sub.add_parser("make")
    m.add_argument("--per-repo", type=int, default=5)
    m.add_argument("--repos", default="")
    m.add_argument("--out", default=str(SHIPPED))
    m.add_argument("--merge", action="store_true", help="keep the other repositories' tasks already in --out")
    v = sub.add_parser("validate")
    v.add_argument("--backend", choices=["local", "docker"], default="local")
    v.add_argument("--file", default=str(SHIPPED))
    v.add_argument("--repos", default="")
    args = p.parse_args(argv)
    if args.cmd == "fetch":
        for path in repos_mod.fetch_repos():
            print(path)
        return 0
    if args.cmd == "accept":
        res = accept(args.backend)
        print(json.dumps(res))
        return 0 if all(r["accepted"] for r in res.values()) else 1
    if args.cmd == "make":
        names = [n for n in args.repos.split(",") if n]
        insts = make(args.per_repo, names or None)
        if args.merge and Path(args.out).exists():
            insts = assign_splits([i for i in read_jsonl(args.out) if i.repo.removeprefix("pypi/") not in names]
                                  + insts)
        write_jsonl(args.out, insts)
        print(f"wrote {len(insts)} tasks to {args.out}")
        return 0
    insts = read_jsonl(args.file)
    names = [n for n in args.repos.split(",") if n]
    if names:
        insts = [i for i in insts if i.repo.removeprefix("pypi/") in names]
    problems = validate(insts, args.backend)
    print(f"{len(insts) - len(problems)}/{len(insts)} tasks valid ({args.backend})")
    for pr in problems:
        print("  " + pr)
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
