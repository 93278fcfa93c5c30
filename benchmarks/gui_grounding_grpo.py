"""GRPO on GUIGrounding-v0 with the tiny Qwen2-VL: GUI-G2's Gaussian reward vs point-in-box (ScreenSpot's metric).

    .venv/bin/python benchmarks/gui_grounding_grpo.py --steps 20      # both rewards, ~15 min on 2 shared cores

Each arm: the same tiny random Qwen2-VL (agentgym.tiny_vl, built from a config), a short SFT warm start on oracle
answers (a random tiny model never writes a parseable `click(x, y)`, so neither reward would give a signal), then
GRPO steps on training screens (group-relative advantages over the env's reward: "gui_g2" or "point_in_box"), then
held-out success (point-in-box, greedy) on the held-out split. The rollout, the exact image tokens, the pixel
inputs in the batch and the clipped policy-gradient update are the library's (agentgym.rollout, trainers.batching,
trainers.update); `agentgym train` does not build vision-language models yet, hence this script. Results go to
docs/benchmarks/gui_grpo.json and docs/benchmarks/gui.md.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "gui_grpo.json"


def run_arm(reward: str, args, cache: str) -> dict:
    import torch

    from agentgym.chat import ChatTokenizer, tokenize_trajectory
    from agentgym.envs.gui.grounding.env import GUIGroundingEnv
    from agentgym.policies.hf import HFPolicy
    from agentgym.policies.scripted import OraclePolicy
    from agentgym.rollout import rollout
    from agentgym.tiny_vl import tiny_vision_model
    from agentgym.trainers.advantages import grpo_advantages
    from agentgym.trainers.batching import make_batch
    from agentgym.trainers.config import PolicyGradientConfig
    from agentgym.trainers.forward import forward
    from agentgym.trainers.update import policy_gradient_update

    factory = lambda: GUIGroundingEnv(cache_dir=cache, reward=reward, max_pixels=args.max_pixels)  # noqa: E731
    env = factory()
    train = env.suite.split("train")[: args.train_tasks]
    heldout = env.suite.split("heldout")[: args.eval_tasks]
    env.close()
    model, tok, vision = tiny_vision_model(seed=args.seed)
    chat = ChatTokenizer(tok, vision=vision)

    def evaluate() -> float:
        pol = HFPolicy(model.eval(), tok, vision=vision, max_new_tokens=16, do_sample=False)
        trajs = rollout(factory, pol, heldout)
        return sum(t.success for t in trajs) / len(trajs)

    # SFT warm start on oracle answers -------------------------------------------------------------------------------
    demos = [tokenize_trajectory(t, chat) for t in rollout(factory, OraclePolicy(), train)]
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    model.train()
    for _ in range(args.sft_steps):
        batch = make_batch(random.Random(_).sample(demos, min(8, len(demos))), pad_id=tok.pad_token_id,
                           use_logprobs=False, vision=vision)
        out = forward(model, batch)
        loss = -(out.logprobs * batch.loss_mask).sum() / batch.loss_mask.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    after_sft = evaluate()

    # GRPO -------------------------------------------------------------------------------------------------------------
    ctx = SimpleNamespace(model=model, optimizer=torch.optim.Adam(model.parameters(), lr=args.lr / 4),
                          cfg=SimpleNamespace(rollout=SimpleNamespace(temperature=1.0)), device=torch.device("cpu"),
                          scheduler=SimpleNamespace(step=lambda: None))
    algo = PolicyGradientConfig(micro_batch_size=16)
    rng = random.Random(args.seed)
    history = []
    for step in range(args.steps):
        policy = HFPolicy(model.eval(), tok, vision=vision, max_new_tokens=16, seed=step)
        tasks = rng.sample(train, args.tasks_per_step)
        trajs = rollout(factory, policy, tasks, group_size=args.group_size, seed=step)
        adv = []
        for g in range(len(tasks)):
            group = trajs[g * args.group_size:(g + 1) * args.group_size]
            adv += [[a] for a in grpo_advantages([t.total_reward for t in group])]
        batch = make_batch(trajs, adv, pad_id=tok.pad_token_id, vision=vision)
        model.train()
        m = policy_gradient_update(ctx, batch, algo)
        history.append({"step": step + 1, "reward": sum(t.total_reward for t in trajs) / len(trajs),
                        "hit_rate": sum(t.success for t in trajs) / len(trajs),
                        "valid": sum(t.turns[0].info.get("valid_action", False) for t in trajs) / len(trajs),
                        "loss": m["loss/total"]})
        print(reward, history[-1], flush=True)
    return {"reward": reward, "heldout_success_after_sft": after_sft, "heldout_success_after_grpo": evaluate(),
            "steps": history}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--sft-steps", type=int, default=30)
    ap.add_argument("--train-tasks", type=int, default=40)
    ap.add_argument("--eval-tasks", type=int, default=40)
    ap.add_argument("--tasks-per-step", type=int, default=4)
    ap.add_argument("--group-size", type=int, default=4)
    ap.add_argument("--max-pixels", type=int, default=160 * 100)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.time()
    with tempfile.TemporaryDirectory() as cache:
        arms = [run_arm(r, args, cache) for r in ("gui_g2", "point_in_box")]
    result = {"settings": vars(args), "seconds": time.time() - t0, "arms": arms}
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    for a in arms:
        print(a["reward"], "held-out success after SFT", a["heldout_success_after_sft"], "after GRPO",
              a["heldout_success_after_grpo"])


if __name__ == "__main__":
    main()
