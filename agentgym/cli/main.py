"""The `agentgym` command line: envs (list, info, check, play), eval, train, demo, view."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import textwrap
from typing import Any, Sequence

DESCRIPTION = """\
Train and evaluate LLM agents in multi-turn text environments.

Start here:
  agentgym envs list                                   which environments exist
  agentgym envs play agentgym/TextAdventure-v0         play one yourself in the terminal
  agentgym eval agentgym/TextAdventure-v0 --policy oracle -n 20
                                                       evaluate a policy on the held-out split
  agentgym demo                                        train a tiny model on CPU, before/after success
"""

POLICY_HELP = """\
which policy acts: oracle (the env's expert), random, human, hf:PATH (a transformers model folder, a training
run's folder, a hub name already on disk, or a GGUF: hf:FILE.gguf), vllm:MODEL (GPU), openai:MODEL@BASE_URL (any
OpenAI-compatible server, e.g.
openai:Qwen/Qwen2.5-7B-Instruct@http://localhost:8000/v1; the key comes from OPENAI_API_KEY)"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 0
    import warnings

    # Our warnings are sentences for the user (a skipped line of a file, say): no source line, no category.
    warnings.formatwarning = lambda message, *a, **k: f"agentgym: warning: {message}\n"
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except (ValueError, KeyError, TypeError, ImportError, OSError) as e:
        # User-facing errors already say what was wrong and the fix; no traceback for those.
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"agentgym: error: {msg}", file=sys.stderr)
        return 2


def _count(minimum: int) -> Any:
    """An argparse type: an integer >= minimum, else a usage error that names the value."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below {minimum}; pass a count >= {minimum}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="agentgym", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"agentgym {_version()}")
    sub = p.add_subparsers(title="commands", metavar="COMMAND")

    envs = sub.add_parser("envs", help="list, inspect, check and play environments",
                          description="List, inspect, check and play environments.")
    esub = envs.add_subparsers(title="envs commands", metavar="ACTION")
    envs.set_defaults(func=lambda a: (envs.print_help(), 0)[1])

    e_list = esub.add_parser("list", help="every registered environment, built-in and plugins")
    e_list.add_argument("--json", action="store_true", help="print JSON instead of a table")
    e_list.set_defaults(func=cmd_envs_list)

    e_info = esub.add_parser("info", help="an environment's documentation, spaces and task splits")
    e_info.add_argument("env", help="env id, e.g. agentgym/TextAdventure-v0")
    e_info.set_defaults(func=cmd_envs_info)

    e_check = esub.add_parser("check", help="run the conformance checker (agentgym.testing.check_env)",
                              description="Run the conformance checker on an env and print what is wrong, if "
                                          "anything (multi-agent games: PettingZoo's api_test and agentgym's "
                                          "game checks, agentgym.multiagent.check_game). Exits 1 when the env "
                                          "breaks the contract.")
    e_check.add_argument("env", help="env id, e.g. mypkg/MyEnv-v0")
    e_check.add_argument("--actions", type=_count(1), default=2000,
                         help="random and adversarial actions to try, >= 1 (2000)")
    e_check.add_argument("--oracle-tasks", type=_count(0), default=3,
                         help="tasks per split the oracle must solve, >= 0 (3)")
    e_check.add_argument("--seed", type=int, default=0)
    _add_env_args(e_check)
    e_check.set_defaults(func=cmd_envs_check)

    e_play = esub.add_parser("play", help="play an environment yourself in the terminal",
                             description="Play an environment in the terminal: type one action per turn. "
                                         "/quit, Ctrl-D or Ctrl-C quits. --policy oracle watches the expert instead.")
    e_play.add_argument("env", help="env id, e.g. agentgym/TextAdventure-v0")
    e_play.add_argument("--task", help="task id (default: a task drawn from --split)")
    e_play.add_argument("--split", default="train", help="split to draw the task from (train)")
    e_play.add_argument("--seed", type=int, default=None)
    e_play.add_argument("--policy", default="human", help="human (default), oracle or random")
    _add_env_args(e_play)
    e_play.set_defaults(func=cmd_envs_play)

    ev = sub.add_parser("eval", help="evaluate a policy on a split: metrics with CIs, trajectories, report",
                        description="Evaluate a policy on a task split. Writes metrics.json (success rate, mean "
                                    "reward and turns with 95% confidence intervals: Wilson for the success rate, "
                                    "bootstrap for the means), trajectories.jsonl and report.html to --out.",
                        formatter_class=argparse.RawTextHelpFormatter)
    ev.add_argument("env", nargs="?", help="env id, e.g. agentgym/TextAdventure-v0 (not with --like)")
    ev.add_argument("--policy", help=POLICY_HELP + " (required unless --like)")
    ev.add_argument("--like", metavar="RUN", default=None,
                    help="rerun the eval in folder RUN with the settings of its manifest.json (env, policy, split,\n"
                         "tasks, seeds, limits, generation); --out, --overwrite and --executor still apply")
    ev.add_argument("--split", default="heldout", help="task split (heldout)")
    ev.add_argument("-n", type=_count(1), default=None, help="number of tasks (default: the whole split)")
    ev.add_argument("--group-size", type=_count(1), default=1, help="episodes per task (1)")
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument("--max-turns", type=_count(1), default=None, help="turn limit on top of the env's own")
    ev.add_argument("--batch-size", type=_count(1), default=32, help="episodes played at once (32)")
    ev.add_argument("--executor", choices=["inline", "thread", "process"], default="inline",
                    help="where each env lives: inline (the calling thread; fastest for light text envs), thread (a\n"
                         "dedicated thread per env), process (a worker process per env, for envs holding a\n"
                         "browser, a container or C state) (inline)")
    ev.add_argument("--history", choices=["full", "window"], default="full",
                    help="what each turn is prompted with: full (the whole episode so far) or window (the system\n"
                         "prompt, the task and the last --window-turns turns; the first observation is not kept\n"
                         "for envs whose first observation is a screen, like MiniHack) (full)")
    ev.add_argument("--window-turns", type=int, default=2, help="past turns in a windowed prompt (2)")
    ev.add_argument("--out", default=None,
                    help="output folder (default: a new runs/eval-<env>-<policy>-<time> for every run)")
    ev.add_argument("--resume", action="store_true",
                    help="continue the interrupted eval in --out without replaying its finished episodes")
    ev.add_argument("--overwrite", action="store_true", help="replace the eval already in --out")
    ev.add_argument("--repeat", action="store_true",
                    help="allow -n above the split's size: the tasks cycle (each replayed with another seed)")
    ev.add_argument("--logprobs", action="store_true",
                    help="openai: ask the server for each generated token's logprob (stored on every turn); hf: and\n"
                         "vllm: always keep them")
    ev.add_argument("--concurrency", type=_count(1), default=None,
                    help="openai: requests in flight at once, one episode each (default 1: a single-slot server\n"
                         "such as llama.cpp's keeps one episode's prompt cached from turn to turn; vLLM and SGLang\n"
                         "batch, so give them 16-64; llama.cpp's server serves N with --parallel N)")
    ev.add_argument("--request-timeout", type=float, default=60.0,
                    help="openai: seconds to wait for one server reply before retrying (60)")
    ev.add_argument("--max-retries", type=int, default=2,
                    help="openai: retries of a failed or timed-out request (2)")
    ev.add_argument("--max-new-tokens", type=int, default=None,
                    help="model policies: most tokens per turn (default: the backend's own, 64 for hf:)")
    ev.add_argument("--temperature", type=float, default=None,
                    help="model policies: sampling temperature, 0 = greedy (default: the backend's own, 1.0 for "
                         "hf:)")
    _add_env_args(ev)
    ev.set_defaults(func=cmd_eval)

    rt = sub.add_parser("rate", help="rate players (checkpoints, scripted, random) by a round robin on a game",
                        description="Play every pair of players on a multi-agent game (seats swapped each game) "
                                    "and print openskill (TrueSkill-style) ratings with each player's W / D / L.")
    rt.add_argument("env", help="a multi-agent game id, e.g. agentgym/TicTacToeMA-v0")
    rt.add_argument("--player", action="append", default=[], metavar="NAME=SPEC", required=True,
                    help="a player: scripted, scripted:key=value,..., random, or a policy spec (hf:PATH, "
                         "openai:MODEL@URL); give two or more")
    rt.add_argument("-n", "--games-per-pair", type=_count(1), default=10, help="games per pair of players (10)")
    rt.add_argument("--split", default="heldout", help="task split the games start from (heldout)")
    rt.add_argument("--seed", type=int, default=0)
    rt.set_defaults(func=cmd_rate)

    view = sub.add_parser("view", help="build the HTML report of a run or a trajectories file",
                          description="Rebuild report.html from an eval folder's trajectories.jsonl and metrics.json, "
                                      "or build STEP.html beside a training run's rollouts/step_N.jsonl (per-turn "
                                      "rewards and advantages).")
    view.add_argument("run_dir", metavar="PATH", help="a folder written by `agentgym eval --out`, or a .jsonl file")
    view.set_defaults(func=cmd_view)

    importlib.import_module("agentgym.cli.webshop").register(sub)  # argparse only; the site loads when it runs

    # Training commands live with the trainers; they need the `train` extra (torch, transformers).
    for name in ("train", "demo"):
        try:
            importlib.import_module(f"agentgym.cli.{name}").register(sub)
        except ImportError as e:
            missing = sub.add_parser(name, help=f"(needs the train extra: {e})")
            missing.set_defaults(func=lambda a, e=e: _missing_extra(e))
    return p


# ---------------------------------------------------------------------------------------------------------------------
def cmd_envs_list(args: argparse.Namespace) -> int:
    from agentgym.registry import list_envs, plugin_errors, spec

    ids = list_envs()
    if args.json:
        print(json.dumps([{"id": i, "description": spec(i).description, "source": spec(i).source} for i in ids],
                         indent=2))
        return 0
    width = max(len(i) for i in ids) if ids else 10
    for i in ids:
        s = spec(i)
        src = "" if s.source == "agentgym" else f"  [plugin: {s.source}]"
        print(f"{i:<{width}}  {s.description}{src}")
    for name, err in plugin_errors().items():
        print(f"(plugin {name!r} failed to load: {err})", file=sys.stderr)
    return 0


def cmd_envs_info(args: argparse.Namespace) -> int:
    from agentgym.registry import make, spec

    s = spec(args.env)
    env = make(args.env)
    inner = getattr(env.unwrapped, "game", None) or env.unwrapped  # a single-seat view shows its game's rules
    print(f"{args.env}  ({s.entry_point})")
    if s.multiagent:
        print(textwrap.dedent(type(inner).__doc__ or "(no docstring)").strip())
        print(f"\nseats:             {', '.join(inner.possible_agents)}\nobservations and moves: text "
              f"(PettingZoo AEC)\nmax turns:         {inner.max_turns}\ntask suite:        {inner.suite.describe()}")
        env.close()
        return 0
    print(textwrap.dedent(type(inner).__doc__ or "(no docstring)").strip())
    inner = env.unwrapped
    print(f"\nobservation space: {inner.observation_space}\naction space:      {inner.action_space}")
    if hasattr(inner, "max_turns"):
        print(f"max turns:         {inner.max_turns}")
    suite = getattr(inner, "suite", None)
    if suite is not None:
        print(f"task suite:        {suite.describe()}")
    env.close()
    return 0


def cmd_envs_check(args: argparse.Namespace) -> int:
    from agentgym.registry import make
    from agentgym.testing import check_env

    from agentgym.registry import spec

    kwargs = _env_kwargs(args)
    if spec(args.env).multiagent:  # PettingZoo's api_test (and parallel_api_test) plus the text-game checks
        from agentgym.multiagent import check_game

        game_report = check_game(lambda: make(args.env, **kwargs), n_random_actions=args.actions, seed=args.seed,
                                 raise_on_error=False, name=args.env)
        print(game_report)
        return 0 if game_report.ok else 1
    report = check_env(lambda: make(args.env, **kwargs), n_random_actions=args.actions,
                       n_oracle_tasks=args.oracle_tasks, seed=args.seed, raise_on_error=False)
    report.env = args.env
    print(report)
    return 0 if report.ok else 1


def cmd_envs_play(args: argparse.Namespace) -> int:
    from agentgym.policies.scripted import HumanPolicy, OraclePolicy, RandomPolicy
    from agentgym.rollout import rollout

    policies = {"human": HumanPolicy, "oracle": OraclePolicy, "random": RandomPolicy}
    if args.policy not in policies:
        raise ValueError(f"--policy must be one of {sorted(policies)} for play, got {args.policy!r}")
    kwargs = _env_kwargs(args)
    task = args.task
    if task is None:
        from agentgym.evaluation import select_tasks
        import random

        tasks = select_tasks(args.env, args.split, None, kwargs)
        task = random.Random(args.seed).choice(tasks)
    policy = policies[args.policy]()
    if args.policy != "human":
        shown = OraclePolicy if args.policy == "oracle" else RandomPolicy
        policy = _Narrated(shown() if shown is OraclePolicy else shown(seed=args.seed or 0))
    try:
        trajs = rollout(args.env, policy, [task], seed=args.seed or 0, env_kwargs=kwargs)
    except EOFError:
        print("\nbye")
        return 0
    t = trajs[0]
    if t.error is not None and t.error.message.startswith("EOFError"):
        print("\nbye")
        return 0
    if t.error is not None:
        print(f"agentgym: error: the episode failed ({t.error.kind}): {t.error.message}", file=sys.stderr)
        return 1
    print("\n" + t.metadata.get("final_observation", ""))
    print(f"\n{'SUCCESS' if t.success else 'episode over'}: reward {t.total_reward:.2f} in {t.num_turns} turns")
    return 0


class _Narrated:
    """Shows a scripted policy's moves as a person would see them in `envs play`."""

    tokenizer = None

    def __init__(self, inner: Any):
        self.inner = inner

    def act(self, conversations):
        out = self.inner.act(conversations)
        for c, comp in zip(conversations, out):
            print("\n" + c.messages[-1].text + f"\n> {comp.text}")
        return out


def cmd_eval(args: argparse.Namespace) -> int:
    from agentgym.evaluation import evaluate
    from agentgym.interrupts import on_interrupt, raise_keyboard_interrupt
    from agentgym.policies import load_policy

    if args.like:
        _apply_manifest(args)
    elif not args.env or not args.policy:
        raise ValueError("agentgym eval needs an env id and --policy (or --like RUN to rerun an earlier eval)")
    if args.resume and not args.out:
        raise ValueError("--resume continues the eval in a folder: pass its --out DIR")
    kwargs = _generation_kwargs(args.policy, args.max_new_tokens, args.temperature)
    if args.policy.startswith("openai:"):
        if args.request_timeout <= 0 or args.max_retries < 0:
            raise ValueError(f"--request-timeout must be > 0 and --max-retries >= 0, got {args.request_timeout} "
                             f"and {args.max_retries}")
        kwargs.update(timeout=args.request_timeout, max_retries=args.max_retries)
        if args.logprobs:
            kwargs["logprobs"] = True
        # Episodes in flight = requests in flight: with 1, each episode's turns reach the server back to back, so a
        # prompt-caching server re-reads only the new turn (sticky), instead of interleaved conversations evicting
        # each other's cache.
        kwargs["max_workers"] = args.concurrency or 1
        args.batch_size = args.concurrency or 1
    elif args.concurrency is not None:
        raise ValueError("--concurrency applies to openai: policies; use --batch-size for hf: and vllm:")
    policy = load_policy(args.policy, **kwargs)
    from agentgym.run_dirs import claim_new_dir

    claimed = None if args.out else claim_new_dir(os.path.join("runs", "eval-" + _slug(args.env) + "-" +
                                                                 _slug(args.policy)))
    out = args.out or claimed
    from agentgym.evaluation import generation_settings

    settings = generation_settings(policy)
    if settings:
        print("generation: " + ", ".join(f"{k}={v}" for k, v in settings.items() if v is not None), file=sys.stderr)
    try:
        # SIGTERM and SIGINT become KeyboardInterrupt, so the eval writes what finished (marked partial).
        with on_interrupt(raise_keyboard_interrupt):
            result = evaluate(args.env, policy, split=args.split, n=args.n, group_size=args.group_size,
                              seed=args.seed, out_dir=out, max_turns=args.max_turns, batch_size=args.batch_size,
                              progress=True, env_kwargs=_env_kwargs(args), policy_name=args.policy,
                              executor=args.executor, history=args.history, window_turns=args.window_turns,
                              repeat=args.repeat, resume=args.resume, overwrite=args.overwrite)
    except KeyboardInterrupt:
        done = _episodes_done(out)
        print(f"\ninterrupted: {done} finished episodes are saved in {out} (metrics.json and report.html marked "
              f"partial); continue with: agentgym eval ... --out {out} --resume", file=sys.stderr)
        return 130
    except BaseException:
        if claimed is not None and not os.listdir(claimed):
            os.rmdir(claimed)  # an eval refused before its first write leaves no empty default folder behind
        raise
    print(f"{args.policy} on {args.env} [{args.split}]")
    print(result.summary())
    if result.all_errored:
        print(f"agentgym: error: every episode ended in an error; nothing was measured (see {out})", file=sys.stderr)
        return 1
    return 0


def cmd_rate(args: argparse.Namespace) -> int:
    from agentgym.ratings import format_table, rate, round_robin

    players: dict[str, Any] = {}
    for item in args.player:
        name, eq, spec = item.partition("=")
        if not eq or not name or not spec:
            raise ValueError(f"--player takes NAME=SPEC (e.g. minimax=scripted), got {item!r}")
        if spec.split(":", 1)[0] in ("scripted", "random", "pool"):
            players[name] = spec
        else:
            from agentgym.policies import load_policy

            players[name] = load_policy(spec)
    matches = round_robin(args.env, players, games_per_pair=args.games_per_pair, split=args.split, seed=args.seed)
    print(f"{len(matches)} games on {args.env} [{args.split}]")
    print(format_table(rate(matches)))
    return 0


def _apply_manifest(args: argparse.Namespace) -> None:
    """--like RUN: take the eval's settings from RUN/manifest.json (what decides its results)."""
    from agentgym import manifest

    m = manifest.read(args.like)
    if m.get("kind") != "eval":
        raise ValueError(f"--like {args.like!r}: its manifest.json describes a {m.get('kind')!r} run, not an eval")
    st = m.get("settings", {})
    args.env, args.policy, args.split, args.seed = m["env"]["id"], m["policy"]["spec"], m["split"], m["seed"]
    args.env_arg = [f"{k}={json.dumps(v)}" for k, v in m["env"].get("kwargs", {}).items()]
    args.n, args.group_size, args.max_turns = st.get("n"), st.get("group_size", 1), st.get("max_turns")
    args.batch_size, args.history = st.get("batch_size", 32), st.get("history", "full")
    args.window_turns, args.repeat = st.get("window_turns", 2), st.get("repeat", False)
    gen = st.get("generation", {})
    kind = args.policy.partition(":")[0]
    if kind == "hf":
        args.max_new_tokens = gen.get("max_new_tokens")
        args.temperature = 0.0 if gen.get("greedy") else gen.get("temperature")
    elif kind in ("openai", "vllm"):
        args.max_new_tokens, args.temperature = gen.get("max_tokens"), gen.get("temperature")
        args.logprobs = bool(gen.get("logprobs", False))


def _episodes_done(out: str) -> int:
    try:
        with open(os.path.join(out, "metrics.json"), encoding="utf-8") as f:
            return int(json.load(f)["run"].get("episodes_done", 0))
    except (OSError, ValueError, KeyError):
        return 0


def _generation_kwargs(spec: str, max_new_tokens: int | None, temperature: float | None) -> dict[str, Any]:
    """--max-new-tokens / --temperature in each backend's own terms; temperature 0 means greedy everywhere."""
    if max_new_tokens is None and temperature is None:
        return {}
    kind = spec.partition(":")[0] if ":" in spec else spec
    if kind not in ("hf", "vllm", "openai"):
        raise ValueError(f"--max-new-tokens and --temperature apply to model policies (hf:, vllm:, openai:), "
                         f"not to {spec!r}")
    if max_new_tokens is not None and max_new_tokens < 1:
        raise ValueError(f"--max-new-tokens must be >= 1, got {max_new_tokens}")
    if temperature is not None and temperature < 0:
        raise ValueError(f"--temperature must be >= 0 (0 = greedy), got {temperature}")
    if kind == "hf":
        kw: dict[str, Any] = {} if max_new_tokens is None else {"max_new_tokens": max_new_tokens}
        if temperature == 0:
            kw["do_sample"] = False
        elif temperature is not None:
            kw["temperature"] = temperature
        return kw
    if kind == "openai":  # the server's own parameter names
        return {k: v for k, v in (("max_tokens", max_new_tokens), ("temperature", temperature)) if v is not None}
    from agentgym.policies.vllm import _import_vllm  # kind == "vllm": VLLMPolicy takes a plain SamplingParams

    params = {k: v for k, v in (("max_tokens", max_new_tokens), ("temperature", temperature)) if v is not None}
    return {"sampling_params": _import_vllm().SamplingParams(**params)}


def cmd_view(args: argparse.Namespace) -> int:
    from agentgym.report.html import write_report

    target = args.run_dir
    if os.path.isfile(target):  # a JSONL of trajectories, e.g. a training run's rollouts/step_N.jsonl
        traj_path, out_dir = target, os.path.dirname(target)
        out = os.path.splitext(target)[0] + ".html"
    else:
        traj_path, out_dir = os.path.join(target, "trajectories.jsonl"), target
        out = os.path.join(target, "report.html")
    if not os.path.exists(traj_path):
        raise FileNotFoundError(f"{traj_path} does not exist: pass a folder written by `agentgym eval --out DIR` or "
                                "a trajectories JSONL file (a training run's rollouts/step_N.jsonl)")
    metrics, run = {}, {}
    mpath = os.path.join(out_dir, "metrics.json")
    if os.path.isfile(mpath) and not os.path.isfile(target):
        try:
            with open(mpath, encoding="utf-8") as f:
                data = json.load(f)
        except ValueError as e:
            raise ValueError(f"{mpath} is not valid JSON ({e}); delete it to rebuild the report from the "
                             "trajectories alone") from None
        metrics, run = data.get("metrics", {}), data.get("run", {})
    from agentgym.eval_output import read_trajectories

    trajs = read_trajectories(traj_path)  # a last line cut short is skipped with a warning naming file and line
    if not metrics:
        from agentgym.evaluation import eval_metrics

        metrics = eval_metrics(trajs)
    title = f"{run.get('policy', 'run')} on {run.get('env', trajs[0].env_id if trajs else '?')}"
    write_report(out, trajs, metrics, title=title, run=run or {"file": traj_path})
    print(f"report: {os.path.abspath(out)}  (open it in a browser)")
    return 0


# ---------------------------------------------------------------------------------------------------------------------
def _add_env_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env-arg", action="append", default=[], metavar="KEY=VALUE",
                   help="keyword argument for the env constructor (JSON values), e.g. --env-arg level=\"easy\"")


def _env_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in getattr(args, "env_arg", []):
        if "=" not in item:
            raise ValueError(f"--env-arg takes KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v  # bare words are strings: --env-arg level=easy
    return out


def _slug(s: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in s).strip("_")


def _missing_extra(e: Exception) -> int:
    print(f"agentgym: this command needs the training extra: pip install 'agentgym[train]' ({e})", file=sys.stderr)
    return 2


def _version() -> str:
    from agentgym import __version__

    return __version__


if __name__ == "__main__":
    sys.exit(main())
