"""Multi-agent text games: PettingZoo's api_test, fuzzing, illegal moves, scripted players, single-seat views."""

from __future__ import annotations

import random
import subprocess

import pytest

import agentgym
from agentgym import testing
from agentgym.envs.games import kuhn
from agentgym.envs.games.single import GAMES, make_game, make_single_seat
from agentgym.multiagent import (PolicyOpponent, RandomOpponent, ScriptedOpponent, as_single_agent, check_game,
                                 fuzz_game, make_opponent)

FAST_GAMES = [g for g in GAMES if g != "chess"]


# ---------------------------------------------------------------------------------------------------------------------
# The AEC contract: PettingZoo's api_test (+ parallel_api_test for rps), info keys, determinism, fuzzing
# ---------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("game", FAST_GAMES)
def test_check_game_passes(game):
    report = check_game(lambda: make_game(game), n_random_actions=200)
    assert "PettingZoo api_test" in report.passed
    if game == "rps":
        assert "PettingZoo parallel_api_test (aec_to_parallel)" in report.passed


@pytest.mark.parametrize("game", FAST_GAMES)
def test_ten_thousand_fuzzed_moves_never_raise_or_change_state(game):
    illegal = fuzz_game(make_game(game), 10_000, seed=3)  # raises on any crash, state change or silent rejection
    assert illegal >= (300 if game == "taboo" else 5000), illegal  # taboo accepts any non-empty utterance


def test_illegal_move_feedback_goes_to_the_mover_only():
    g = make_game("tictactoe")
    g.reset(seed=0, options={"task": "tictactoe/train/0000"})  # the empty board
    g.step("b2")
    before = g.state_key()
    g.step("b2")  # taken
    assert g.state_key() == before and g.agent_selection == "player_2"
    assert g.infos["player_2"]["valid_action"] is False and g.rewards == {"player_1": 0.0, "player_2": 0.0}
    assert g.observe("player_2").startswith("Illegal move 'b2': b2 is already taken. Legal moves: a1, a2, a3")
    assert not g.observe("player_1").startswith("Illegal")
    g.step(7)  # not text: still no crash
    assert g.infos["player_2"]["valid_action"] is False and g.state_key() == before
    g.step("a1")
    assert g.infos["player_2"]["valid_action"] is True and g.agent_selection == "player_1"


def test_tictactoe_hand_played_game_rewards_and_board():
    g = make_game("tictactoe")
    g.reset(seed=0, options={"task": "tictactoe/train/0000"})
    for move in ["a1", "b1", "a2", "b2", "a3"]:  # X completes column a
        g.step(move)
    assert g.terminations == {"player_1": True, "player_2": True}
    assert g._cumulative_rewards == {"player_1": 1.0, "player_2": -1.0}
    assert g.infos["player_1"]["outcome"] == "win" and g.infos["player_2"]["outcome"] == "loss"
    assert g.infos["player_1"]["success"] is True and g.infos["player_2"]["success"] is False
    assert g.observe("player_2").split("\n")[:5] == ["player_1 (X) plays a3.", "  a b c", "1 X O .", "2 X O .",
                                                    "3 X . ."]


def test_turn_limit_truncates_every_seat():
    g = make_game("kuhn", max_turns=4)
    g.reset(seed=0)
    for _ in range(4):
        g.step("xyzzy")
    assert g.truncations == {"player_0": True, "player_1": True} and not any(g.terminations.values())


def test_forfeit_after_illegal_moves_in_a_row():
    # Kuhn: player_0 checks, player_1 bets, then player_0 writes two illegal moves: a forfeit is a fold (-1 chip).
    g = make_game("kuhn", forfeit_after=2)
    g.reset(seed=0)
    g.step("check"), g.step("bet"), g.step("xyzzy")
    assert not g.game_over and g.infos["player_0"]["valid_action"] is False
    g.step("bet")  # illegal facing a bet: the second in a row
    assert g.history == "cbf" and g.terminations == {"player_0": True, "player_1": True}
    assert g._cumulative_rewards == {"player_0": -1.0, "player_1": 1.0}
    assert g.infos["player_0"]["outcome"] == "loss" and g.infos["player_1"]["outcome"] == "win"
    assert "player_0 forfeits after 2 illegal moves in a row." in str(g.observe("player_1"))
    # A legal move resets the count: illegal, legal, illegal never forfeits.
    g = make_game("tictactoe", forfeit_after=2)
    g.reset(seed=0, options={"task": "tictactoe/train/0000"})
    g.step("z9"), g.step("a1"), g.step("a1")  # player_1 illegal, then a1; player_2's a1 is taken
    assert not g.game_over and g._illegal_streak == {"player_1": 0, "player_2": 1}
    g.step("a1")  # no fold in tic-tac-toe: the forfeiter loses 1, the other seat wins 1
    assert g._cumulative_rewards == {"player_1": 1.0, "player_2": -1.0}
    # Without forfeit_after the seat is asked again until the turn limit (test_turn_limit_truncates_every_seat).
    with pytest.raises(ValueError, match="forfeit_after"):
        make_game("kuhn", forfeit_after=0)


def test_single_seat_forfeit_ends_the_episode_with_the_loss():
    env = agentgym.make("agentgym/KuhnPoker-v0", forfeit_after=2).unwrapped
    obs, info = env.reset(seed=0, options={"task": env.suite.split("heldout")[0]})
    _, r, te, tr, info = env.step("xyzzy")
    assert (r, te, tr, info["valid_action"]) == (0.0, False, False, False)
    _, r, te, tr, info = env.step("xyzzy")
    assert (r, te, tr, info["valid_action"], info["outcome"]) == (-1.0, True, False, False, "loss")


# ---------------------------------------------------------------------------------------------------------------------
# Scripted players do what theory says
# ---------------------------------------------------------------------------------------------------------------------
def _play(g, players, task, seed=0):
    g.reset(seed=seed, options={"task": task})
    while not g.game_over:
        a = g.agent_selection
        g.step(players[a].act(g, a))
    return dict(g._payoff)


def test_minimax_never_loses_at_tictactoe():
    g = make_game("tictactoe")
    minimax, rnd = ScriptedOpponent(), RandomOpponent()
    results = []
    for i, task in enumerate(g.suite):
        for seat in g.possible_agents:
            other = [a for a in g.possible_agents if a != seat][0]
            rnd.reset(i)
            results.append(_play(g, {seat: minimax, other: rnd}, task, seed=i)[seat])
    # every shipped opening is fair (a draw under perfect play), so minimax never loses from any of them
    assert min(results) >= 0, results
    draws = [_play(g, {"player_1": minimax, "player_2": minimax}, t)["player_1"] for t in g.suite]
    assert draws == [0.0] * len(g.suite)
    assert sum(r > 0 for r in results) > len(results) / 2  # and beats a random player most of the time


def test_connect_four_search_beats_shallow_and_random():
    g = make_game("connect_four")
    deep, shallow, rnd = ScriptedOpponent(depth=4), ScriptedOpponent(depth=1), RandomOpponent()
    wins = []
    for i, task in enumerate(g.suite.split("heldout")[:6]):
        for opp in (shallow, rnd):
            rnd.reset(i)
            wins.append(_play(g, {"player_0": deep, "player_1": opp}, task, seed=i)["player_0"])
    # measured: 12 wins of 12 (depth-4 alpha-beta vs depth 1 and vs random)
    assert sum(w > 0 for w in wins) >= 11, wins


def test_kuhn_nash_exploitability_is_zero_and_cfr_computes_one():
    assert kuhn.exploitability(kuhn.nash_strategy(1 / 6)) < 1e-12
    assert kuhn.exploitability(kuhn.nash_strategy(0.0)) < 1e-12
    assert kuhn.expected_value(kuhn.nash_strategy(), kuhn.nash_strategy(0.3)) == pytest.approx(-1 / 18)
    computed = kuhn.cfr_plus(300)
    assert kuhn.exploitability(computed) < 1e-3
    # hand-worked: always-bet-or-call is exploited by checking/folding J and calling with K... its exploitability
    always = {i: 1.0 for i in kuhn.INFOSETS}
    assert kuhn.best_response_value(always, 0) == pytest.approx(1 / 3)  # BR p0 vs always-bet p1
    assert kuhn.exploitability({i: 0.5 for i in kuhn.INFOSETS}) == pytest.approx(0.458333333, abs=1e-6)


def test_kuhn_payoffs_hand_worked():
    cards = ("K", "J")
    assert [kuhn.payoff0(cards, h) for h in kuhn.TERMINAL] == [1.0, 2.0, 1.0, 2.0, -1.0]
    g = make_game("kuhn")
    g.reset(seed=0)
    g.cards, g.history = ("Q", "K"), ""
    g.step("bet")
    g.step("call")
    assert g._payoff == {"player_0": -2.0, "player_1": 2.0}
    assert "Showdown: player_0 shows Q, player_1 shows K." in g.observe("player_0")


def test_negotiation_scores_and_no_deal():
    g = make_game("negotiation")
    task = g.suite.split("heldout")[0]
    g.reset(seed=0, options={"task": task})
    counts, (v0, v1) = task.params["counts"], task.params["values"]
    g.step(f"propose book={counts[0]} hat=0 ball=0")
    g.step("accept")
    assert g._payoff == {"player_0": float(counts[0] * v0[0]),
                         "player_1": float(counts[1] * v1[1] + counts[2] * v1[2])}
    g.reset(seed=0, options={"task": task})
    for _ in range(10):
        g.step("propose 0 0 0")
    assert g._payoff == {"player_0": 0.0, "player_1": 0.0}


def test_taboo_rules():
    g = make_game("taboo")
    task = g.suite.split("heldout")[0]
    word = task.answer
    g.reset(seed=0, options={"task": task})
    g.step(f"It rhymes with nothing, it is {word}s!")  # the attacker says the word (plural): it loses
    assert g._payoff == {"player_0": -1.0, "player_1": 1.0}
    g.reset(seed=0, options={"task": task})
    g.step("Think of something.")
    g.step("I know the word! It is zebra.")
    assert g._payoff == {"player_0": 1.0, "player_1": -1.0}
    g.reset(seed=0, options={"task": task})
    g.step("Hello.")
    g.step(f"Is it a {word}?")  # said in passing: the attacker wins
    assert g._payoff == {"player_0": 1.0, "player_1": -1.0}
    assert g.suite.overlaps() == []
    assert {t.answer for t in g.suite.split("train")}.isdisjoint({t.answer for t in g.suite.split("heldout")})


def test_scripted_taboo_defender_infers_the_word_from_clues():
    g = make_game("taboo")
    wins = [_play(g, {"player_0": ScriptedOpponent(), "player_1": ScriptedOpponent()}, t)["player_1"]
            for t in g.suite.split("heldout")]
    assert sum(w > 0 for w in wins) >= 11  # measured: 11 of 12 (one word's clues stay ambiguous for 5 rounds)


# ---------------------------------------------------------------------------------------------------------------------
# Single-seat views: check_env, oracle vs random, opponents
# ---------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("env_id", ["agentgym/TicTacToe-v0", "agentgym/KuhnPoker-v0", "agentgym/RockPaperScissors-v0",
                                    "agentgym/Negotiation-v0", "agentgym/Taboo-v0", "agentgym/LeducHoldem-v0",
                                    "agentgym/ConnectFour-v0"])
def test_single_seat_check_env(env_id):
    testing.check_env(env_id, n_random_actions=300, n_oracle_tasks=2)


def _success_rate(env, tasks, choose):
    wins = []
    for task in tasks:
        obs, info = env.reset(seed=0, options={"task": task})
        while True:
            obs, r, te, tr, info = env.step(choose(env, info))
            if te or tr:
                break
        wins.append(info["success"])
    return sum(wins) / len(wins)


@pytest.mark.parametrize("env_id, oracle_min, random_max", [
    ("agentgym/TicTacToe-v0", 1.0, 0.25), ("agentgym/Taboo-v0", 1.0, 0.3), ("agentgym/Negotiation-v0", 0.9, 0.5),
])
def test_oracle_far_above_random_on_heldout(env_id, oracle_min, random_max):
    env = agentgym.make(env_id).unwrapped
    tasks = env.suite.split("heldout")
    rng = random.Random(0)
    oracle = _success_rate(env, tasks, lambda e, info: e.oracle_action())
    rand = _success_rate(env, tasks, lambda e, info: rng.choice(info["admissible_actions"]))
    assert oracle >= oracle_min and rand <= random_max, (oracle, rand)


def test_kuhn_single_seat_payoff_against_nash():
    env = agentgym.make("agentgym/KuhnPoker-v0").unwrapped
    tasks = env.suite.split("heldout")
    rng = random.Random(0)

    def mean_reward(choose):
        total = 0.0
        for i, task in enumerate(tasks):
            obs, info = env.reset(seed=i, options={"task": task})
            while True:
                obs, r, te, tr, info = env.step(choose(env, info))
                total += r
                if te or tr:
                    break
        return total / len(tasks)

    nash = mean_reward(lambda e, info: e.oracle_action())
    rand = mean_reward(lambda e, info: rng.choice(info["admissible_actions"]))
    # Nash against Nash over both seats averages 0 in expectation (-1/18 for player_0, +1/18 for player_1); a
    # uniformly random player loses exactly (EV(random, nash) - EV(nash, random)) / 2 chips a hand on average.
    uniform, nash_s = {i: 0.5 for i in kuhn.INFOSETS}, kuhn.nash_strategy()
    exact_random = (kuhn.expected_value(uniform, nash_s) - kuhn.expected_value(nash_s, uniform)) / 2
    assert exact_random == pytest.approx(-5 / 36)  # -0.13889, exact over the 6 deals
    assert abs(nash) < 0.2 and rand < 0 and abs(rand - exact_random) < 0.2, (nash, rand)


def test_opponent_specs_and_policy_opponent():
    assert make_opponent("scripted:depth=2,skill=0").params == {"depth": 2, "skill": 0}
    assert isinstance(make_opponent("random"), RandomOpponent)
    with pytest.raises(ValueError, match="unknown opponent"):
        make_opponent("minimaxx")
    from agentgym.policies.scripted import RandomPolicy

    env = as_single_agent(make_game("tictactoe"), "player_1", PolicyOpponent(RandomPolicy(seed=1)))
    obs, info = env.reset(seed=0, options={"task": "tictactoe/train/0000@player_1"})
    obs, r, te, tr, info = env.step("b2")
    assert info["valid_action"] and "player_2 (O) plays" in obs


# ---------------------------------------------------------------------------------------------------------------------
# Chess and Stockfish
# ---------------------------------------------------------------------------------------------------------------------
def _stockfish_pids() -> set[str]:
    out = subprocess.run(["pgrep", "-f", "^/usr/games/stockfish"], capture_output=True, text=True).stdout
    return set(out.split())


def test_chess_moves_and_stockfish_process_is_gone_after_close():
    before = _stockfish_pids()
    g = make_game("chess")
    g.reset(seed=0, options={"task": g.suite.split("heldout")[0]})
    mover = g.agent_selection
    san = g.legal_moves(mover)[0]
    uci = g.board.parse_san(san).uci()
    assert g._parse(mover, uci)[0] == g._parse(mover, san)[0] is not None
    assert g._parse(mover, "Ke9")[0] is None
    move = g.scripted_action(mover, skill=0, depth=1)
    assert move in g.legal_moves(mover)
    started = _stockfish_pids() - before
    assert len(started) == 1
    g.close()
    assert not (_stockfish_pids() & started)


def test_chess_api_test_and_fuzz():
    report = check_game(lambda: make_game("chess"), n_random_actions=300)
    assert report.ok


@pytest.mark.slow
def test_chess_ten_thousand_fuzzed_moves_and_stockfish_beats_skill_zero():
    assert fuzz_game(make_game("chess"), 10_000, seed=3) > 5000
    env = make_single_seat("chess", seat="player_0", opponent="scripted:skill=0,depth=1")
    rate = _success_rate(env, env.suite.split("heldout")[:3], lambda e, info: e.oracle_action())
    env.close()
    assert rate == 1.0


def test_agentgym_train_runs_on_a_game_end_to_end(tmp_path):
    import os
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    exe = Path(sys.executable).with_name("agentgym")
    out = tmp_path / "run"
    cmd = [str(exe), "train", "configs/games_kuhn_grpo.toml", "--set", "run.eval_tasks=2",
           "--set", "run.progress_bar=false", "--set", 'model.name="tiny"', "--set", "model.tiny_hidden_size=32",
           "--set", "model.tiny_num_layers=1", "--set", "model.tiny_corpus_episodes=4", "--set",
           "rollout.tasks_per_step=2",
           "--set", "rollout.group_size=2", "--set", f'run.out_dir="{out}"',
           # self-play against the pool of its own snapshots, with SPIRAL's role-conditioned advantages
           "--set", 'selfplay.pool="sp"', "--set", "selfplay.snapshot_every=1", "--set",
           'env.kwargs={opponent="pool:sp"}', "--set", "credit.method=role_conditioned", "--set", "run.steps=2"]
    proc = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=300, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr[-2000:]
    import json

    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["selfplay/pool_size"] for r in rows] == [2.0, 3.0]  # the start policy, then one snapshot a step
    assert any(k.startswith("credit/baseline/player_") for k in rows[-1])


# ---------------------------------------------------------------------------------------------------------------------
# Eval win / draw / loss and ratings
# ---------------------------------------------------------------------------------------------------------------------
def test_eval_reports_win_draw_loss_with_wilson_intervals():
    from agentgym.evaluation import evaluate, wilson_ci
    from agentgym.policies.scripted import RandomPolicy

    result = evaluate("agentgym/TicTacToe-v0", RandomPolicy(seed=0), split="heldout")
    m = result.metrics
    n = int(m["eval/games"])
    wins, draws, losses = (round(m[f"eval/{k}_rate"] * n) for k in ("win", "draw", "loss"))
    assert n == 22 and wins == 0 and wins + draws + losses == n  # minimax never loses; random never wins
    assert (m["eval/loss_rate_ci_low"], m["eval/loss_rate_ci_high"]) == wilson_ci(losses, n)
    assert "loss rate" in result.summary()


def test_round_robin_ratings_order_players_by_strength():
    from agentgym.ratings import rate, round_robin

    matches = round_robin("agentgym/TicTacToeMA-v0", {"minimax": "scripted", "noisy": "scripted:random=0.5",
                                                      "random": "random"}, games_per_pair=10)
    assert len(matches) == 30 and all(m.finished for m in matches)
    table = rate(matches)
    assert [r.name for r in table] == ["minimax", "noisy", "random"]
    minimax = table[0]
    assert minimax.losses == 0 and minimax.wins + minimax.draws == 20


def test_kuhn_strategy_benchmark_reads_infosets_and_values_nash_exactly():
    import importlib.util
    from pathlib import Path

    from agentgym.envs.games.kuhn import nash_strategy

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "kuhn_strategy.py"
    spec = importlib.util.spec_from_file_location("kuhn_strategy", path)
    ks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ks)
    assert ks.infoset("You are player_0. Your card: Q.\nNo action yet.\nPot: 2 chips.\n") == "Q"
    assert ks.infoset("You are player_0. Your card: K.\nBetting: player_0 checks, player_1 bets.\nPot: 3 chips.\n"
                      "Your move. Legal moves: call, fold.") == "Kcb"
    nash = {k: (q, 1 - q, 0.0) for k, q in nash_strategy().items()}
    assert ks.exact_value(nash, 0) == pytest.approx(-1 / 18, abs=1e-12)
    assert ks.exact_value(nash, 1) == pytest.approx(1 / 18, abs=1e-12)
    # forfeiting every decision: -1 a hand in either seat (a fold facing a bet, the ante otherwise)
    forfeit = {k: (0.0, 0.0, 1.0) for k in nash}
    assert ks.exact_value(forfeit, 0) == pytest.approx(-1.0) and ks.exact_value(forfeit, 1) == pytest.approx(-1.0)


def test_envs_sharing_a_pool_keep_each_game_in_its_own_conversation():
    # Many envs play against one pool at once (a batched rollout steps them in turn): each must give the pool member
    # its own game's observations only. A shared member once appended every env's observations to one conversation.
    from agentgym.multiagent import OPPONENT_POOLS, PolicyOpponent
    from agentgym.policies.base import Completion

    class FirstLegal:
        def __init__(self):
            self.conversations = []

        def act(self, conversations):
            self.conversations += conversations
            return [Completion(text=c.info["admissible_actions"][0]) for c in conversations]

    policy = FirstLegal()
    OPPONENT_POOLS["isolation"] = [PolicyOpponent(policy, name="snapshot@0")]
    try:
        envs = [make_single_seat("kuhn", seat="player_0", opponent="pool:isolation") for _ in range(4)]
        tasks = envs[0].suite.split("heldout")[:4]
        for env, task in zip(envs, tasks):
            env.reset(seed=0, options={"task": task})
        for action in ("check", "fold"):  # interleaved, as a batched rollout steps them; the opponent bets
            for env in envs:
                env.step(action)
        for conv in policy.conversations:
            cards = {m.content.split("Your card: ")[1][0] for m in conv.messages if m.role == "user"}
            assert len(cards) == 1  # one game's card, never another env's
            assert sum(m.role == "user" for m in conv.messages) == 1  # player_1 acts once per hand here
        assert len(policy.conversations) == 4
    finally:
        OPPONENT_POOLS.pop("isolation", None)
