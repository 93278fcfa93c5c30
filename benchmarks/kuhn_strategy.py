"""What a Kuhn poker policy learnt, read from an eval's trajectories: per information set (card + betting so far)
how often it took the aggressive action (bet, or call facing a bet), the passive one (check or fold) or forfeited
(illegal moves; a fold when facing a bet), next to the Nash player's rate; and the exact expected chips against
the Nash player of that empirical strategy, in each seat, without the sampling noise of the eval's own mean.

    agentgym eval agentgym/KuhnPoker-v0 --policy hf:runs/games_kuhn_selfplay --group-size 25 --max-new-tokens 4 \\
        --env-arg forfeit_after=1 --out /tmp/kuhn_eval
    python benchmarks/kuhn_strategy.py /tmp/kuhn_eval/trajectories.jsonl

An information set the eval never reached is played 50/50 in the exact value.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import statistics

from agentgym.envs.games.kuhn import DEALS, TERMINAL, facing_bet, nash_strategy, payoff0, to_act

HISTORY_LETTER = {"checks": "c", "bets": "b", "calls": "c", "folds": "f"}
AGGRESSIVE = ("bet", "raise", "call")


def infoset(observation: str) -> str | None:
    """"Kc", "Qcb", ... from an observation's "Your card" and "Betting" lines (None when it has no card)."""
    card = re.search(r"Your card: ([JQK])", observation)
    if card is None:
        return None
    betting = re.search(r"Betting: (.*?)\.\n", observation)
    history = "" if betting is None else "".join(HISTORY_LETTER[w.split()[1]] for w in betting.group(1).split(", "))
    return card.group(1) + history


def empirical_strategy(path: str) -> tuple[dict[str, collections.Counter], list[float], float]:
    """Per infoset: decisions, aggressive, passive, forfeit counts; each hand's chips; the share of invalid turns."""
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    chips, turns, invalid = [], 0, 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            traj = json.loads(line)
            chips.append(sum(t["reward"] for t in traj["turns"]))
            current = None  # the infoset of a decision still open (an illegal move is asked again)
            for t in traj["turns"]:
                key = infoset(t["observation"])
                valid = t["info"].get("valid_action", True)
                turns += 1
                invalid += not valid
                if key != current:
                    counts[key]["decisions"] += 1
                    current = key
                if valid:
                    counts[key]["aggressive" if t["action"].strip().lower() in AGGRESSIVE else "passive"] += 1
                    current = None
            if traj["turns"] and not traj["turns"][-1]["info"].get("valid_action", True):
                counts[current]["forfeit"] += 1
    return counts, chips, invalid / max(turns, 1)


def exact_value(strategy: dict[str, tuple[float, float, float]], seat: int) -> float:
    """Expected chips of `seat` playing `strategy` ({infoset: (aggressive, passive, forfeit)}) against Nash."""
    nash = nash_strategy()

    def rec(cards: tuple[str, str], h: str) -> float:
        if h in TERMINAL:
            return payoff0(cards, h)
        p = to_act(h)
        key = cards[p] + h
        qa, qp, qf = strategy.get(key, (0.5, 0.5, 0.0)) if p == seat else (nash[key], 1 - nash[key], 0.0)
        passive, aggressive = ("f", "c") if facing_bet(h) else ("c", "b")
        v = qa * rec(cards, h + aggressive) + qp * rec(cards, h + passive)
        if qf:  # a forfeit folds facing a bet, and otherwise loses the ante
            v += qf * (rec(cards, h + "f") if facing_bet(h) else (-1.0 if p == 0 else 1.0))
        return v

    v0 = sum(rec(d, "") for d in DEALS) / len(DEALS)
    return v0 if seat == 0 else -v0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trajectories", help="trajectories.jsonl of an agentgym eval on agentgym/KuhnPoker-v0")
    args = ap.parse_args()
    counts, chips, invalid = empirical_strategy(args.trajectories)
    se = statistics.stdev(chips) / len(chips) ** 0.5 if len(chips) > 1 else float("nan")
    forfeits = sum(c["forfeit"] for c in counts.values())
    print(f"hands {len(chips)}, mean chips {statistics.fmean(chips):+.4f} (standard error {se:.4f}), "
          f"invalid turns {invalid:.1%}, forfeited hands {forfeits / len(chips):.1%}")
    nash = nash_strategy()
    print("infoset  decisions  aggressive  passive  forfeit  Nash aggressive")
    strategy = {}
    for key in sorted((k for k in counts if k), key=lambda k: (len(k), k)):
        c = counts[key]
        n = c["decisions"]
        strategy[key] = (c["aggressive"] / n, c["passive"] / n, c["forfeit"] / n)
        print(f"{key:7s} {n:10d} {strategy[key][0]:11.2f} {strategy[key][1]:8.2f} {strategy[key][2]:8.2f} "
              f"{nash[key]:16.2f}")
    v0, v1 = exact_value(strategy, 0), exact_value(strategy, 1)
    print(f"exact chips of this strategy against Nash: player_0 {v0:+.4f}, player_1 {v1:+.4f}, mean {(v0 + v1) / 2:+.4f}"
          " (Nash itself: -1/18, +1/18, mean 0)")


if __name__ == "__main__":
    main()
