"""What each of NetHack's 5976 glyphs is called in words, and what the planners may do with the square it shows.

Names follow BALROG's language layer (nle-language-wrapper's `text_glyphs`): monsters by their NetHack name ("tame
kitten", "newt"), objects by their appearance per object class ("scroll labeled FOO", "ruby potion"), and map
features by NetHack's symbol names ("stairs down", "horizontal wall", "dark area"). The tables are built once per
process from NLE's own monster and object data (`nle.nethack.permonst`, `objclass`, `objdescr`), so they match the
game exactly; only the list of map-feature names is written here, in NetHack 3.6's defsym order.

BALROG splits glyphs into two groups: "fullscreen" glyphs (monsters, objects, and the map features worth naming
anywhere: doors, stairs, fountains, lava, ...) are described wherever they are on the screen; walls and other
view-blocking features are only described along the eight compass rays from the hero, up to 9 squares or the first
wall ("ray" glyphs). Floor, corridor and unexplored stone are never described.
"""

from __future__ import annotations

import functools

import numpy as np

from agentgym.envs.nethack.engine import nethack

CMAP_NAMES = (
    "dark area", "vertical wall", "horizontal wall", "northwest room corner", "northeast room corner",
    "southwest corner", "southeast corner", "cross wall", "t up wall", "t down wall", "t west wall", "t east wall",
    "doorway", "vertical open door", "horizontal open door", "vertical closed door", "horizontal closed door", "bars",
    "tree", "room floor", "dark room floor", "corridor floor", "lit corridor floor", "stairs up", "stairs down",
    "ladder up", "ladder down", "altar", "grave", "throne", "sink", "fountain", "pool", "ice", "lava",
    "vertical lowered drawbridge", "horizontal lowered drawbridge", "vertical raised drawbridge",
    "horizontal raised drawbridge", "air floor", "cloud floor", "water floor", "arrow trap", "dart trap",
    "falling rock trap", "squeaky board", "bear trap", "land mine", "rolling boulder trap", "sleeping gas trap",
    "rust trap", "fire trap", "pit", "spiked pit", "hole", "trap door", "teleportation trap", "level teleporter",
    "magic portal", "web", "statue trap", "magic trap", "anti magic trap", "polymorph trap", "vibrating square",
    "vertical beam", "horizontal beam", "left slant beam", "right slant beam", "dig beam", "flash beam", "boom left",
    "boom right", "shield 1", "shield 2", "shield 3", "shield 4", "poison cloud", "valid position",
    "swallow top left", "swallow top center", "swallow top right", "swallow middle left", "swallow middle right",
    "swallow bottom left", "swallow bottom center", "swallow bottom right", "explosion top left",
    "explosion top center", "explosion top right", "explosion middle left", "explosion middle center",
    "explosion middle right", "explosion bottom left", "explosion bottom center", "explosion bottom right",
)
"""NetHack 3.6's map symbols (defsym.h, S_stone .. S_explode9), named as BALROG names them (its "alter" typo for
the altar is corrected)."""

WARNINGS = ("worry", "concern", "anxiety", "disquiet", "alarm", "dread")
"""NetHack's warning levels 0-5 (def_warnsyms), as in "unknown creature causing you worry"."""

FLOOR = frozenset({"room floor", "dark room floor", "corridor floor", "lit corridor floor"})
NAMED_EVERYWHERE = frozenset({
    "horizontal closed door", "vertical closed door", "bars", "tree", "stairs up", "stairs down", "ladder up",
    "ladder down", "altar", "grave", "throne", "sink", "fountain", "pool", "ice", "lava",
    "vertical raised drawbridge", "horizontal raised drawbridge"})
"""Map features BALROG names wherever they are on the screen."""
BLOCKS_VIEW = frozenset({
    "dark area", "vertical wall", "horizontal wall", "northwest room corner", "northeast room corner",
    "southwest corner", "southeast corner", "cross wall", "t up wall", "t down wall", "t west wall", "t east wall",
    "horizontal closed door", "vertical closed door", "horizontal raised drawbridge", "vertical raised drawbridge"})
"""Features that end a ray: nothing behind them along that ray is described."""

# Indices into CMAP_NAMES the planners need.
S_STONE, S_VWALL, S_TRWALL = 0, 1, 11
S_NDOOR, S_VODOOR, S_HODOOR, S_VCDOOR, S_HCDOOR = 12, 13, 14, 15, 16
S_BARS, S_TREE, S_ROOM, S_DARKROOM, S_CORR, S_LITCORR = 17, 18, 19, 20, 21, 22
S_UPSTAIR, S_DNSTAIR, S_UPLADDER, S_DNLADDER = 23, 24, 25, 26
S_POOL, S_ICE, S_LAVA = 32, 33, 34
S_VODBRIDGE, S_HODBRIDGE, S_VCDBRIDGE, S_HCDBRIDGE, S_AIR, S_CLOUD, S_WATER = 35, 36, 37, 38, 39, 40, 41
S_ARROW_TRAP, S_VIBRATING_SQUARE = 42, 64


def _object_name(obj_index: int) -> str:
    """An object as BALROG names it: by appearance where the class has one (unidentified items look alike)."""
    klass = nethack.objclass(obj_index)
    descr = nethack.objdescr.from_idx(obj_index)
    name, appearance = descr.oc_name or "", descr.oc_descr or ""
    oc = ord(klass.oc_class) if isinstance(klass.oc_class, str) else int(klass.oc_class)
    if oc in (nethack.ARMOR_CLASS, nethack.TOOL_CLASS):
        return appearance or name
    if oc == nethack.RING_CLASS:
        return f"{appearance} ring"
    if oc == nethack.AMULET_CLASS:
        return appearance if "Amulet" in appearance else f"{appearance} amulet"
    if oc == nethack.FOOD_CLASS:
        return name + appearance
    if oc == nethack.POTION_CLASS:
        return f"{appearance} potion"
    if oc == nethack.SCROLL_CLASS:
        return f"scroll labeled {appearance}"
    if oc == nethack.SPBOOK_CLASS:
        return f"{appearance} spellbook"
    if oc == nethack.WAND_CLASS:
        return f"{appearance} wand"
    if oc == nethack.GEM_CLASS:
        return name if appearance in name else f"{appearance} {name}"
    if oc == nethack.VENOM_CLASS:
        return f"splash of {name}"
    return name  # weapons, coins, rocks, balls, chains, the "strange object"


def _glyph_name(g: int) -> str:
    nh = nethack
    if g >= nh.GLYPH_STATUE_OFF:
        return nh.permonst(g - nh.GLYPH_STATUE_OFF).mname + " statue"
    if g >= nh.GLYPH_WARNING_OFF:
        return "unknown creature causing you " + WARNINGS[(g - nh.GLYPH_WARNING_OFF) % len(WARNINGS)]
    if g >= nh.GLYPH_SWALLOW_OFF:
        return CMAP_NAMES[80 + (g - nh.GLYPH_SWALLOW_OFF) % 8]
    if g >= nh.GLYPH_ZAP_OFF:
        return ("horizontal zap beam", "vertical zap beam", "left slant zap beam",
                "right slant zap beam")[(g - nh.GLYPH_ZAP_OFF) % 4]
    if g >= nh.GLYPH_EXPLODE_OFF:
        return CMAP_NAMES[87 + (g - nh.GLYPH_EXPLODE_OFF) % nh.MAXEXPCHARS]
    if g >= nh.GLYPH_CMAP_OFF:
        return CMAP_NAMES[g - nh.GLYPH_CMAP_OFF]
    if g >= nh.GLYPH_OBJ_OFF:
        return _object_name(g - nh.GLYPH_OBJ_OFF)
    if g >= nh.GLYPH_RIDDEN_OFF:
        return "ridden " + nh.permonst(g - nh.GLYPH_RIDDEN_OFF).mname
    if g >= nh.GLYPH_BODY_OFF:
        return nh.permonst(g - nh.GLYPH_BODY_OFF).mname + " corpse"
    if g >= nh.GLYPH_DETECT_OFF:
        return "detected " + nh.permonst(g - nh.GLYPH_DETECT_OFF).mname
    if g >= nh.GLYPH_INVIS_OFF:
        return "invisible creature"
    if g >= nh.GLYPH_PET_OFF:
        return "tame " + nh.permonst(g - nh.GLYPH_PET_OFF).mname
    return nh.permonst(g - nh.GLYPH_MON_OFF).mname


@functools.lru_cache(maxsize=1)
def glyph_tables() -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray]:
    """(name of every glyph, is-named-everywhere mask, is-described-on-rays mask, ends-a-ray mask)."""
    names = tuple(_glyph_name(g) for g in range(nethack.MAX_GLYPH))
    everywhere = np.zeros(nethack.MAX_GLYPH, dtype=bool)
    on_rays = np.zeros(nethack.MAX_GLYPH, dtype=bool)
    blocks = np.zeros(nethack.MAX_GLYPH, dtype=bool)
    for g, name in enumerate(names):
        cmap = nethack.GLYPH_CMAP_OFF <= g < nethack.GLYPH_EXPLODE_OFF
        if not cmap:
            everywhere[g] = True
        elif name in NAMED_EVERYWHERE:
            everywhere[g] = True
        elif name not in FLOOR:
            on_rays[g] = True
        blocks[g] = cmap and name in BLOCKS_VIEW
    return names, everywhere, on_rays, blocks


def glyph_name(glyph: int) -> str:
    return glyph_tables()[0][int(glyph)]


def cmap_index(glyph: int) -> int | None:
    """The map-symbol index of a map-feature glyph (0 = dark area ... ), None for monsters, objects and effects."""
    g = int(glyph)
    if nethack.GLYPH_CMAP_OFF <= g < nethack.GLYPH_EXPLODE_OFF:
        return g - nethack.GLYPH_CMAP_OFF
    return None


@functools.lru_cache(maxsize=1)
def boulder_glyph() -> int:
    for i in range(nethack.NUM_OBJECTS):
        if nethack.objdescr.from_idx(i).oc_name == "boulder":
            return nethack.GLYPH_OBJ_OFF + i
    raise RuntimeError("NLE's object table has no boulder")  # never: NetHack always has boulders


def is_monster(glyph: int) -> bool:
    g = int(glyph)
    return g < nethack.GLYPH_INVIS_OFF or nethack.GLYPH_DETECT_OFF <= g < nethack.GLYPH_BODY_OFF or \
        nethack.GLYPH_RIDDEN_OFF <= g < nethack.GLYPH_OBJ_OFF


def is_pet(glyph: int) -> bool:
    return nethack.GLYPH_PET_OFF <= int(glyph) < nethack.GLYPH_INVIS_OFF


def is_object(glyph: int) -> bool:
    g = int(glyph)
    return nethack.GLYPH_OBJ_OFF <= g < nethack.GLYPH_CMAP_OFF or nethack.GLYPH_BODY_OFF <= g < \
        nethack.GLYPH_RIDDEN_OFF
