"""Is IGPO's belief signal informative for a given model? A diagnostic for agentgym/TwentyQuestions-v0.

IGPO rewards a turn by how much it raised the policy's probability of the hidden answer (trainers/credit/info_gain.py).
That only helps if the belief rises when a question is useful. This plays train games with the model (sampled) and
with the oracle, probes the model's belief after every turn exactly as the IGPO credit does, and reports:
the belief's size, the per-turn gains, their correlation with the env's own per-turn progress gain (the fraction of
wrong objects the answer ruled out), and the mean gain of valid vs invalid questions.

    python benchmarks/igpo_belief_signal.py runs/credit_comparison_sparse/sft/checkpoints/step_60/model
    python benchmarks/igpo_belief_signal.py smollm2 --tasks 12 --group-size 2     # the real 135M model, CPU

MODEL is any checkpoint's model/ folder (save_pretrained layout with its tokenizer), or "smollm2" for
SmolLM2-135M-Instruct from the local cache (scripts/fetch_smollm2.sh).
"""

from __future__ import annotations

import argparse
import statistics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help='a saved model folder (a checkpoint\'s model/), or "smollm2"')
    ap.add_argument("--tasks", type=int, default=24, help="train objects to play (24)")
    ap.add_argument("--group-size", type=int, default=4, help="sampled games per object (4)")
    ap.add_argument("--max-turns", type=int, default=5, help="questions per game (5, as in the credit benchmark)")
    args = ap.parse_args()

    import numpy as np
    import torch

    from agentgym.chat import tokenize_trajectory
    from agentgym.policies.scripted import OraclePolicy
    from agentgym.trainers.data_order import env_tasks
    from agentgym.trainers.model_setup import load_pretrained, make_policy
    from agentgym.trainers.rollouts import play
    from agentgym.trainers.config import load_config
    from agentgym.trainers.credit.info_gain import answer_beliefs

    torch.set_num_threads(1)
    if args.model == "smollm2":
        from agentgym.models import load_smollm2

        model, tokenizer = load_smollm2()
    else:
        model, tokenizer = load_pretrained(args.model)
    model.eval()
    cfg = load_config(None, ['env.id="agentgym/TwentyQuestions-v0"', f"env.max_turns={args.max_turns}",
                             "rollout.max_new_tokens=12", "rollout.executor=inline", "rollout.temperature=1.0"])
    tasks = env_tasks(cfg.env)[0][: args.tasks]
    players = (("sampled", make_policy(model, tokenizer, cfg.rollout, seed=0), args.group_size),
               ("oracle", OraclePolicy(), 1))
    for name, policy, group in players:
        trajs = [t if t.has_tokens else tokenize_trajectory(t, tokenizer)
                 for t in play(cfg, policy, tasks, group_size=group, seed=0)]
        beliefs = answer_beliefs(model, tokenizer, trajs)
        gains, progress_gains, valid, invalid = [], [], [], []
        for t, b in zip(trajs, beliefs):
            progress = [0.0] + [float(turn.info.get("progress", 0.0)) for turn in t.turns]
            for k in range(1, t.num_turns):  # turn k-1's question and its answer lead to belief p_k
                gain = b[k] - b[k - 1]
                gains.append(gain)
                progress_gains.append(progress[k] - progress[k - 1])
                (valid if t.turns[k - 1].info.get("valid_action", True) else invalid).append(gain)
        every = [p for b in beliefs for p in b]
        correlation = float(np.corrcoef(gains, progress_gains)[0, 1])
        print(f"{name:>8}: {len(trajs)} games; belief p median {statistics.median(every):.2e}, max {max(every):.2e}; "
              f"per-turn gain mean {statistics.mean(gains):+.2e}, sd {statistics.pstdev(gains):.2e}; "
              f"corr(gain, progress gain) {correlation:+.3f}; mean gain of valid questions "
              f"{statistics.mean(valid):+.2e}" + (f", of invalid ones {statistics.mean(invalid):+.2e}" if invalid
                                                  else ""))


if __name__ == "__main__":
    main()
