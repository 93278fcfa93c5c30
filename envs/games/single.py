"""Entry points of the games' registered ids: the multi-agent game itself, or one seat of it against an opponent."""

from __future__ import annotations

import importlib
from typing import Any

GAMES = {
    "tictactoe": "agentgym.envs.games.board_games:TicTacToeGame",
    "connect_four": "agentgym.envs.games.board_games:ConnectFourGame",
    "chess": "agentgym.envs.games.chess_game:ChessGame",
    "rps": "agentgym.envs.games.rps:RockPaperScissorsGame",
    "leduc": "agentgym.envs.games.leduc:LeducHoldemGame",
    "kuhn": "agentgym.envs.games.kuhn:KuhnPokerGame",
    "negotiation": "agentgym.envs.games.negotiation:NegotiationGame",
    "taboo": "agentgym.envs.games.taboo:TabooGame",
}


def game_class(game: str) -> type:
    if game not in GAMES:
        raise ValueError(f"unknown game {game!r}; the games are {sorted(GAMES)}")
    module, _, name = GAMES[game].partition(":")
    return getattr(importlib.import_module(module), name)


def make_game(game: str, **kwargs: Any) -> Any:
    """The multi-agent PettingZoo AEC env of `game`."""
    return game_class(game)(**kwargs)


def make_single_seat(game: str, seat: str = "each", opponent: Any = "scripted", max_turns: int | None = None,
                     split: str | None = None, render_mode: str | None = None, **game_kwargs: Any) -> Any:
    """One seat of `game` as a Gymnasium AgentEnv (agentgym.multiagent.as_single_agent). The class docstring of the
    returned env is the game's, so `agentgym envs info` shows the rules."""
    from agentgym.multiagent import as_single_agent

    g = make_game(game, **game_kwargs)
    env = as_single_agent(g, seat, opponent, max_turns=max_turns, split=split, render_mode=render_mode)
    return env
