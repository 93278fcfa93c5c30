"""GUIGrounding's expert: click the centre of the target box (in the coordinates of the image it is shown)."""

from __future__ import annotations

from agentgym.envs.gui.grounding.rewards import Box, box_centre


def oracle_click(target: Box, scale: float = 1.0) -> str:
    """`click(x, y)` at the target box's centre, for an observation image scaled by `scale`."""
    cx, cy = box_centre(target)
    return f"click({cx * scale:.2f}, {cy * scale:.2f})"
