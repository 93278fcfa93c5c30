"""Games: steps/s and seconds per reset of every multi-agent game (random legal moves), and oracle vs random
success of the single-seat views on their held-out suites. Results go in docs/benchmarks/games.md.

    .venv/bin/python benchmarks/games_speed.py [--games tictactoe,kuhn,...] [--single TicTacToe,Taboo,...]
"""

from __future__ import annotations

import argparse
import random
import time

import agentgym
from agentgym.envs.games.single import GAMES, make_game


def speed(game: str, seconds: float = 3.0) -> tuple[float, float]:
    g = make_game(game)
    rng = random.Random(0)
    steps, resets, reset_s, t0 = 0, 0, 0.0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        t = time.perf_counter()
        g.reset(seed=resets)
        reset_s += time.perf_counter() - t
        resets += 1
        while not g.game_over:
            g.step(rng.choice(g.legal_moves(g.agent_selection)))
            steps += 1
    elapsed = time.perf_counter() - t0 - reset_s
    g.close()
    return steps / elapsed, reset_s / resets


def success(env_id: str, policy: str) -> tuple[float, float, int]:
    env = agentgym.make(env_id).unwrapped
    rng = random.Random(0)
    tasks = env.suite.split("heldout")
    wins, chips = 0, 0.0
    for i, task in enumerate(tasks):
        obs, info = env.reset(seed=i, options={"task": task})
        while True:
            action = env.oracle_action() if policy == "oracle" else rng.choice(info["admissible_actions"])
            obs, r, te, tr, info = env.step(action)
            chips += r
            if te or tr:
                break
        wins += bool(info["success"])
    env.close()
    return wins / len(tasks), chips / len(tasks), len(tasks)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--games", default=",".join(GAMES))
    p.add_argument("--single", default="TicTacToe,KuhnPoker,RockPaperScissors,Negotiation,Taboo,LeducHoldem,"
                                       "ConnectFour")
    args = p.parse_args()
    print("| game | steps/s (random legal moves) | s per reset |\n|---|---|---|")
    for game in filter(None, args.games.split(",")):
        sps, rs = speed(game)
        print(f"| {game} | {sps:,.0f} | {rs:.5f} |")
    print("\n| single-seat env (held-out) | tasks | oracle success | oracle mean reward | random success | "
          "random mean reward |\n|---|---|---|---|---|---|")
    for stem in filter(None, args.single.split(",")):
        env_id = f"agentgym/{stem}-v0"
        o, r = success(env_id, "oracle"), success(env_id, "random")
        print(f"| {env_id} | {o[2]} | {o[0]:.3f} | {o[1]:+.3f} | {r[0]:.3f} | {r[1]:+.3f} |")


if __name__ == "__main__":
    main()
