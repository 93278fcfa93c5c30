"""Multi-agent text games: the PettingZoo AEC contract with text observations and text moves, and the single-seat view.

`TextGame` is a `pettingzoo.AECEnv` (`agent_iter`, `last`, `step`) whose observations and actions are text. A game
implements a handful of hooks (whose turn, the legal moves, parsing a move, applying it, what a seat sees, the
payoffs) and inherits the contract:

- every seat's info carries the single-agent keys (task_id, turn, valid_action, success, progress) plus
  admissible_actions (the legal moves, for the seat to move), seat, outcome ("win" | "draw" | "loss" | None) and
  answer where the task has one;
- an illegal or unparseable move never raises and never changes the game state: the mover gets feedback in its own
  observation, valid_action = False, reward 0, and is asked again;
- reset(seed=...) with the same seed and task gives the same game (chance from one seeded generator);
- a turn limit (every call to step counts, legal or not) truncates every seat; the game's own end terminates them;
- with `forfeit_after = K`, a seat that makes K illegal moves in a row forfeits (TextArena's rule): without it a
  seat about to lose can stall to the turn limit, where nobody is paid, and RL learns exactly that;
- task suites with train and held-out splits, as single-agent envs have.

`as_single_agent(game, seat, opponents)` turns one seat (or each seat in turn) into an `agentgym.AgentEnv` against
fixed opponents (scripted, random, or any agentgym Policy), so `check_env`, `agentgym eval` and every trainer run on
it unchanged. `check_game` runs PettingZoo's own `api_test` (and `parallel_api_test` for simultaneous games, through
PettingZoo's aec_to_parallel converter) plus the text-game checks; `agentgym envs check` calls it for multi-agent ids.

Needs the `multiagent` extra (pettingzoo); importing this module without it raises an error that names it.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agentgym.core import AgentEnv, StepOutcome, Task, TaskSuite, UnicodeText, pick_task, text_space

try:
    from pettingzoo import AECEnv
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError("agentgym's multi-agent games need PettingZoo: pip install 'agentgym[multiagent]'") from e

OUTCOMES = ("win", "draw", "loss")


def missing_extra(package: str, extra: str = "multiagent") -> ImportError:
    return ImportError(f"this game needs {package}: pip install 'agentgym[{extra}]'")


def normalise(text: str) -> str:
    """A move as the parser compares it: the first non-empty line, lower case, without surrounding punctuation,
    quotes or a leading 'move:' / 'action:' label."""
    line = next((ln for ln in str(text).splitlines() if ln.strip()), "")
    line = line.strip().strip("`'\"*").strip()
    line = re.sub(r"^(my\s+)?(move|action|play|answer)\s*[:=]\s*", "", line, flags=re.I)
    return line.strip().strip(".!").strip().lower()


class GameText(str):
    """A seat's observation: a plain str that also carries the dtype of gymnasium's Text space. PettingZoo 1.27's
    api_test compares `observation.dtype` with `observation_space.dtype`, which a Python str does not have; this
    subclass lets text observations pass that check unchanged in every other way."""

    dtype = np.dtype(str)


class MoveText(UnicodeText):
    """The action space of a seat: any text. `sample()` draws one of the seat's legal moves half of the time and a
    random string otherwise, so PettingZoo's api_test (which plays `action_space(agent).sample()`) plays games to
    their end and also sends illegal moves. With `legal_only` it always draws a legal move: PettingZoo's
    aec_to_parallel converter needs every seat to move once per cycle, which a rejected move would break."""

    legal_only = False

    def __init__(self, game: TextGame, agent: str, max_length: int = 4096):
        super().__init__(max_length)
        self._game, self._agent = game, agent

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        if self.legal_only:  # a parallel step samples every seat's move before any is played
            legal = self._game.cycle_moves(self._agent)
        else:
            legal = self._game.legal_moves(self._agent) if self._game.agent_selection == self._agent else []
        if legal and (self.legal_only or self.np_random.random() < 0.5):
            return legal[int(self.np_random.integers(len(legal)))]
        return super().sample()


class TextGame(AECEnv):
    """Base class of agentgym's multi-agent text games (a PettingZoo AEC env). Subclasses set `possible_agents`,
    `suite`, `metadata["name"]` and implement the hooks below."""

    metadata = {"render_modes": ["ansi"], "name": "text_game_v0", "is_parallelizable": False}
    possible_agents: list[str] = []
    suite: TaskSuite
    default_max_turns: int = 50
    seat_max_turns: int = 25
    """Turn limit of one seat in the single-seat view."""
    oracle_wins_every_task: bool = True
    """False for games where no strategy wins every task against the scripted opponent (chance, simultaneous moves):
    the single-seat view then tells check_env to require only that the oracle plays valid moves to the end."""

    def __init__(self, *, max_turns: int | None = None, split: str | None = None, render_mode: str | None = None,
                 list_moves: bool = True, forfeit_after: int | None = None):
        super().__init__()
        if max_turns is not None and max_turns < 1:
            raise ValueError(f"max_turns must be >= 1, got {max_turns}")
        if forfeit_after is not None and (isinstance(forfeit_after, bool) or not isinstance(forfeit_after, int)
                                          or forfeit_after < 1):
            raise ValueError(f"forfeit_after must be None or an integer >= 1, got {forfeit_after!r}")
        self.forfeit_after = forfeit_after
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.max_turns = max_turns or self.default_max_turns
        self.default_split = split or self.suite.train_splits[0]
        self.suite.split(self.default_split)
        self.render_mode = render_mode
        self.list_moves = list_moves
        self.agents = list(self.possible_agents)
        self._obs_spaces = {a: text_space() for a in self.possible_agents}
        self._act_spaces = {a: MoveText(self, a) for a in self.possible_agents}
        self._rng = np.random.default_rng()
        self.task: Task | None = None
        self.turn = 0
        self.agent_selection = self.possible_agents[0]
        self.rewards: dict[str, float] = {}
        self._cumulative_rewards: dict[str, float] = {}
        self.terminations: dict[str, bool] = {}
        self.truncations: dict[str, bool] = {}
        self.infos: dict[str, dict[str, Any]] = {}
        self._feedback: dict[str, str] = {}
        self._valid: dict[str, bool] = {}
        self._payoff: dict[str, float] | None = None
        self._illegal_streak: dict[str, int] = {}

    # -- hooks ----------------------------------------------------------------------------------------------------------
    def _start(self, task: Task, rng: np.random.Generator) -> None:
        """Set up the game of `task` (chance drawn from rng)."""
        raise NotImplementedError

    def _to_move(self) -> str:
        """The seat whose turn it is (the game is not over)."""
        raise NotImplementedError

    def legal_moves(self, agent: str) -> list[str]:
        """The canonical text of every legal move of `agent` now (empty when it is not its turn)."""
        raise NotImplementedError

    def cycle_moves(self, agent: str) -> list[str]:
        """Simultaneous games: the moves `agent` may choose this cycle, asked before its turn comes (the parallel
        API collects every seat's move first). Turn-based games: its legal moves."""
        return self.legal_moves(agent)

    def _parse(self, agent: str, text: str) -> tuple[Any, str]:
        """(move, "") for a legal move, (None, why) otherwise. Never raises."""
        raise NotImplementedError

    def _apply(self, agent: str, move: Any) -> str:
        """Play a legal move; return the public line that describes it ("X plays b2."), which `_view` shows."""
        raise NotImplementedError

    def _view(self, agent: str) -> str:
        """What `agent` sees of the game (its private information only)."""
        raise NotImplementedError

    def _payoffs(self) -> dict[str, float] | None:
        """Each seat's payoff once the game is over; None while it goes on."""
        raise NotImplementedError

    def scripted_action(self, agent: str, **params: Any) -> str:
        """A strong scripted player's move for `agent` (params tune its strength: depth, skill level, ...)."""
        raise NotImplementedError

    def oracle_action(self, agent: str | None = None) -> str:
        """The expert's move for `agent` (default: the seat to move): the strongest scripted player."""
        return self.scripted_action(agent or self.agent_selection)

    def _forfeit_payoffs(self, agent: str) -> dict[str, float]:
        """The payoffs when `agent` forfeits (forfeit_after illegal moves in a row). Default: a fold where fold is
        a legal move (poker: the forfeiter loses what it has put in), otherwise the forfeiter -1 and the other seats
        share +1."""
        if "fold" in self.legal_moves(agent):
            self._apply(agent, self._parse(agent, "fold")[0])
            payoff = self._payoffs()
            if payoff is not None:
                return payoff
        others = [a for a in self.possible_agents if a != agent]
        return {a: -1.0 if a == agent else 1.0 / len(others) for a in self.possible_agents}

    def _success(self, agent: str, payoff: float) -> bool:
        """Whether a finished game counts as a success for `agent` (default: it won)."""
        return payoff > 0

    def _progress(self, agent: str) -> float:
        return 1.0 if self._payoff is not None else 0.0

    def system_prompt(self, agent: str) -> str:
        return "You are playing a game. Reply with exactly one legal move per turn."

    # -- PettingZoo API -------------------------------------------------------------------------------------------------
    def observation_space(self, agent: str) -> UnicodeText:
        return self._obs_spaces[agent]

    def action_space(self, agent: str) -> MoveText:
        return self._act_spaces[agent]

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
            for i, a in enumerate(self.possible_agents):
                self._act_spaces[a].seed(seed + i)
        options = dict(options or {})
        self.task = self._pick_task(options)
        self.agents = list(self.possible_agents)
        self.turn = 0
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self._feedback = dict.fromkeys(self.agents, "")
        self._valid = dict.fromkeys(self.agents, True)
        self._payoff = None
        self._illegal_streak = dict.fromkeys(self.agents, 0)
        self._skip_agent_selection = None
        self._start(self.task, self._rng)
        self.agent_selection = self._to_move()
        self._refresh_infos()

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        self._cumulative_rewards[agent] = 0.0
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self.turn += 1
        if not isinstance(action, str):
            move, why = None, f"moves are text, got {type(action).__name__}"
        else:
            try:
                move, why = self._parse(agent, action)
            except Exception as e:  # a parser bug must not crash a rollout; it is still an illegal move
                move, why = None, f"could not read the move ({type(e).__name__})"
        if move is None:
            self._valid[agent] = False
            legal = self.legal_moves(agent)
            hint = f" Legal moves: {', '.join(legal)}." if legal and self.list_moves else ""
            self._feedback[agent] = f"Illegal move {_quote(action)}: {why}{hint}"
            self._illegal_streak[agent] += 1
            if self.forfeit_after is not None and self._illegal_streak[agent] >= self.forfeit_after:
                self._payoff = self._forfeit_payoffs(agent)
                line = f"{agent} forfeits after {self._illegal_streak[agent]} illegal moves in a row."
                self._feedback = {a: (self._feedback[a] + " " if a == agent else "") + line for a in self.agents}
        else:
            self._valid[agent] = True
            self._illegal_streak[agent] = 0
            self._apply(agent, move)
            self._feedback = dict.fromkeys(self.agents, "")
            self._payoff = self._payoffs()
        if self._payoff is not None:
            for a in self.agents:
                self.rewards[a] = float(self._payoff[a])
            self.terminations = dict.fromkeys(self.agents, True)
        elif self.turn >= self.max_turns:
            self.truncations = dict.fromkeys(self.agents, True)
        if self._payoff is None and not any(self.truncations.values()):
            self.agent_selection = self._to_move()
        self._refresh_infos()
        self._accumulate_rewards()

    def observe(self, agent: str) -> GameText:
        parts = []
        if self._feedback.get(agent):
            parts.append(self._feedback[agent])
        parts.append(self._view(agent))
        if self._payoff is not None:
            outcome = self.infos[agent]["outcome"]
            parts.append(f"Game over: you {'won' if outcome == 'win' else 'lost' if outcome == 'loss' else 'drew'} "
                         f"(payoff {self._payoff[agent]:+g}).")
        elif any(self.truncations.values()):
            parts.append("Game over: the turn limit was reached.")
        elif agent == self.agent_selection:
            legal = self.legal_moves(agent)
            parts.append("Your move." + (f" Legal moves: {', '.join(legal)}." if self.list_moves else ""))
        else:
            parts.append(f"Waiting for {self.agent_selection}.")
        return GameText("\n".join(parts))

    def render(self) -> str | None:
        if self.render_mode == "ansi":
            return self.observe(self.agent_selection)
        return None

    def close(self) -> None:
        pass

    # -- helpers --------------------------------------------------------------------------------------------------------
    def _pick_task(self, options: dict[str, Any]) -> Task:
        return pick_task(self.suite, options, self.default_split, self._rng)

    def outcome(self, agent: str) -> str | None:
        if self._payoff is None:
            return None
        others = [p for a, p in self._payoff.items() if a != agent]
        mine = self._payoff[agent]
        best_other = max(others) if others else 0.0
        return "win" if mine > best_other else "loss" if mine < best_other else "draw"

    def _refresh_infos(self) -> None:
        assert self.task is not None
        self.infos = {}
        for a in self.agents:
            over = self._payoff is not None
            info: dict[str, Any] = {
                "task_id": self.task.id, "turn": self.turn, "valid_action": self._valid.get(a, True),
                "success": bool(over and self._success(a, self._payoff[a])),  # type: ignore[index]
                "progress": float(self._progress(a)), "seat": a, "outcome": self.outcome(a),
                "admissible_actions": self.legal_moves(a) if not over and a == self.agent_selection else [],
            }
            if self.task.answer is not None:
                info["answer"] = self.task.answer
            self.infos[a] = info

    @property
    def game_over(self) -> bool:
        return self._payoff is not None or any(self.truncations.values())

    def state_key(self) -> Any:
        """A value that changes whenever the game state does (used to test that an illegal move changes nothing)."""
        return (self.agent_selection, tuple(self.legal_moves(self.agent_selection)),
                tuple(self._view(a) for a in self.possible_agents), self._payoff)


def _quote(action: Any) -> str:
    s = str(action)
    return repr(s[:40] + ("..." if len(s) > 40 else ""))


# ---------------------------------------------------------------------------------------------------------------------
# Opponents
# ---------------------------------------------------------------------------------------------------------------------
class Opponent:
    """A fixed player for the seats the single-seat view does not learn. `act` returns the move text."""

    name = "opponent"

    def reset(self, seed: int) -> None:
        """Called at the start of every episode with a seed drawn from the episode's generator."""

    def act(self, game: TextGame, agent: str) -> str:
        raise NotImplementedError


class ScriptedOpponent(Opponent):
    """The game's scripted player (`TextGame.scripted_action`), with strength params (depth=2, skill=0, ...)."""

    def __init__(self, **params: Any):
        self.params = params
        self.name = "scripted" + (":" + ",".join(f"{k}={v}" for k, v in sorted(params.items())) if params else "")

    def act(self, game: TextGame, agent: str) -> str:
        return game.scripted_action(agent, **self.params)


class RandomOpponent(Opponent):
    """A uniformly random legal move."""

    name = "random"

    def __init__(self) -> None:
        self._rng = random.Random(0)

    def reset(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def act(self, game: TextGame, agent: str) -> str:
        return self._rng.choice(game.legal_moves(agent))


class PolicyOpponent(Opponent):
    """Any agentgym Policy (a model, a server, a frozen copy of the learner) playing a seat. It sees that seat's
    observations as a conversation; after `max_tries` illegal replies in a row the opponent plays a random legal
    move, so a weak model cannot stall the game."""

    def __init__(self, policy: Any, *, name: str = "policy", max_tries: int = 3):
        self.policy, self.name, self.max_tries = policy, name, max_tries
        self._messages: dict[str, list[Any]] = {}
        self._seed = 0
        self._rng = random.Random(0)

    def reset(self, seed: int) -> None:
        self._messages, self._seed, self._rng = {}, seed, random.Random(seed)

    def act(self, game: TextGame, agent: str) -> str:
        from agentgym.policies.base import Conversation
        from agentgym.types import Message

        msgs = self._messages.setdefault(agent, [Message("system", game.system_prompt(agent))])
        for _ in range(self.max_tries):
            msgs.append(Message("user", game.observe(agent)))
            conv = Conversation(messages=list(msgs), info=dict(game.infos[agent]), seed=self._seed,
                                turn=len(msgs))
            text = self.policy.act([conv])[0].text
            msgs.append(Message("assistant", text))
            move, _ = game._parse(agent, text)
            if move is not None:
                return text
        return self._rng.choice(game.legal_moves(agent))


OPPONENT_POOLS: dict[str, list[Opponent]] = {}
"""Named pools of opponents that a trainer fills at run time (self-play against past checkpoints): an opponent spec
"pool:NAME" draws one member of OPPONENT_POOLS[NAME] per episode. Pools live in the process, so envs that use one
need the inline or thread executor."""


class PoolOpponent(Opponent):
    """One member of a named pool, drawn per episode. Every env holds its own copy of the member it drew (a shallow
    copy: the policy is shared, the per-game state is not), since many envs play against one pool at once and a
    shared member would mix their games into one conversation."""

    def __init__(self, pool: str):
        self.pool, self.name = pool, f"pool:{pool}"
        self._current: Opponent | None = None

    def reset(self, seed: int) -> None:
        members = OPPONENT_POOLS.get(self.pool)
        if not members:
            raise RuntimeError(f"opponent pool {self.pool!r} is empty: fill agentgym.multiagent.OPPONENT_POOLS"
                               f"[{self.pool!r}] (the self-play trainer does) before playing against it")
        self._current = copy.copy(members[random.Random(seed).randrange(len(members))])
        self._current.reset(seed)

    def act(self, game: TextGame, agent: str) -> str:
        assert self._current is not None
        return self._current.act(game, agent)


def make_opponent(spec: str | Opponent | Any) -> Opponent:
    """An opponent from a spec: "scripted", "scripted:depth=2,skill=0", "random", "pool:NAME", an Opponent, or an
    agentgym Policy (anything with act(conversations))."""
    if isinstance(spec, Opponent):
        return spec
    if hasattr(spec, "act") and not isinstance(spec, str):
        return PolicyOpponent(spec)
    if not isinstance(spec, str):
        raise TypeError(f"an opponent is a spec string, an Opponent or a Policy, got {type(spec).__name__}")
    kind, _, rest = spec.partition(":")
    if kind == "random" and not rest:
        return RandomOpponent()
    if kind == "pool" and rest:
        return PoolOpponent(rest)
    if kind == "scripted":
        params: dict[str, Any] = {}
        for item in filter(None, rest.split(",")):
            key, eq, value = item.partition("=")
            if not eq:
                raise ValueError(f"opponent spec {spec!r}: {item!r} is not key=value (e.g. 'scripted:depth=2')")
            params[key.strip()] = _literal(value.strip())
        return ScriptedOpponent(**params)
    raise ValueError(f"unknown opponent {spec!r}; use 'scripted', 'scripted:key=value,...', 'random', "
                     "'pool:NAME', an Opponent or a Policy")


def _literal(value: str) -> Any:
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(value.lower(), value)


# ---------------------------------------------------------------------------------------------------------------------
# The single-seat view
# ---------------------------------------------------------------------------------------------------------------------
def seat_suite(suite: TaskSuite, seats: Sequence[str]) -> TaskSuite:
    """The game's tasks once per seat: task "<id>@<seat>" plays `seat` in game task <id>."""
    splits = {name: [Task(id=f"{t.id}@{s}", split=name, seed=t.seed, params={**dict(t.params), "seat": s,
                                                                                 "game_task": t.id},
                          answer=t.answer, family=t.family) for t in suite.split(name) for s in seats]
              for name in suite.split_names}
    return TaskSuite(f"{suite.name}-seat", suite.version, splits, train_splits=suite.train_splits)


class SingleSeatEnv(AgentEnv):
    """One seat of a TextGame as a Gymnasium AgentEnv: the opponents' moves are played inside step(), the reward is
    the seat's payoff when the game ends (0 before), and info carries the seat's game info (admissible_actions,
    outcome, seat). The turn limit counts this seat's moves, legal or not."""

    def __init__(self, game: TextGame, seat: str = "each", opponents: Any = "scripted", *,
                 max_turns: int | None = None, split: str | None = None, render_mode: str | None = None):
        if seat != "each" and seat not in game.possible_agents:
            raise ValueError(f"seat must be one of {game.possible_agents} or 'each', got {seat!r}")
        self.game = game
        self.seats = list(game.possible_agents) if seat == "each" else [seat]
        if isinstance(opponents, Mapping):
            missing = [a for a in game.possible_agents if a not in opponents and a not in self.seats]
            if missing and seat != "each":
                raise ValueError(f"opponents has no player for seat(s) {missing}")
            self.opponents = {a: make_opponent(o) for a, o in opponents.items()}
        else:
            self.opponents = {a: make_opponent(opponents) for a in game.possible_agents}
        self.suite = seat_suite(game.suite, self.seats)
        super().__init__(max_turns=max_turns or game.seat_max_turns, split=split, render_mode=render_mode)
        # The game's own limit must never cut before this seat's: every seat moves at most this often per turn of ours.
        game.max_turns = (self.max_turns + 1) * len(game.possible_agents) * 4
        self.oracle_wins_every_task = game.oracle_wins_every_task
        self.seat = self.seats[0]

    @property
    def system_prompt(self) -> str:
        return self.game.system_prompt(self.seat)

    def _start(self, task: Task, rng: np.random.Generator) -> str:
        self.seat = str(task.params["seat"])
        game_task = self.game.suite.get(str(task.params["game_task"])) if "game_task" in task.params else task
        # A deal in which the opponents end the game before this seat moves (a first-to-act fold in Leduc) has
        # nothing to learn from: deal again from the next seed (at most 20 times).
        for _ in range(20):
            self.game.reset(seed=int(rng.integers(2**31)), options={"task": game_task})
            for o in {id(o): o for o in self.opponents.values()}.values():
                o.reset(int(rng.integers(2**31)))
            self._play_opponents()
            if not self.game.game_over:
                break
        return str(self.game.observe(self.seat))

    def _play_opponents(self) -> None:
        g = self.game
        while not g.game_over and g.agent_selection != self.seat:
            agent = g.agent_selection
            g.step(self.opponents[agent].act(g, agent))

    def _act(self, action: str) -> StepOutcome:
        g = self.game
        g.step(action)  # resets this seat's accumulated reward, then every later step adds to it (PettingZoo)
        info = g.infos[self.seat]
        valid = bool(info["valid_action"])
        if valid:
            self._play_opponents()
        info = g.infos[self.seat]
        reward = float(g._cumulative_rewards.get(self.seat, 0.0))
        return StepOutcome(observation=str(g.observe(self.seat)), reward=reward, terminated=g._payoff is not None,
                           valid_action=valid, success=bool(info["success"]), progress=float(info["progress"]),
                           info={k: v for k, v in info.items() if k not in ("task_id", "turn", "valid_action",
                                                                             "success", "progress")})

    def _extra_info(self) -> dict[str, Any]:
        info = self.game.infos.get(self.seat, {})
        return {"admissible_actions": list(info.get("admissible_actions", [])), "seat": self.seat,
                "outcome": info.get("outcome")}

    def oracle_action(self) -> str:
        if self.game.task is None:
            raise RuntimeError("call reset() before oracle_action()")
        return self.game.oracle_action(self.seat)

    def close(self) -> None:
        self.game.close()
        for o in self.opponents.values():
            close = getattr(o, "close", None)
            if close is not None:
                close()


def as_single_agent(env: TextGame, seat: str = "each", opponents: Any = "scripted", **kwargs: Any) -> SingleSeatEnv:
    """One seat of a multi-agent text game as a Gymnasium AgentEnv against fixed opponents.

    seat: a seat name (env.possible_agents) or "each" (the task suite holds every game task once per seat).
    opponents: one spec for every other seat, or a {seat: spec} mapping; a spec is "scripted" (the game's strong
        scripted player), "scripted:key=value,..." (its strength params), "random", "pool:NAME", an Opponent, or an
        agentgym Policy.
    """
    return SingleSeatEnv(env, seat, opponents, **kwargs)


# ---------------------------------------------------------------------------------------------------------------------
# Checks: PettingZoo's own tests plus the text-game contract
# ---------------------------------------------------------------------------------------------------------------------
@dataclass
class GameCheckReport:
    env: str
    problems: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        lines = [f"check_game({self.env}): " + ("PASSED" if self.ok else f"{len(self.problems)} problem(s)")]
        lines += [f"  ok    {p}" for p in self.passed]
        lines += [f"  FAIL  {p}" for p in self.problems]
        return "\n".join(lines)


def check_game(factory: Callable[[], TextGame], *, n_random_actions: int = 2000, seed: int = 0,
               raise_on_error: bool = True, name: str | None = None) -> GameCheckReport:
    """PettingZoo's api_test (and parallel_api_test for simultaneous games), then: every seat's info keys, seeded
    determinism, `n_random_actions` random strings that never raise and never change the state, and the scripted
    players finishing a game from every split."""
    import contextlib
    import io
    import traceback
    import warnings

    from pettingzoo.test import api_test, parallel_api_test
    from pettingzoo.utils.conversions import aec_to_parallel

    made: list[TextGame] = []
    raw_factory = factory

    def factory() -> TextGame:  # every env the checks build is closed at the end (engines, subprocesses)
        made.append(raw_factory())
        return made[-1]

    report = GameCheckReport(env=name or type(factory()).__name__)

    def pz_api() -> None:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")  # text observations are not numpy arrays; PettingZoo warns about it
            api_test(factory(), num_cycles=200)

    def pz_parallel() -> None:
        env = factory()
        for a in env.possible_agents:
            env.action_space(a).legal_only = True
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parallel_api_test(aec_to_parallel(env), num_cycles=200)

    checks: list[tuple[str, Callable[[], None]]] = [("PettingZoo api_test", pz_api)]
    if factory().metadata.get("is_parallelizable"):
        checks.append(("PettingZoo parallel_api_test (aec_to_parallel)", pz_parallel))
    checks += [
        ("info keys for every seat", lambda: _check_game_info(factory(), report, seed)),
        ("seeded determinism", lambda: _check_game_determinism(factory, report, seed)),
        (f"{n_random_actions} random strings never raise and never change the state",
         lambda: fuzz_game(factory(), n_random_actions, seed=seed, report=report)),
        ("scripted players finish a game of every split", lambda: _check_scripted(factory(), report)),
    ]
    for title, fn in checks:
        before = len(report.problems)
        try:
            fn()
        except Exception as e:
            tb = "".join(traceback.format_exc().splitlines(keepends=True)[-6:])
            report.problems.append(f"{title}: raised {type(e).__name__}: {e}\n{tb}")
        if len(report.problems) == before:
            report.passed.append(title)
    for env in made:
        env.close()
    if raise_on_error and not report.ok:
        raise AssertionError(str(report))
    return report


REQUIRED_GAME_INFO = ("task_id", "turn", "valid_action", "success", "progress", "seat", "outcome",
                      "admissible_actions")


def _check_game_info(env: TextGame, report: GameCheckReport, seed: int) -> None:
    env.reset(seed=seed)
    rng = random.Random(seed)
    for agent in env.agent_iter(200):
        for a, info in env.infos.items():
            missing = [k for k in REQUIRED_GAME_INFO if k not in info]
            if missing:
                report.problems.append(f"info of {a} lacks {missing}")
                return
            if not 0.0 <= info["progress"] <= 1.0:
                report.problems.append(f"info of {a}: progress {info['progress']!r} is not in [0, 1]")
        obs, r, term, trunc, info = env.last()
        if term or trunc:
            env.step(None)
            continue
        if not info["admissible_actions"]:
            report.problems.append(f"{agent} is to move but info['admissible_actions'] is empty")
            return
        env.step(rng.choice(info["admissible_actions"]))


def play_random_game(env: TextGame, seed: int, *, illegal_every: int = 0) -> list[Any]:
    """A trace of one game with random legal moves (and a junk move every `illegal_every` steps)."""
    rng = random.Random(seed)
    env.reset(seed=seed)
    trace: list[Any] = []
    for i, agent in enumerate(env.agent_iter(400)):
        obs, r, term, trunc, info = env.last()
        trace.append((agent, obs, r, term, trunc, info.get("outcome")))
        if term or trunc:
            env.step(None)
            continue
        if illegal_every and i % illegal_every == 0:
            env.step("xyzzy " + str(i))
        else:
            env.step(rng.choice(info["admissible_actions"]))
    return trace


def _check_game_determinism(factory: Callable[[], TextGame], report: GameCheckReport, seed: int) -> None:
    a, b = play_random_game(factory(), seed + 7, illegal_every=5), play_random_game(factory(), seed + 7,
                                                                                    illegal_every=5)
    if a != b:
        report.problems.append("not deterministic: the same seed and moves gave different games")


FUZZ_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789 .,:;!?-+=*/()[]{}'\"\n\tàé日本🙂"


def fuzz_game(env: TextGame, n: int, *, seed: int = 0, report: GameCheckReport | None = None) -> int:
    """Send `n` random strings as moves (interleaved with legal moves so games advance): none may raise, and every
    one the game rejects must leave its state unchanged and tell the mover why. Returns how many were illegal."""
    from agentgym.testing import ADVERSARIAL_ACTIONS

    rng = random.Random(seed)
    env.reset(seed=seed)
    illegal, failures = 0, []
    for i in range(n):
        if env.game_over:
            env.reset(seed=seed + i)
        agent = env.agent_selection
        legal = env.legal_moves(agent)
        if i < len(ADVERSARIAL_ACTIONS):
            action = ADVERSARIAL_ACTIONS[i]
        elif i % 4 == 3 and legal:
            action = rng.choice(legal)
        else:
            action = "".join(rng.choice(FUZZ_CHARS) for _ in range(rng.randint(0, 12)))
            if i % 4 == 1 and legal:  # near-misses: a legal move with noise around it
                action = rng.choice(["", "move ", "I play "]) + rng.choice(legal) + action
        before = env.state_key()
        try:
            env.step(action)
        except Exception as e:
            failures.append(f"step({action[:50]!r}) by {agent} raised {type(e).__name__}: {e}")
            env.reset(seed=seed + i)
            continue
        if not env.infos[agent]["valid_action"]:
            illegal += 1
            after = env.state_key() if not env.game_over else None
            if env.game_over and env._payoff is not None:
                failures.append(f"illegal move {action[:50]!r} by {agent} ended the game")
            elif after is not None and after != before:
                failures.append(f"illegal move {action[:50]!r} by {agent} changed the game state")
            elif not env.observe(agent).startswith("Illegal move"):
                failures.append(f"illegal move {action[:50]!r} by {agent} got no feedback")
    if failures:
        msg = f"{len(failures)} of {n} fuzzed moves broke the game; first ones:\n    " + "\n    ".join(failures[:5])
        if report is None:
            raise AssertionError(msg)
        report.problems.append(msg)
    return illegal


def _check_scripted(env: TextGame, report: GameCheckReport) -> None:
    for split in env.suite.split_names:
        env.reset(seed=0, options={"task": env.suite.split(split)[0]})
        steps = 0
        while not env.game_over and steps < 4 * env.max_turns:
            env.step(env.oracle_action(env.agent_selection))
            steps += 1
            if not env.infos[env.agent_selection if env.agent_selection in env.infos else env.agents[0]].get(
                    "valid_action", True):
                report.problems.append(f"the scripted player made an illegal move in {split}")
                return
        if env._payoff is None:
            report.problems.append(f"scripted players did not finish the game of split {split!r} in {steps} moves")
