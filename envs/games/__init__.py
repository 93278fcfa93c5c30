"""Multi-agent text games (PettingZoo AEC) and their single-seat views; see envs/games/README in the docstrings."""
