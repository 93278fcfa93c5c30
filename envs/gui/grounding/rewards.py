"""Grounding rewards as pure functions of a prediction and the target box (all in screenshot pixels).

Boxes are corners (x1, y1, x2, y2) with x1 < x2 and y1 < y2; points are (x, y).

- `point_in_box`: ScreenSpot's metric. A point hits when x1 <= x <= x2 and y1 <= y <= y2 (edges count, as in
  ScreenSpot's and ScreenSpot-Pro's evaluation scripts); a predicted box is judged by its centre.
- GUI-G2 (Tang et al., 2025, "GUI-G^2: Gaussian Reward Modeling for GUI Grounding"; its released
  `gaussian_grpo.py`): the target is a 2-D Gaussian at the box centre with per-axis sigma = alpha x the box's width
  and height (alpha = 0.5).
    * point reward  R_point = exp(-1/2 ((px - cx)^2 / sx^2 + (py - cy)^2 / sy^2)) at the predicted point (a
      predicted box: its centre);
    * coverage reward R_cov = exp(-D_B(N_pred, N_gt)), the Bhattacharyya distance between the predicted box's
      Gaussian (sigma = alpha x its own size) and the target's:
      D_B = 1/8 d^T S^-1 d + 1/2 ln(det S / sqrt(det S_pred det S_gt)), S = (S_pred + S_gt) / 2, d = mu_pred - mu_gt;
    * total = R_point + R_cov, in [0, 2].
  Departures from the released code, and why: no rounding to 3 decimals (the exact value keeps small differences
  between group members, and the tests check it exactly); no epsilon added to the covariances (our boxes are
  validated to have positive size, so every determinant is positive and the formula is exact); a point prediction
  has no spread, so its coverage reward is 0 (the released reward parses only boxes; a degenerate box there gives
  ~0 too, through the epsilon).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Box = tuple[float, float, float, float]
Point = tuple[float, float]

GUI_G2_ALPHA = 0.5
"""GUI-G2's sigma scale: sigma = alpha x the box's width (x) and height (y)."""

RewardName = Literal["point_in_box", "gui_g2"]


def check_box(box: Sequence[float], what: str = "box") -> Box:
    """(x1, y1, x2, y2) as floats; raises ValueError naming the box when it has no positive width and height."""
    if len(box) != 4:
        raise ValueError(f"{what} must be 4 numbers (x1, y1, x2, y2), got {list(box)!r}")
    x1, y1, x2, y2 = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        raise ValueError(f"{what} {list(box)!r} has a non-finite coordinate")
    if not (x2 > x1 and y2 > y1):
        raise ValueError(f"{what} {list(box)!r} must have x2 > x1 and y2 > y1 (corners, not x, y, w, h)")
    return (x1, y1, x2, y2)


def box_centre(box: Box) -> Point:
    x1, y1, x2, y2 = box
    return ((x1 + x2) / 2.0, (y1 + y2) / 2.0)


def point_in_box(point: Point, box: Box) -> bool:
    """ScreenSpot's hit test: edges included."""
    x, y = point
    x1, y1, x2, y2 = box
    return x1 <= x <= x2 and y1 <= y <= y2


def gaussian_point_reward(point: Point, target: Box, *, alpha: float = GUI_G2_ALPHA) -> float:
    """GUI-G2's point reward: the target's unnormalised Gaussian (peak 1 at the centre) at `point`."""
    cx, cy = box_centre(target)
    sx, sy = alpha * (target[2] - target[0]), alpha * (target[3] - target[1])
    return math.exp(-0.5 * (((point[0] - cx) / sx) ** 2 + ((point[1] - cy) / sy) ** 2))


def bhattacharyya_distance(pred: Box, target: Box, *, alpha: float = GUI_G2_ALPHA) -> float:
    """Bhattacharyya distance between the axis-aligned Gaussians of two boxes (sigma = alpha x each box's size).

    With diagonal covariances the matrix formula separates per axis: for axis k with variances a_k (pred) and b_k
    (target) and mean difference d_k, D_B = sum_k [ d_k^2 / (4 (a_k + b_k)) + 1/2 ln((a_k + b_k) / (2 sqrt(a_k b_k))) ].
    """
    (pcx, pcy), (gcx, gcy) = box_centre(pred), box_centre(target)
    total = 0.0
    for d, p_size, g_size in ((pcx - gcx, pred[2] - pred[0], target[2] - target[0]),
                              (pcy - gcy, pred[3] - pred[1], target[3] - target[1])):
        a, b = (alpha * p_size) ** 2, (alpha * g_size) ** 2
        total += d * d / (4.0 * (a + b)) + 0.5 * math.log((a + b) / (2.0 * math.sqrt(a * b)))
    return total


def gaussian_coverage_reward(pred: Box, target: Box, *, alpha: float = GUI_G2_ALPHA) -> float:
    """GUI-G2's coverage reward exp(-D_B): 1 for the target box itself, lower as the boxes' Gaussians part."""
    return math.exp(-bhattacharyya_distance(pred, target, alpha=alpha))


@dataclass(frozen=True)
class GroundingScore:
    """Every term for one prediction, so info can report them all whichever one is the reward."""

    hit: bool
    """The ScreenSpot metric: the point (or the predicted box's centre) is inside the target box."""
    point: float
    """GUI-G2's Gaussian point reward."""
    coverage: float
    """GUI-G2's coverage reward (0 for a point prediction)."""

    @property
    def gui_g2(self) -> float:
        return self.point + self.coverage

    def reward(self, name: RewardName) -> float:
        return float(self.hit) if name == "point_in_box" else self.gui_g2


def score(prediction: Point | Box, target: Box, *, alpha: float = GUI_G2_ALPHA) -> GroundingScore:
    """Score a predicted point (2 numbers) or box (4 numbers, corners) against the target box."""
    target = check_box(target, "target box")
    if len(prediction) == 2:
        point = (float(prediction[0]), float(prediction[1]))
        return GroundingScore(hit=point_in_box(point, target), point=gaussian_point_reward(point, target, alpha=alpha),
                              coverage=0.0)
    pred = check_box(prediction, "predicted box")
    centre = box_centre(pred)
    return GroundingScore(hit=point_in_box(centre, target), point=gaussian_point_reward(centre, target, alpha=alpha),
                          coverage=gaussian_coverage_reward(pred, target, alpha=alpha))
