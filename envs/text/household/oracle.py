"""The household expert: the next command from the true state, replanned every turn.

It reads the whole world (privileged: it knows what is inside closed receptacles), so it never searches. Replanning
from the state each turn means it recovers from anything another policy did before handing over: an object in the
hand that the task does not need is put down first. A plan is at most ~8 commands: go to the object's receptacle,
open it, take the object, go to the appliance, heat/cool/clean, go to the target, open it, move the object there
(twice over for two-object tasks); for the look task: take the object, go to the lamp, use it.
"""

from __future__ import annotations

from agentgym.envs.text.household import catalog as C
from agentgym.envs.text.household.world import Goal, Item, World


def oracle_action(world: World, goal: Goal) -> str:
    if world.holding is not None and world.items[world.holding].kind != goal.object:
        return _put_down(world)
    if world.holding is None:
        return _fetch(world, goal)
    held = world.items[world.holding]
    if goal.task_type == "look_at_obj_in_light":
        lamp = next(it for it in world.items.values() if it.is_lamp and it.kind == goal.lamp)
        if world.at != lamp.location:
            return f"go to {lamp.location}"
        return f"use {lamp.name}"
    modifier = goal.modifier
    if modifier is not None and not world.satisfies(held, modifier):
        appliance = _first_of_kind(world, C.APPLIANCE[modifier])
        if world.at != appliance:
            return f"go to {appliance}"
        return f"{modifier} {held.name} with {appliance}"
    target = _first_of_kind(world, goal.receptacle)  # type: ignore[arg-type]
    return _walk_open_then(world, target, f"move {held.name} to {target}")


def _fetch(world: World, goal: Goal) -> str:
    """Go to the next object of the goal's kind that is not already where the goal wants it, open, take it."""
    candidates = [it for it in world.items.values() if it.kind == goal.object and not _done(world, goal, it)]
    if not candidates:
        raise RuntimeError(f"oracle: no {goal.object!r} left to fetch for goal {goal.text!r}; the task is unsolvable")
    # Prefer objects on open surfaces, then by name: fewer commands, and a fixed order.
    item = min(candidates, key=lambda it: (not world.receptacles[it.location].visible, it.name))  # type: ignore[index]
    source = item.location
    assert source is not None
    return _walk_open_then(world, source, f"take {item.name} from {source}")


def _done(world: World, goal: Goal, item: Item) -> bool:
    if goal.receptacle is None or item.location is None:
        return False
    return world.receptacles[item.location].kind == goal.receptacle and world.satisfies(item, goal.modifier)


def _put_down(world: World) -> str:
    """Free the hand: put the held object at the current receptacle (opening it if needed), else at the first
    receptacle that accepts anything."""
    here = world.at
    if here is None:
        here = next(name for name, r in world.receptacles.items() if not r.openable)
    return _walk_open_then(world, here, f"move {world.holding} to {here}")


def _walk_open_then(world: World, receptacle: str, action: str) -> str:
    if world.at != receptacle:
        return f"go to {receptacle}"
    if not world.receptacles[receptacle].visible:
        return f"open {receptacle}"
    return action


def _first_of_kind(world: World, kind: str) -> str:
    return next(name for name, r in world.receptacles.items() if r.kind == kind)
