"""An HTML report: headline metrics with confidence intervals, per-task results, and a trajectory viewer showing
every turn's observation (its images too), action, reward, validity and (for training runs) advantage.

Observation images are shown from the content-addressed images/ folder beside the report (the one
trajectories.jsonl uses), so a report and its trajectories share one copy of every screen."""

from __future__ import annotations

import html
import json
import os
from collections import defaultdict
from typing import Any, Callable, Sequence

from agentgym.types import IMAGES_DIR, Image, Trajectory, _image_dict

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:8px;padding:.8em 1.2em;min-width:150px}
.card .v{font-size:1.6em;font-weight:600}.card .ci{color:#666;font-size:.85em}
.card.bad{border-color:#c0392b;color:#c0392b}
.banner{border:2px solid #c0392b;background:#fdecea;color:#7b1f16;border-radius:8px;padding:.7em 1em;margin:1em 0}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:.3em .5em;text-align:left;vertical-align:top}
details{border:1px solid #e3e3e3;border-radius:6px;margin:.4em 0;padding:.3em .6em}summary{cursor:pointer}
.ok{color:#0a7d32;font-weight:600}.bad{color:#b3261e;font-weight:600}.err{background:#fdecea}
pre{white-space:pre-wrap;margin:0;font:12.5px/1.35 ui-monospace,monospace}.act{background:#eef4ff}.inv{background:#fff4e5}
.bar{display:inline-block;height:.8em;background:#3b82f6;vertical-align:middle}
img.obs{max-width:480px;max-height:360px;border:1px solid #ddd;display:block;margin:.2em 0}
"""


def write_report(path: str, trajectories: Sequence[Trajectory], metrics: dict[str, float], *, title: str,
                 run: dict[str, Any] | None = None, max_episodes: int = 200) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    image_dir = os.path.join(folder, IMAGES_DIR)
    manifest_path = os.path.join(folder, "manifest.json")
    manifest = None
    if os.path.isfile(manifest_path):  # what the run was (versions, tasks, settings): shown at the end
        with open(manifest_path, encoding="utf-8") as f:
            manifest = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(render_report(trajectories, metrics, title=title, run=run, max_episodes=max_episodes,
                              image_src=lambda im: _image_dict(im, image_dir)["path"], manifest=manifest))


def render_report(trajectories: Sequence[Trajectory], metrics: dict[str, float], *, title: str,
                  run: dict[str, Any] | None = None, max_episodes: int = 200,
                  image_src: Callable[[Image], str] | None = None, manifest: str | None = None) -> str:
    """The report as one HTML string. image_src: an image's URL (write_report: its PNG in images/ beside the
    report); default: embedded as a base64 data URL, so the string stands alone."""
    e = html.escape
    parts = [f"<!doctype html><meta charset='utf-8'><title>{e(title)}</title><style>{_CSS}</style>",
             f"<h1>{e(title)}</h1>"]
    if run:
        parts.append("<p>" + " &middot; ".join(f"<b>{e(str(k))}</b> {e(json.dumps(v))}" for k, v in run.items())
                     + "</p>")
    errored = [t for t in trajectories if t.error is not None]
    if run and run.get("partial"):
        parts.append(f"<div class='banner'>Partial: this eval was interrupted after {len(trajectories)} of "
                     f"{e(str(run.get('episodes_planned', '?')))} episodes; the numbers are over those.</div>")
    if errored:
        first = errored[0].error
        parts.append(f"<div class='banner'>{len(errored)} of {len(trajectories)} episodes ended in an error; the "
                     f"numbers below are over the {len(trajectories) - len(errored)} that completed. First error "
                     f"({e(first.kind)}): {e(first.headline())}"
                     "</div>")
    parts.append("<div class='cards'>")
    if errored:
        parts.append(f"<div class='card bad'><div>errors</div><div class='v'>{len(errored)}</div><div class='ci'>"
                     f"of {len(trajectories)} episodes</div></div>")
    for key, label, pct in [("eval/success_rate", "success rate", True), ("eval/mean_reward", "mean reward", False),
                            ("eval/mean_turns", "mean turns", False), ("eval/mean_progress", "mean progress", True)]:
        if key in metrics:
            fmt = (lambda v: f"{v:.1%}") if pct else (lambda v: f"{v:.2f}")
            ci = ""
            if key + "_ci_low" in metrics:
                ci = f"95% CI {fmt(metrics[key + '_ci_low'])} – {fmt(metrics[key + '_ci_high'])}"
            parts.append(f"<div class='card'><div>{label}</div><div class='v'>{fmt(metrics[key])}</div>"
                         f"<div class='ci'>{ci}</div></div>")
    if "eval/invalid_action_rate" in metrics:
        parts.append(f"<div class='card'><div>invalid actions</div><div class='v'>"
                     f"{metrics['eval/invalid_action_rate']:.1%}</div><div class='ci'>of all turns</div></div>")
    parts.append(f"<div class='card'><div>episodes</div><div class='v'>{len(trajectories)}</div><div class='ci'>"
                 f"errors: {sum(t.error is not None for t in trajectories)}</div></div></div>")

    by_task: dict[str, list[Trajectory]] = defaultdict(list)
    for t in trajectories:
        by_task[t.task_id].append(t)
    parts.append("<h2>Per task</h2><table><tr><th>task</th><th>episodes</th><th>success</th><th>mean progress</th>"
                 "<th>mean reward</th><th>mean turns</th></tr>")
    for task_id, ts in sorted(by_task.items()):
        sr = sum(t.success for t in ts) / len(ts)
        progress = sum(t.progress for t in ts) / len(ts)
        parts.append(f"<tr><td>{e(task_id)}</td><td>{len(ts)}</td><td><span class='bar' style='width:{60 * sr:.0f}px'>"
                     f"</span> {sr:.0%}</td><td>{progress:.0%}</td>"
                     f"<td>{sum(t.total_reward for t in ts) / len(ts):.2f}</td>"
                     f"<td>{sum(t.num_turns for t in ts) / len(ts):.1f}</td></tr>")
    parts.append("</table><h2>Trajectories</h2>")
    if len(trajectories) > max_episodes:
        parts.append(f"<p>Showing the first {max_episodes} of {len(trajectories)} episodes; all are in "
                     "trajectories.jsonl.</p>")
    for i, t in enumerate(trajectories[:max_episodes]):
        parts.append(_episode(i, t, image_src or Image.data_url))
    if manifest:
        parts.append("<h2>Manifest</h2><details><summary>manifest.json: versions, env and suite, task ids, seeds, "
                     f"policy, settings</summary><pre>{e(manifest)}</pre></details>")
    return "".join(parts)


def _images(images: Sequence[Image], image_src: Callable[[Image], str]) -> str:
    return "".join(f"<img class='obs' src='{html.escape(image_src(im))}' alt='observation image "
                   f"{html.escape(im.sha256[:12])}'>" for im in images)


def _episode(i: int, t: Trajectory, image_src: Callable[[Image], str]) -> str:
    e = html.escape
    status = ("<span class='ok'>success</span>" if t.success else
              "<span class='bad'>error: " + e(t.error.kind) + "</span>" if t.error else "<span class='bad'>fail</span>")
    advantages = t.metadata.get("turn_advantages")
    rows = [f"<details{' class=err' if t.error else ''}><summary>#{i} {e(t.task_id)} &middot; {status} &middot; "
            f"progress {t.progress:.0%} &middot; reward {t.total_reward:.2f} &middot; {t.num_turns} turns</summary><table>"
            "<tr><th>turn</th><th>observation</th><th>action</th><th>reward</th>"
            + ("<th>advantage</th>" if advantages else "") + "</tr>"]
    for turn in t.turns:
        cls = "act" if turn.info.get("valid_action", True) else "inv"
        adv = (f"<td>{advantages[turn.index]:+.3f}</td>" if advantages and turn.index < len(advantages) else
               ("<td></td>" if advantages else ""))
        err = f"<br><b>{e(turn.error.kind)}</b>: {e(turn.error.message)}" if turn.error else ""
        rows.append(f"<tr><td>{turn.index}</td><td>{_images(turn.images, image_src)}<pre>{e(turn.observation)}</pre>"
                    f"</td><td class='{cls}'><pre>"
                    f"{e(turn.action)}</pre>{err}</td><td>{turn.reward:+.2f}</td>{adv}</tr>")
    final = t.metadata.get("final_observation")
    if final or t.final_images:
        rows.append(f"<tr><td>end</td><td colspan=3>{_images(t.final_images, image_src)}<pre>{e(final or '')}</pre>"
                    "</td></tr>")
    rows.append("</table></details>")
    return "".join(rows)
