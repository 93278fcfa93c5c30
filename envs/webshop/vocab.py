"""The generated catalogue's vocabulary: categories, product types, their attributes, option axes and prices.

Six top-level categories (WebShop's five: beauty, electronics, fashion, food, furniture; plus garden, held out of
training goals), five product types each. A type fixes the category path (product_category, "›"-separated as in
WebShop), the search query its products were "scraped" with, the nouns of its title, an attribute vocabulary (every
product has 3-4 of them) and its option axes. Changing anything here changes the catalogue: bump CATALOGUE_VERSION
in catalogue.py.
"""

from __future__ import annotations

from dataclasses import dataclass

AXES: dict[str, tuple[str, list[str]]] = {
    # axis key: (option name shown on the item page, candidate values)
    "color": ("color", ["black", "white", "grey", "navy", "red", "green", "blue", "pink", "beige", "brown",
                        "purple", "yellow", "orange", "teal"]),
    "apparel": ("size", ["x-small", "small", "medium", "large", "x-large", "xx-large"]),
    "shoe": ("size", ["6", "6.5", "7", "7.5", "8", "8.5", "9", "9.5", "10", "11", "12"]),
    "floz": ("size", ["2 fl oz", "4 fl oz", "8 fl oz", "12 fl oz", "16 fl oz", "33.8 fl oz"]),
    "pack": ("size", ["pack of 1", "pack of 2", "pack of 3", "pack of 4", "pack of 6", "pack of 12", "pack of 24"]),
    "scent": ("scent name", ["lavender", "unscented", "citrus", "eucalyptus", "vanilla", "coconut", "rose"]),
    "flavor": ("flavor name", ["chocolate chip", "peanut butter", "vanilla almond", "sea salt caramel",
                               "cookie dough", "mixed berry", "lemon"]),
    "tea": ("flavor name", ["jasmine", "mint", "ginger", "honey lemon", "peach", "matcha"]),
    "hair": ("color", ["jet black", "dark brown", "ash blonde", "platinum blonde", "auburn", "burgundy"]),
    "inch": ("size", ["12 inch", "16 inch", "20 inch", "24 inch"]),
    "feet": ("size", ["3 ft", "6 ft", "10 ft", "25 ft", "50 ft"]),
    "mah": ("capacity", ["5000mah", "10000mah", "20000mah", "26800mah"]),
    "phone": ("style", ["iphone 15", "iphone 14", "galaxy s24", "galaxy s23", "pixel 8", "pixel 7"]),
    "wood": ("color", ["natural oak", "espresso", "white", "black", "walnut", "grey wash", "cherry"]),
    "bed": ("size", ["twin", "full", "queen", "king"]),
    "weight": ("size", ["8 ounce", "12 ounce", "16 ounce", "2 pound", "5 pound"]),
    "pot": ("size", ["4 inch", "6 inch", "8 inch", "12 inch"]),
    "light": ("color", ["warm white", "multicolor", "cool blue"]),
    "coffee": ("flavor name", ["hazelnut", "french vanilla", "caramel", "mocha", "original", "cinnamon"]),
    "oil": ("style", ["classic", "robust", "mild", "garlic infused", "lemon infused", "basil infused"]),
    "nuts": ("flavor name", ["sea salt", "smoked", "chili lime", "original", "barbecue"]),
    "lens": ("color", ["black", "tortoise", "gold", "silver", "blue", "brown"]),
}


@dataclass(frozen=True)
class ProductType:
    key: str
    category: str
    """WebShop's top-level `category` field: beauty, electronics, fashion, food, furniture, garden."""
    path: str
    """product_category, levels joined by " › "."""
    query: str
    """The `query` field: the search the product was listed under; instructions name it."""
    title: str
    """The type's words in a title, e.g. "Shampoo"."""
    nouns: tuple[str, ...]
    """The nouns of `title` (lower case): what stands in for spaCy's NOUN/PROPN tags in the type reward."""
    attributes: tuple[str, ...]
    axes: tuple[str, ...]
    """Option axes (keys of AXES); the first is the one goals of a family vary."""
    price: tuple[float, float]
    audiences: tuple[str, ...] = ("",)
    """Title endings such as "for Women" (their nouns join the title nouns)."""


TYPES: tuple[ProductType, ...] = (
    # beauty
    ProductType("shampoo", "beauty", "Beauty & Personal Care › Hair Care › Shampoo & Conditioner › Shampoos",
                "shampoo", "Shampoo", ("shampoo",),
                ("sulfate free", "tea tree", "argan oil", "paraben free", "color safe", "dry scalp", "hair growth",
                 "keratin treatment"), ("scent", "floz"), (6, 34), ("for Women", "for Men", "")),
    ProductType("moisturizer", "beauty", "Beauty & Personal Care › Skin Care › Face › Creams & Moisturizers",
                "face moisturizer", "Face Moisturizer", ("face", "moisturizer"),
                ("hyaluronic acid", "fragrance free", "oil free", "vitamin c", "anti aging", "sensitive skin",
                 "spf 30", "shea butter"), ("scent", "floz"), (9, 48)),
    ProductType("lipstick", "beauty", "Beauty & Personal Care › Makeup › Lips › Lipstick", "lipstick", "Lipstick",
                ("lipstick",),
                ("long lasting", "matte finish", "vegan formula", "highly pigmented", "moisturizing balm",
                 "cruelty free", "waterproof wear", "satin sheen"), ("color", "pack"), (5, 26)),
    ProductType("nail_polish", "beauty", "Beauty & Personal Care › Foot, Hand & Nail Care › Nail Polish",
                "nail polish", "Nail Polish", ("nail", "polish"),
                ("quick dry", "gel effect", "chip resistant", "non toxic", "high gloss", "glitter finish",
                 "easy removal", "salon quality"), ("color", "pack"), (4, 22)),
    ProductType("hair_extensions", "beauty", "Beauty & Personal Care › Hair Care › Hair Extensions & Wigs",
                "hair extensions", "Hair Extensions", ("hair", "extensions"),
                ("clip in", "human hair", "heat resistant", "natural looking", "double weft", "thick hair",
                 "straight style", "tangle free"), ("hair", "inch"), (19, 95), ("for Women", "")),
    # electronics
    ProductType("usb_cable", "electronics", "Electronics › Computers & Accessories › Cables › USB Cables",
                "usb c cable", "USB C Cable", ("usb", "cable"),
                ("fast charging", "braided nylon", "data transfer", "gold plated", "tangle resistant",
                 "100w power delivery", "right angle", "aluminum connector"), ("color", "feet"), (6, 24)),
    ProductType("earbuds", "electronics", "Electronics › Headphones, Earbuds & Accessories › Earbuds",
                "wireless earbuds", "Wireless Earbuds", ("earbuds",),
                ("noise cancelling", "bluetooth 5.3", "water resistant", "charging case", "deep bass",
                 "touch control", "long battery life", "built-in microphone"), ("color",), (19, 129)),
    ProductType("phone_case", "electronics", "Electronics › Cell Phones & Accessories › Cases, Holsters & Sleeves",
                "phone case", "Phone Case", ("phone", "case"),
                ("shockproof bumper", "slim fit", "clear back", "magnetic ring", "drop protection",
                 "kickstand stand", "raised edges", "card holder"), ("phone", "color"), (7, 35)),
    ProductType("power_bank", "electronics", "Electronics › Cell Phones & Accessories › Chargers › Power Banks",
                "power bank", "Power Bank", ("power", "bank"),
                ("fast charging", "led display", "dual usb", "compact size", "usb c port", "airline approved",
                 "wireless charging", "solar panel"), ("mah", "color"), (15, 79)),
    ProductType("hdmi_cable", "electronics", "Electronics › Television & Video › Accessories › HDMI Cables",
                "hdmi cable", "HDMI Cable", ("hdmi", "cable"),
                ("4k resolution", "high speed", "ethernet channel", "gold plated", "braided jacket",
                 "8k ultra hd", "low latency", "flat design"), ("color", "feet"), (6, 32)),
    # fashion
    ProductType("tshirt", "fashion", "Clothing, Shoes & Jewelry › Men › Clothing › Shirts › T-Shirts", "t-shirt",
                "T-Shirt", ("t-shirt",),
                ("machine wash", "cotton blend", "short sleeve", "crew neck", "moisture wicking", "relaxed fit",
                 "tagless collar", "v neck"), ("color", "apparel"), (8, 30), ("for Men", "for Women")),
    ProductType("running_shoes", "fashion", "Clothing, Shoes & Jewelry › Shoes › Athletic › Running",
                "running shoes", "Running Shoes", ("running", "shoes"),
                ("lace up closure", "rubber sole", "memory foam", "breathable mesh", "arch support",
                 "slip resistant", "lightweight design", "wide toe box"), ("shoe", "color"), (29, 139),
                ("for Men", "for Women")),
    ProductType("leggings", "fashion", "Clothing, Shoes & Jewelry › Women › Clothing › Active › Leggings",
                "yoga leggings", "Yoga Leggings", ("yoga", "leggings"),
                ("high waist", "tummy control", "four way stretch", "side pockets", "squat proof", "quick drying",
                 "seamless knit", "butt lift"), ("color", "apparel"), (12, 45), ("for Women",)),
    ProductType("jacket", "fashion", "Clothing, Shoes & Jewelry › Men › Clothing › Jackets & Coats",
                "winter jacket", "Winter Jacket", ("winter", "jacket"),
                ("water resistant", "fleece lined", "detachable hood", "zip closure", "windproof shell",
                 "down filling", "thermal lining", "chest pocket"), ("color", "apparel"), (35, 189),
                ("for Men", "for Women")),
    ProductType("sunglasses", "fashion", "Clothing, Shoes & Jewelry › Accessories › Sunglasses & Eyewear",
                "sunglasses", "Sunglasses", ("sunglasses",),
                ("polarized lenses", "uv400 protection", "metal frame", "scratch resistant", "oversized frame",
                 "spring hinges", "mirrored coating", "blue light blocking"), ("lens", "pack"), (9, 59),
                ("for Men", "for Women", "")),
    # food
    ProductType("coffee", "food", "Grocery & Gourmet Food › Beverages › Coffee › Whole Coffee Beans",
                "coffee beans", "Whole Bean Coffee", ("bean", "coffee"),
                ("dark roast", "single origin", "fair trade", "usda organic", "low acid", "small batch",
                 "nitrogen flushed", "arabica beans"), ("coffee", "weight"), (9, 42)),
    ProductType("protein_bars", "food", "Grocery & Gourmet Food › Snack Foods › Bars › Protein Bars",
                "protein bars", "Protein Bars", ("protein", "bars"),
                ("gluten free", "low sugar", "high protein", "plant based", "keto friendly", "non gmo",
                 "soy free", "whey isolate"), ("flavor", "pack"), (12, 39)),
    ProductType("green_tea", "food", "Grocery & Gourmet Food › Beverages › Tea › Green Tea", "green tea",
                "Green Tea Bags", ("tea", "bags"),
                ("caffeine free", "usda organic", "loose leaf", "individually wrapped", "antioxidant rich",
                 "kosher certified", "biodegradable bags", "first flush"), ("tea", "pack"), (5, 28)),
    ProductType("olive_oil", "food", "Grocery & Gourmet Food › Pantry Staples › Cooking Oils › Olive Oil",
                "olive oil", "Olive Oil", ("olive", "oil"),
                ("extra virgin", "cold pressed", "first harvest", "glass bottle", "non gmo", "kosher certified",
                 "single estate", "high polyphenol"), ("oil", "floz"), (9, 49)),
    ProductType("mixed_nuts", "food", "Grocery & Gourmet Food › Snack Foods › Nuts & Seeds › Mixed Nuts",
                "mixed nuts", "Mixed Nuts", ("nuts",),
                ("lightly salted", "dry roasted", "resealable bag", "high fiber", "gluten free", "no added oil",
                 "raw unsalted", "honey roasted"), ("nuts", "weight"), (7, 33)),
    # furniture
    ProductType("office_chair", "furniture", "Home & Kitchen › Furniture › Home Office Furniture › Desk Chairs",
                "office chair", "Office Chair", ("office", "chair"),
                ("lumbar support", "adjustable height", "mesh back", "swivel wheels", "padded armrests",
                 "ergonomic design", "headrest pillow", "reclining backrest"), ("color",), (59, 329)),
    ProductType("bookshelf", "furniture", "Home & Kitchen › Furniture › Living Room Furniture › Bookcases",
                "bookshelf", "Bookshelf", ("bookshelf",),
                ("easy assembly", "solid wood", "5 tier", "open shelves", "wall anchor", "industrial style",
                 "metal frame", "storage cubes"), ("wood",), (39, 219)),
    ProductType("coffee_table", "furniture", "Home & Kitchen › Furniture › Living Room Furniture › Tables",
                "coffee table", "Coffee Table", ("coffee", "table"),
                ("lift top", "storage shelf", "tempered glass", "metal legs", "rustic finish", "round shape",
                 "hidden compartment", "mid century"), ("wood",), (49, 279)),
    ProductType("bed_frame", "furniture", "Home & Kitchen › Furniture › Bedroom Furniture › Beds & Frames",
                "bed frame", "Platform Bed Frame", ("platform", "bed", "frame"),
                ("no box spring needed", "under bed storage", "noise free", "upholstered headboard",
                 "steel slats", "led lights", "easy assembly", "charging station"), ("bed", "color"), (89, 459)),
    ProductType("bar_stool", "furniture", "Home & Kitchen › Furniture › Kitchen & Dining Room Furniture › Stools",
                "bar stools", "Bar Stools", ("bar", "stools"),
                ("counter height", "swivel seat", "faux leather", "footrest ring", "back support",
                 "adjustable height", "armless design", "solid wood"), ("color", "pack"), (45, 249)),
    # garden: held out of training goals (the heldout_category split)
    ProductType("garden_hose", "garden", "Patio, Lawn & Garden › Watering Equipment › Garden Hoses",
                "garden hose", "Garden Hose", ("garden", "hose"),
                ("kink free", "expandable design", "brass fittings", "leak proof", "spray nozzle",
                 "lightweight hose", "uv resistant", "burst proof"), ("feet", "color"), (14, 69)),
    ProductType("planter", "garden", "Patio, Lawn & Garden › Gardening & Lawn Care › Pots & Planters",
                "planter pot", "Planter Pot", ("planter", "pot"),
                ("drainage hole", "self watering", "ceramic glaze", "indoor outdoor", "saucer included",
                 "frost resistant", "hanging rope", "modern style"), ("pot", "color"), (9, 59)),
    ProductType("solar_lights", "garden", "Patio, Lawn & Garden › Outdoor Décor › Outdoor Lighting › Path Lights",
                "solar lights", "Solar Path Lights", ("solar", "path", "lights"),
                ("auto on off", "weather resistant", "stainless steel", "solar powered", "bright led",
                 "easy install", "long runtime", "stake mounted"), ("light", "pack"), (15, 65)),
    ProductType("bird_feeder", "garden", "Patio, Lawn & Garden › Birding & Wildlife › Bird Feeders",
                "bird feeder", "Bird Feeder", ("bird", "feeder"),
                ("squirrel proof", "hanging hook", "easy refill", "seed tray", "rain guard", "large capacity",
                 "metal roof", "window mount"), ("color",), (12, 59)),
    ProductType("garden_gloves", "garden", "Patio, Lawn & Garden › Gardening & Lawn Care › Hand Tools › Gloves",
                "gardening gloves", "Gardening Gloves", ("gardening", "gloves"),
                ("puncture resistant", "touch screen", "bamboo fabric", "latex coating", "thorn proof",
                 "breathable back", "grip palm", "long cuff"), ("apparel", "color"), (7, 29),
                ("for Women", "for Men", "")),
)

CATEGORIES: tuple[str, ...] = ("beauty", "electronics", "fashion", "food", "furniture", "garden")
HELDOUT_CATEGORY = "garden"
"""No training or in-distribution held-out goal targets this category's products (its products are in the shop)."""

BRAND_SYLLABLES = ("lu", "mo", "ra", "vi", "ka", "ze", "no", "ta", "bel", "cor", "dan", "fi", "gro", "hal", "jun",
                   "ken", "lor", "mar", "nex", "ol", "pra", "qui", "ros", "sol", "tri", "ur", "vel", "wyn", "xa",
                   "yor")

GENERIC_BULLETS = (
    "Backed by a 30-day return window and friendly customer service.",
    "Carefully checked before shipping; ships in recyclable packaging.",
    "A thoughtful gift for family and friends on any occasion.",
    "Designed and tested by our team to be reliable day after day.",
)
REVIEW_TEMPLATES = (
    (5, "Exactly what I wanted", "Works as described and arrived quickly. Would buy again."),
    (4, "Good value", "Does the job well for the price. Small quirks, but I am happy with it."),
    (3, "It is okay", "Not bad, not great. It does what it says most of the time."),
    (5, "Love it", "Great quality and it looks even better in person."),
    (2, "Not for me", "It did not quite fit my needs, so I returned it."),
    (4, "Solid purchase", "Sturdy and well made. Shipping took a little longer than expected."),
)
INSTRUCTION_TEMPLATES = (
    "i need {attrs} {query}{options}",
    "i am looking for {query} that is {attrs}{options}",
    "find me {attrs} {query}{options}",
    "i want to buy {query} which is {attrs}{options}",
    "i'm looking for {attrs} {query}{options}",
)
