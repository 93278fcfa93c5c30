"""SPIRAL's role-conditioned advantage estimation: per-(game, role) EMA baselines, hand-worked numbers."""

from __future__ import annotations

import pytest

from agentgym.trainers.credit import RoleBaselines, RoleConditionedCreditConfig, assign_credit, episode_role
from agentgym.types import Trajectory, Turn


def episode(seat: str, reward: float, turns: int = 2, env: str = "agentgym/KuhnPoker-v0") -> Trajectory:
    ts = [Turn(index=i, observation="o", action="a", reward=reward if i == turns - 1 else 0.0,
               info={"seat": seat}) for i in range(turns)]
    return Trajectory(env_id=env, task_id=f"kuhn/train/0000@{seat}", turns=ts)


def test_baselines_per_game_and_role_hand_worked():
    b = RoleBaselines(RoleConditionedCreditConfig(alpha=0.9))
    step1 = [episode("player_0", 1.0), episode("player_0", -1.0, turns=3), episode("player_0", 2.0),
             episode("player_1", -2.0, turns=1)]
    adv, rewards, metrics = b.advantages(step1)
    # player_0: mean return 2/3 -> b = 0.9 * 0 + 0.1 * 2/3 = 1/15; player_1: b = 0.1 * -2 = -0.2
    assert b.values["agentgym/KuhnPoker-v0|player_0"] == pytest.approx(1 / 15)
    assert b.values["agentgym/KuhnPoker-v0|player_1"] == pytest.approx(-0.2)
    assert adv[0] == pytest.approx([14 / 15] * 2)
    assert adv[1] == pytest.approx([-16 / 15] * 3)
    assert adv[2] == pytest.approx([29 / 15] * 2)
    assert adv[3] == pytest.approx([-1.8])
    assert rewards[1] == [0.0, 0.0, -1.0]
    assert metrics["credit/baseline/player_1"] == pytest.approx(-0.2)
    # step 2: player_0 mean 0 -> b = 0.9 * 1/15 = 0.06; another game's roles start from 0
    adv, _, _ = b.advantages([episode("player_0", 0.0), episode("player_0", 0.0, env="agentgym/TicTacToe-v0")])
    assert b.values["agentgym/KuhnPoker-v0|player_0"] == pytest.approx(0.06)
    assert b.values["agentgym/TicTacToe-v0|player_0"] == pytest.approx(0.0)
    assert adv == [pytest.approx([-0.06] * 2), [0.0, 0.0]]


def test_role_from_task_suffix_and_assign_credit():
    t = Trajectory(env_id="e", task_id="taboo/train/0003@player_1",
                   turns=[Turn(index=0, observation="o", action="a", reward=1.0)])
    assert episode_role(t) == ("e", "player_1")
    res = assign_credit("role_conditioned", [t, episode("player_1", -1.0)], RoleConditionedCreditConfig(alpha=0.5))
    # different env ids keep separate baselines: "e": 0.5 * 1 = 0.5; KuhnPoker: 0.5 * -1 = -0.5
    assert res.advantages == [[0.5], [-0.5, -0.5]]
    with pytest.raises(ValueError, match="alpha must be in"):
        RoleConditionedCreditConfig(alpha=1.0)


def test_baselines_survive_save_and_load(tmp_path):
    b = RoleBaselines()
    b.advantages([episode("player_0", 1.0)])
    b.save(str(tmp_path / "state.pt"))
    assert RoleBaselines().load(str(tmp_path / "state.pt")).values == b.values


def test_selfplay_config_names_the_fix():
    from agentgym.trainers.config import ConfigError, config_from_dict

    base = {"env": {"id": "agentgym/KuhnPoker-v0"}, "selfplay": {"pool": "sp"}}
    with pytest.raises(ConfigError, match='env.kwargs = {opponent = "pool:sp"}'):
        config_from_dict(base)
    with pytest.raises(ConfigError, match="use \"inline\" or \"thread\""):
        config_from_dict({**base, "env": {"id": "agentgym/KuhnPoker-v0", "kwargs": {"opponent": "pool:sp"}},
                          "rollout": {"executor": "process"}})
    cfg = config_from_dict({**base, "env": {"id": "agentgym/KuhnPoker-v0", "kwargs": {"opponent": "pool:sp"}},
                            "credit": {"method": "role_conditioned", "params": {"alpha": 0.9}}})
    assert cfg.selfplay.pool == "sp" and cfg.credit.params == {"alpha": 0.9}
