"""Builds objects.json, the attribute table of twenty questions: `python build_objects.py` (run from anywhere).

Each category sets default attributes; each object adds (+attr) or removes (-attr) some. An attribute is what a
person would answer for the typical object ("Is a banana yellow?" yes). Every object must differ from every other
in category or attributes, so that a perfect questioner can always single it out; the build checks that.
Edit this file and re-run it; never edit objects.json by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

ATTRIBUTES = [
    "living", "animal", "plant", "edible", "bigger_than_breadbox", "metal", "wooden", "plastic", "glass", "paper",
    "electronic", "found_in_kitchen", "found_in_house", "man_made", "can_fly", "has_wings", "lives_in_water",
    "has_legs", "has_fur", "has_wheels", "has_engine", "has_screen", "wearable", "found_outdoors", "sharp", "soft",
    "round", "sweet", "makes_sound", "pet", "dangerous", "heavy", "container", "used_for_writing", "green", "red",
    "yellow", "white", "black", "brown", "long", "cold", "worn_on_head", "worn_on_feet", "worn_on_hands",
    "carries_people", "has_strings", "has_keys", "has_buttons", "has_doors", "used_for_eating",
]

CATEGORIES = {
    # category: (default attributes, [object spec, ...]); spec = "name[|alias|alias] +attr -attr ..."
    "mammal": ("living animal has_legs has_fur found_outdoors makes_sound", [
        "dog|puppy +pet +found_in_house", "cat|kitten +pet +found_in_house -found_outdoors",
        "horse +bigger_than_breadbox +heavy +brown", "cow +bigger_than_breadbox +heavy +edible",
        "sheep|lamb +bigger_than_breadbox +soft +white", "rabbit|bunny +pet +soft -makes_sound",
        "lion +bigger_than_breadbox +heavy +dangerous +yellow", "tiger +bigger_than_breadbox +heavy +dangerous +black",
        "bear +bigger_than_breadbox +heavy +dangerous +soft +brown", "elephant +bigger_than_breadbox +heavy -has_fur",
        "mouse +found_in_house", "monkey +bigger_than_breadbox", "pig +bigger_than_breadbox +edible -has_fur",
        "whale +bigger_than_breadbox +heavy +lives_in_water -has_legs -has_fur",
        "bat +can_fly +has_wings",
    ]),
    "bird": ("living animal has_legs has_wings can_fly found_outdoors makes_sound", [
        "eagle +dangerous", "owl +soft", "parrot +pet +found_in_house +green",
        "penguin -can_fly +lives_in_water +cold +black +white", "chicken|hen +edible -can_fly", "duck +lives_in_water +edible",
        "pigeon|dove", "swan +lives_in_water +bigger_than_breadbox",
        "ostrich -can_fly +bigger_than_breadbox +heavy", "flamingo +lives_in_water +bigger_than_breadbox +red",
    ]),
    "sea creature": ("living animal lives_in_water found_outdoors", [
        "shark +bigger_than_breadbox +dangerous +heavy +sharp", "goldfish +pet +found_in_house +yellow",
        "salmon +edible +red", "octopus +has_legs +soft", "crab +has_legs +edible +red",
        "jellyfish +dangerous +soft", "starfish|sea star +has_legs +yellow", "dolphin +bigger_than_breadbox +makes_sound",
        "lobster +has_legs +edible +red +bigger_than_breadbox",
    ]),
    "insect": ("living animal has_legs found_outdoors", [
        "bee|honeybee +has_wings +can_fly +dangerous +makes_sound +yellow", "ant", "butterfly +has_wings +can_fly",
        "mosquito +has_wings +can_fly +makes_sound", "ladybug|ladybird +has_wings +can_fly +red +round",
        "grasshopper|cricket +makes_sound +green", "beetle +has_wings", "dragonfly +has_wings +can_fly +green",
        "caterpillar +soft +green",
    ]),
    "fruit": ("plant edible sweet found_in_kitchen found_in_house", [
        "apple +round +red", "banana +yellow", "orange +round", "strawberry +red", "grape|grapes +green +round",
        "watermelon +bigger_than_breadbox +green +heavy +round", "pineapple +sharp +yellow", "mango", "lemon +yellow -sweet",
        "cherry|cherries +red +round +soft", "peach +soft +round", "coconut +round +heavy -found_in_house",
    ]),
    "vegetable": ("plant edible found_in_kitchen found_in_house", [
        "carrot", "potato +round +brown", "broccoli +green", "tomato +red +round +soft", "onion +round +white",
        "lettuce +green +soft", "corn +yellow +sweet", "cucumber +green +long", "pumpkin +bigger_than_breadbox +round +heavy",
        "pea|peas +green +round +sweet", "pepper|bell pepper +red",
    ]),
    "plant": ("living plant found_outdoors", [
        "tree +bigger_than_breadbox +wooden +heavy +green", "rose +red +sharp", "sunflower +yellow +bigger_than_breadbox",
        "cactus +sharp +green", "grass +green +soft", "tulip +red +found_in_house", "fern +green +found_in_house",
        "mushroom +edible +found_in_kitchen -green", "bamboo +wooden +green +bigger_than_breadbox +edible",
    ]),
    "prepared food": ("edible man_made found_in_kitchen found_in_house", [
        "bread|loaf of bread +soft", "cheese +yellow", "pizza +round", "cake +sweet +soft",
        "egg|eggs -man_made +round +white", "chocolate +sweet +brown", "cookie|biscuit +sweet +round", "sandwich",
        "ice cream +sweet +soft +cold", "honey +sweet -man_made +yellow +container",
    ]),
    "vehicle": ("man_made metal bigger_than_breadbox has_wheels has_engine found_outdoors makes_sound heavy", [
        "car|automobile +carries_people +has_doors", "truck|lorry +long", "bicycle|bike -has_engine -makes_sound -heavy",
        "motorcycle|motorbike -heavy", "boat -has_wheels +lives_in_water +carries_people", "airplane|plane|aeroplane +can_fly +has_wings",
        "train +long +carries_people +has_doors", "bus +yellow +carries_people +has_doors", "helicopter +can_fly -has_wheels", "skateboard +wooden -metal -has_engine -makes_sound -heavy",
        "tractor +green", "submarine -has_wheels +lives_in_water +long +black",
    ]),
    "clothing": ("man_made wearable soft found_in_house", [
        "shirt|t-shirt +has_buttons", "pants|trousers|jeans +long", "jacket|coat +has_buttons +found_outdoors", "dress", "hat|cap +worn_on_head", "sock|socks +worn_on_feet", "shoe|shoes -soft +worn_on_feet",
        "scarf +long +found_outdoors", "glove|gloves +worn_on_hands", "belt -soft +long", "boot|boots -soft +found_outdoors +worn_on_feet", "pajamas +has_buttons +long",
    ]),
    "electronic device": ("man_made electronic found_in_house plastic", [
        "computer|laptop +has_screen +has_keys", "smartphone|phone|cell phone|mobile phone +has_screen +makes_sound",
        "television|tv +has_screen +bigger_than_breadbox +makes_sound",
        "headphones|headphone|earphones +wearable +makes_sound", "camera", "microwave|microwave oven +found_in_kitchen +bigger_than_breadbox +metal +has_doors +has_buttons",
        "refrigerator|fridge +found_in_kitchen +bigger_than_breadbox +heavy +metal +container +cold +has_doors +white",
        "toaster +found_in_kitchen +metal", "calculator +has_screen +has_buttons", "radio +makes_sound",
        "lamp +glass", "robot +metal +makes_sound",
    ]),
    "musical instrument": ("man_made makes_sound found_in_house", [
        "piano +bigger_than_breadbox +heavy +wooden +has_keys", "guitar +wooden +bigger_than_breadbox +has_strings", "drum|drums +round +bigger_than_breadbox",
        "violin +wooden +has_strings", "trumpet +metal +yellow", "flute +metal +long", "harp +wooden +bigger_than_breadbox +heavy +has_strings",
        "saxophone|sax +metal +bigger_than_breadbox", "tambourine +round +metal +wooden",
    ]),
    "furniture": ("man_made bigger_than_breadbox wooden found_in_house has_legs heavy", [
        "chair", "table +found_in_kitchen", "bed +soft +long", "sofa|couch +soft", "desk +used_for_writing", "bookcase|bookshelf -has_legs +container",
        "wardrobe|closet -has_legs +container +has_doors", "stool -heavy", "bench +found_outdoors",
    ]),
    "kitchen utensil": ("man_made found_in_kitchen found_in_house metal", [
        "knife +sharp +dangerous", "spoon +used_for_eating", "fork +sharp +used_for_eating", "plate|dish +round -metal +used_for_eating", "bowl +round +container -metal",
        "pot|cooking pot +container +heavy", "frying pan|pan +round +heavy", "cup|mug +container -metal",
        "whisk", "kettle +container +electronic", "chopsticks|chopstick +wooden -metal +used_for_eating +long",
    ]),
    "tool": ("man_made metal", [
        "hammer +heavy +wooden", "screwdriver +plastic", "wrench|spanner +heavy", "saw +sharp +dangerous",
        "pliers", "drill +electronic +dangerous +makes_sound", "shovel|spade +found_outdoors +bigger_than_breadbox",
        "rake +found_outdoors +bigger_than_breadbox +wooden", "ladder +bigger_than_breadbox +heavy",
        "axe +sharp +dangerous +wooden +heavy",
    ]),
    "sports equipment": ("man_made found_outdoors", [
        "basketball +round +bigger_than_breadbox", "soccer ball|football +round +white +black", "baseball bat|bat -found_outdoors +wooden +heavy",
        "tennis racket|racket", "golf ball +round +white", "skis +bigger_than_breadbox +wearable", "helmet +wearable +plastic",
        "hockey stick +wooden +bigger_than_breadbox", "frisbee +round +plastic +can_fly",
    ]),
    "toy": ("man_made found_in_house", [
        "doll +soft", "kite +can_fly +found_outdoors", "teddy bear|teddy +soft +has_fur +has_legs",
        "yo-yo|yoyo +round +plastic", "jigsaw puzzle|puzzle +paper", "lego|lego bricks +plastic",
        "marble|marbles +round +glass", "balloon +round +can_fly +red", "rubber duck +yellow +plastic +lives_in_water",
    ]),
    "jewelry": ("man_made metal wearable", [
        "ring +round +worn_on_hands", "necklace +long", "bracelet +round", "earring|earrings +worn_on_head", "watch|wristwatch +electronic",
        "crown +heavy", "brooch|pin +sharp",
    ]),
    "office supply": ("man_made found_in_house", [
        "pen +used_for_writing +plastic", "pencil +used_for_writing +wooden", "paper clip +metal",
        "stapler +metal +black", "scissors +sharp +metal", "notebook +paper +used_for_writing", "eraser|rubber +soft",
        "ruler +plastic", "envelope +paper +container", "tape +plastic +round",
    ]),
}


def build() -> list[dict]:
    objects, names = [], set()
    for category, (defaults, specs) in CATEGORIES.items():
        for spec in specs:
            # attribute edits start at the first " +" or " -"; everything before is the name and aliases
            cut = min([i for i in (spec.find(" +"), spec.find(" -")) if i >= 0] or [len(spec)])
            names_str, edits = spec[:cut], spec[cut:].split()
            name, *aliases = names_str.split("|")
            attrs = set(defaults.split())
            for e in edits:
                (attrs.add if e[0] == "+" else attrs.discard)(e[1:])
            unknown = attrs - set(ATTRIBUTES)
            if unknown:
                raise ValueError(f"{name}: unknown attributes {sorted(unknown)}")
            if name in names:
                raise ValueError(f"duplicate object {name!r}")
            names.add(name)
            objects.append({"name": name, "aliases": aliases, "category": category,
                            "attributes": {a: a in attrs for a in ATTRIBUTES}})
    signatures: dict[tuple, str] = {}
    clashes = []
    for o in objects:
        sig = (o["category"], tuple(sorted(a for a, v in o["attributes"].items() if v)))
        if sig in signatures:
            clashes.append(f"{o['name']!r} = {signatures[sig]!r}")
        signatures[sig] = o["name"]
    if clashes:
        raise ValueError(f"objects with the same category and attributes: {', '.join(clashes)}; "
                         "give one of each pair a distinguishing attribute")
    return objects


if __name__ == "__main__":
    objs = build()
    out = Path(__file__).with_name("objects.json")
    out.write_text(json.dumps({"version": 1, "attributes": ATTRIBUTES, "categories": list(CATEGORIES),
                               "objects": objs}, indent=1) + "\n")
    print(f"wrote {len(objs)} objects in {len(CATEGORIES)} categories to {out}")
