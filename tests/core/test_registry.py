import subprocess
import sys
import textwrap

import pytest

import agentgym
from agentgym.registry import UnknownEnvError


def test_builtin_envs_are_listed_under_the_agentgym_namespace():
    ids = agentgym.list_envs()
    for env_id in ["agentgym/TextAdventure-v0", "agentgym/Household-v0", "agentgym/TwentyQuestions-v0",
                   "agentgym/TextWorld-v0"]:
        assert env_id in ids
    assert agentgym.spec("agentgym/TextAdventure-v0").source == "agentgym"


def test_unknown_id_names_the_nearest_match():
    with pytest.raises(UnknownEnvError) as e:
        agentgym.make("agentgym/TextAdventur-v0")
    assert str(e.value) == "No environment registered as 'agentgym/TextAdventur-v0'. Did you mean " \
                           "'agentgym/TextAdventure-v0'?"
    with pytest.raises(UnknownEnvError, match="Run `agentgym envs list`"):
        agentgym.make("nothing/Like-v9")


def test_register_validates_ids_and_refuses_clashes():
    with pytest.raises(ValueError, match="must be 'namespace/Name-vN'"):
        agentgym.register("NoNamespace-v0", "x:Y")
    with pytest.raises(ValueError, match="already registered"):
        agentgym.register("agentgym/TextAdventure-v0", "somewhere.else:Env")
    agentgym.register("agentgym/TextAdventure-v0", "agentgym.envs.text.adventure.env:TextAdventureEnv")  # same


def test_import_agentgym_stays_light():
    code = "import sys, agentgym; agentgym.list_envs(); print(sorted(m for m in ('torch', 'transformers', " \
           "'playwright', 'docker', 'textworld') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_broken_plugin_warns_and_the_others_still_load(tmp_path):
    # Two fake distributions on sys.path: one whose entry point raises, one that registers an env.
    for name, body in [("brokenplug", "raise RuntimeError('half-installed')"),
                       ("goodplug", "import agentgym\n"
                                    "def register():\n"
                                    "    agentgym.register('goodplug/Thing-v0', 'goodplug:Env', description='ok')\n")]:
        (tmp_path / f"{name}.py").write_text(body if name == "goodplug" else "def register():\n    " + body + "\n")
        dist = tmp_path / f"{name}-0.1.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
        (dist / "entry_points.txt").write_text(f"[agentgym.envs]\n{name} = {name}:register\n")
    code = textwrap.dedent("""
        import sys, warnings
        sys.path.insert(0, sys.argv[1])
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            import agentgym
            ids = agentgym.list_envs()
        print("goodplug/Thing-v0" in ids, agentgym.spec("goodplug/Thing-v0").source)
        print([str(x.message) for x in w if "brokenplug" in str(x.message)][0])
    """)
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True)
    first, second = out.stdout.strip().splitlines()
    assert first == "True goodplug"
    assert second == "agentgym plugin 'brokenplug' (brokenplug:register) failed to load and was skipped: " \
                     "RuntimeError: half-installed"
