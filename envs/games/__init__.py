"""Multi-agent text games (PettingZoo AEC envs with text moves) and their single-seat views.

Each game is registered twice: `agentgym/<Game>MA-v0` is the PettingZoo AEC env (multi-agent; `agentgym envs check`
runs PettingZoo's api_test on it) and `agentgym/<Game>-v0` one seat of it (kwargs seat, opponent) as a Gymnasium
AgentEnv that every trainer and `agentgym eval` use. Nothing here imports PettingZoo: entry points are strings.
"""

from agentgym.registry import register

_GAMES = [  # (id stem, game key, description, default single-seat kwargs)
    ("TicTacToe", "tictactoe", "Tic-tac-toe over PettingZoo's tictactoe_v3; opponent: minimax.", {}),
    ("ConnectFour", "connect_four", "Connect four over PettingZoo's connect_four_v3; opponent: alpha-beta depth 2.",
     {"opponent": "scripted:depth=2"}),
    ("Chess", "chess", "Chess over PettingZoo's chess_v6 (python-chess), SAN/UCI moves; opponent: Stockfish skill 0.",
     {"opponent": "scripted:skill=0,depth=1"}),
    ("RockPaperScissors", "rps", "Best-of-3 rock-paper-scissors over PettingZoo's rps_v2; opponent: uniform.", {}),
    ("LeducHoldem", "leduc", "Leduc hold'em over PettingZoo's leduc_holdem_v4 (RLCard); opponent: RLCard's CFR.", {}),
    ("KuhnPoker", "kuhn", "Kuhn poker (ours); opponent: Kuhn's Nash equilibrium.", {}),
    ("Negotiation", "negotiation", "Divide books/hats/balls with private values (Deal or No Deal); opponent: "
     "rational negotiator.", {}),
    ("Taboo", "taboo", "Adversarial taboo (SPAG); single seat = the defender vs a scripted clue giver.",
     {"seat": "player_1"}),
]

for stem, key, description, single_kwargs in _GAMES:
    register(f"agentgym/{stem}MA-v0", "agentgym.envs.games.single:make_game", description="[multi-agent] " +
             description.split(";")[0] + ".", kwargs={"game": key}, multiagent=True)
    register(f"agentgym/{stem}-v0", "agentgym.envs.games.single:make_single_seat",
             description=description, kwargs={"game": key, **single_kwargs})
