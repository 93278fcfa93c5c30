"""A thin layer over gymnasium's registry: register(), make(), list_envs(), and entry-point plugins.

Env ids are `agentgym/Name-vN` for built-ins; plugins may use their own namespace (`mypkg/Name-v0`). Entry points are
strings, so nothing heavy is imported until `make()`.

Third-party packages register through the entry-point group `agentgym.envs`:

    [project.entry-points."agentgym.envs"]
    mypkg = "mypkg.envs:register_envs"      # a function that calls agentgym.register(...)

or point it at a module whose import registers its envs. Plugins load lazily on the first list or make; a plugin
that fails to load warns and the others still load.
"""

from __future__ import annotations

import difflib
import importlib
import warnings
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Callable

import gymnasium as gym

ENTRY_POINT_GROUP = "agentgym.envs"


class UnknownEnvError(gym.error.Error, KeyError):
    """No env registered under that id."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable.
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class EnvSpec:
    id: str
    entry_point: str | Callable[..., Any]
    description: str
    source: str
    """"agentgym" for built-ins, or the distribution/entry-point name that registered it."""
    kwargs: dict[str, Any]
    multiagent: bool = False
    """True for PettingZoo AEC games (agentgym.multiagent.TextGame): make() builds them directly, not through
    gym.make, and `agentgym envs check` runs PettingZoo's api_test on them."""


_SPECS: dict[str, EnvSpec] = {}
_PLUGINS_LOADED = False
_PLUGIN_ERRORS: dict[str, str] = {}
_current_source = "agentgym"


def register(env_id: str, entry_point: str | Callable[..., Any], *, description: str = "",
             max_episode_steps: int | None = None, kwargs: dict[str, Any] | None = None,
             multiagent: bool = False) -> None:
    """Register an env with gymnasium's registry and list it among agentgym's envs.

    `entry_point` is "module.path:ClassName" (imported lazily) or a callable returning an AgentEnv.
    Ids must look like `namespace/Name-vN`; bump N when observations, actions, reward or termination change.
    multiagent=True registers a PettingZoo AEC game (not a gymnasium env): it is listed with the others and make()
    calls its entry point directly.
    """
    ns, name, version = gym.envs.registration.parse_env_id(env_id)
    if ns is None or version is None:
        raise ValueError(
            f"env id {env_id!r} must be 'namespace/Name-vN' (e.g. 'mypkg/{name}-v0'): the namespace keeps plugins apart "
            "and the version changes whenever observations, actions, reward or termination change."
        )
    if multiagent:
        old = _SPECS.get(env_id)
        if old is not None and old.entry_point != entry_point:
            raise ValueError(f"env id {env_id!r} is already registered (by {old.source}); pick another name or "
                             "bump the version.")
        _SPECS[env_id] = EnvSpec(env_id, entry_point, description, _current_source, dict(kwargs or {}), True)
        return
    if env_id in gym.registry:
        # Re-registering the same entry point (a module imported twice) is harmless; a different one is a clash.
        old = _SPECS.get(env_id)
        if old is None or old.entry_point != entry_point:
            raise ValueError(f"env id {env_id!r} is already registered (by {old.source if old else 'gymnasium'}); "
                             "pick another name or bump the version.")
        return
    gym.register(id=env_id, entry_point=entry_point, max_episode_steps=max_episode_steps,
                 kwargs=dict(kwargs or {}), disable_env_checker=False)
    _SPECS[env_id] = EnvSpec(env_id, entry_point, description, _current_source, dict(kwargs or {}))


def make(env_id: str, **kwargs: Any) -> gym.Env:
    """Build a registered env. Unknown ids raise with the nearest match."""
    _ensure_loaded()
    s = _SPECS.get(env_id)
    if s is not None and s.multiagent:
        return _load(s.entry_point)(**{**s.kwargs, **kwargs})
    if env_id not in gym.registry:
        raise _unknown_env(env_id, list_envs())
    return gym.make(env_id, **kwargs)


def _load(entry_point: str | Callable[..., Any]) -> Callable[..., Any]:
    if callable(entry_point):
        return entry_point
    module, _, attr = entry_point.partition(":")
    return getattr(importlib.import_module(module), attr)


def spec(env_id: str) -> EnvSpec:
    _ensure_loaded()
    if env_id not in _SPECS:
        raise _unknown_env(env_id, list_envs())
    return _SPECS[env_id]


def list_envs() -> list[str]:
    """Every env registered through agentgym (built-ins and plugins), sorted."""
    _ensure_loaded()
    return sorted(_SPECS)


def plugin_errors() -> dict[str, str]:
    """Plugins that failed to load, by entry-point name, with the reason."""
    _ensure_loaded()
    return dict(_PLUGIN_ERRORS)


def _unknown_env(env_id: str, known: list[str]) -> UnknownEnvError:
    near = difflib.get_close_matches(env_id, known, n=1, cutoff=0.6)
    if not near:  # case slips ("webshop" vs "WebShop") are the common miss
        lowered = {k.lower(): k for k in known}
        near = [lowered[env_id.lower()]] if env_id.lower() in lowered else []
    hint = f" Did you mean {near[0]!r}?" if near else " Run `agentgym envs list` to see them."
    return UnknownEnvError(f"No environment registered as {env_id!r}.{hint}")


def _ensure_loaded() -> None:
    """Import the built-in envs, then every plugin of the `agentgym.envs` entry-point group, once."""
    global _PLUGINS_LOADED, _current_source
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    importlib.import_module("agentgym.envs")
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        _current_source = ep.name
        try:
            target = ep.load()
            if callable(target):
                target()
        except Exception as e:  # a broken plugin must not break the others
            _PLUGIN_ERRORS[ep.name] = f"{type(e).__name__}: {e}"
            warnings.warn(f"agentgym plugin {ep.name!r} ({ep.value}) failed to load and was skipped: "
                          f"{type(e).__name__}: {e}", RuntimeWarning, stacklevel=2)
        finally:
            _current_source = "agentgym"
