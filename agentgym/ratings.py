"""Ratings of players (checkpoints, scripted players, random) from games between them: round-robin matches on a
multi-agent text game, rated with openskill's Plackett-Luce model (a maintained TrueSkill-style Bayesian rating;
`pip install 'agentgym[multiagent]'`).

    from agentgym.ratings import round_robin, rate
    matches = round_robin("agentgym/TicTacToeMA-v0", {"minimax": "scripted", "random": "random",
                                                      "step_50": load_policy("hf:runs/x")}, games_per_pair=20)
    table = rate(matches)          # name -> Rating(mu, sigma, ordinal, wins, draws, losses)

`agentgym rate GAME_ID --player NAME=SPEC ...` prints the same table.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Match:
    players: tuple[str, ...]
    """Who played each seat, in the game's seat order."""
    payoffs: tuple[float, ...]
    task_id: str
    finished: bool
    """False when the turn limit cut the game (rated as a draw)."""


@dataclass
class Rating:
    name: str
    mu: float
    sigma: float
    ordinal: float
    """mu - 3 sigma: a conservative skill estimate (openskill's ordinal), what the table sorts by."""
    wins: int = 0
    draws: int = 0
    losses: int = 0


def play_game(game: Any, seats: Mapping[str, Any], *, task: Any, seed: int) -> Match:
    """One game: each seat played by an Opponent (from agentgym.multiagent.make_opponent). A seat that keeps
    sending illegal moves is not stuck forever: the game's own turn limit ends it."""
    names = tuple(getattr(seats[a], "name", str(a)) for a in game.possible_agents)
    game.reset(seed=seed, options={"task": task})
    for i, o in enumerate({id(o): o for o in seats.values()}.values()):
        o.reset(seed * 7919 + i)
    while not game.game_over:
        agent = game.agent_selection
        game.step(seats[agent].act(game, agent))
    payoff = game._payoff or dict.fromkeys(game.possible_agents, 0.0)
    return Match(players=names, payoffs=tuple(float(payoff[a]) for a in game.possible_agents),
                 task_id=game.task.id, finished=game._payoff is not None)


def round_robin(game_id: str, players: Mapping[str, Any], *, games_per_pair: int = 10, split: str = "heldout",
                seed: int = 0) -> list[Match]:
    """Every pair of players meets `games_per_pair` times on tasks of `split`, swapping seats each game.
    players: name -> an opponent spec ("scripted", "scripted:depth=2", "random"), an Opponent, or a Policy."""
    from agentgym.multiagent import make_opponent
    from agentgym.registry import make

    if len(players) < 2:
        raise ValueError(f"a round robin needs at least 2 players, got {list(players)}")
    game = make(game_id)
    built = {}
    for name, spec in players.items():
        o = make_opponent(spec)
        o.name = name
        built[name] = o
    tasks = game.suite.split(split)
    rng = random.Random(seed)
    matches = []
    try:
        for a, b in itertools.combinations(built, 2):
            for k in range(games_per_pair):
                first, second = (a, b) if k % 2 == 0 else (b, a)
                seats = dict(zip(game.possible_agents, (built[first], built[second])))
                matches.append(play_game(game, seats, task=rng.choice(tasks), seed=rng.randrange(2**31)))
    finally:
        game.close()
    return matches


def rate(matches: Sequence[Match]) -> list[Rating]:
    """openskill Plackett-Luce ratings from the matches in order (ranks from the payoffs: ties share a rank),
    sorted by ordinal, best first."""
    try:
        from openskill.models import PlackettLuce
    except ImportError as e:
        raise ImportError("ratings need openskill: pip install 'agentgym[multiagent]'") from e

    model = PlackettLuce()
    ratings: dict[str, Any] = {}
    record: dict[str, list[int]] = {}
    for m in matches:
        teams = [[ratings.setdefault(p, model.rating(name=p))] for p in m.players]
        best = max(m.payoffs)
        ranks = [sorted(set(m.payoffs), reverse=True).index(p) for p in m.payoffs]
        new = model.rate(teams, ranks=ranks)
        for p, (r,) in zip(m.players, new):
            ratings[p] = r
        for p, pay in zip(m.players, m.payoffs):
            rec = record.setdefault(p, [0, 0, 0])
            rec[0 if pay == best and m.payoffs.count(best) == 1 else 1 if pay == best else 2] += 1
    out = [Rating(name=p, mu=r.mu, sigma=r.sigma, ordinal=r.ordinal(), wins=record[p][0], draws=record[p][1],
                  losses=record[p][2]) for p, r in ratings.items()]
    return sorted(out, key=lambda r: -r.ordinal)


def format_table(ratings: Sequence[Rating]) -> str:
    lines = [f"{'player':<16} {'ordinal':>8} {'mu':>7} {'sigma':>6}   W / D / L"]
    lines += [f"{r.name:<16} {r.ordinal:>8.2f} {r.mu:>7.2f} {r.sigma:>6.2f}   {r.wins} / {r.draws} / {r.losses}"
              for r in ratings]
    return "\n".join(lines)
