"""HTML templates of the generated screens, themes, fonts and viewports.

A template is a function (rng, style) -> HTML body. Every element that can be a grounding target carries
`data-gt="text"|"icon"`, `data-label` (its visible text, or the icon's name) and `data-role` (button, link, tab,
menu item, checkbox, text field, ...); the generator reads their boxes in the page and keeps the visible, uncovered,
unambiguous ones.

Training uses templates navbar, form, table, settings and menu, themes light, dark, ocean and sand, and the "line"
icon set. The held-out split uses templates never seen in training (dialog: a modal over a page, which also covers
elements beneath it; editor: an icon toolbar, tabs and a file tree), themes never seen (solarized, contrast) and icon
sets never seen (solid, glyph).
"""

from __future__ import annotations

import html
import random
from collections.abc import Callable
from dataclasses import dataclass

from agentgym.envs.gui.grounding.icons import NAMES, icon_html

THEMES: dict[str, dict[str, str]] = {
    "light": {"bg": "#ffffff", "fg": "#1f2328", "surface": "#f6f8fa", "accent": "#0969da", "accent_fg": "#ffffff",
              "border": "#d0d7de", "muted": "#656d76"},
    "dark": {"bg": "#0d1117", "fg": "#e6edf3", "surface": "#161b22", "accent": "#2f81f7", "accent_fg": "#ffffff",
             "border": "#30363d", "muted": "#8d96a0"},
    "ocean": {"bg": "#eef6fb", "fg": "#0b2540", "surface": "#d6e9f5", "accent": "#00798c", "accent_fg": "#ffffff",
              "border": "#9cc3d9", "muted": "#3f6079"},
    "sand": {"bg": "#fbf7ef", "fg": "#3b2f1e", "surface": "#f1e7d3", "accent": "#b5651d", "accent_fg": "#ffffff",
             "border": "#d9c7a3", "muted": "#7a6648"},
    "solarized": {"bg": "#fdf6e3", "fg": "#586e75", "surface": "#eee8d5", "accent": "#268bd2", "accent_fg": "#fdf6e3",
                  "border": "#93a1a1", "muted": "#839496"},
    "contrast": {"bg": "#000000", "fg": "#ffff00", "surface": "#1a1a1a", "accent": "#00ffff", "accent_fg": "#000000",
                 "border": "#ffffff", "muted": "#ffffff"},
}
TRAIN_THEMES = ("light", "dark", "ocean", "sand")
HELDOUT_THEMES = ("solarized", "contrast")

FONTS = ("'DejaVu Sans', sans-serif", "'Liberation Sans', Arial, sans-serif", "'DejaVu Serif', serif",
         "'Liberation Serif', serif", "'DejaVu Sans Mono', monospace")
DENSITIES = {"compact": 0.7, "normal": 1.0, "comfortable": 1.35}

VIEWPORTS: dict[str, tuple[int, int, tuple[float, ...]]] = {
    # name: (CSS width, CSS height, device scale factors drawn from)
    "phone": (390, 844, (2.0, 3.0)),
    "laptop": (1280, 800, (1.0, 1.5)),
    "desktop": (1920, 1080, (1.0, 1.25)),
}


@dataclass(frozen=True)
class Style:
    theme: str
    font: str
    density: str
    icon_set: str
    font_px: int

    @property
    def colors(self) -> dict[str, str]:
        return THEMES[self.theme]


def css(style: Style) -> str:
    c, d = style.colors, DENSITIES[style.density]
    pad, gap = round(8 * d), round(12 * d)
    return f"""
*{{box-sizing:border-box}} html,body{{margin:0;background:{c['bg']};color:{c['fg']};font-family:{style.font};
font-size:{style.font_px}px}} a{{color:{c['accent']};text-decoration:none}}
button,input,select{{font:inherit;color:inherit}}
.bar{{display:flex;align-items:center;flex-wrap:wrap;gap:{gap}px;padding:{pad}px {gap}px;background:{c['surface']};
border-bottom:1px solid {c['border']}}}
.brand{{font-weight:bold;font-size:1.2em;margin-right:{gap}px}} .grow{{flex:1}}
.btn{{padding:{pad}px {pad * 2}px;border:1px solid {c['border']};border-radius:6px;background:{c['surface']};cursor:pointer}}
.primary{{background:{c['accent']};color:{c['accent_fg']};border-color:{c['accent']}}}
.ib{{display:inline-flex;align-items:center;justify-content:center;padding:{max(2, pad // 2)}px;border:0;background:none;
cursor:pointer;border-radius:6px}}
.main{{padding:{gap}px {gap * 2}px;display:flex;flex-wrap:wrap;gap:{gap * 2}px}}
.card{{border:1px solid {c['border']};border-radius:8px;padding:{gap}px;background:{c['surface']};min-width:200px;flex:1}}
.muted{{color:{c['muted']}}} h1{{font-size:1.6em;margin:{pad}px 0}} h2{{font-size:1.25em;margin:{pad}px 0}}
label{{display:block;margin:{pad}px 0 {max(2, pad // 2)}px}}
input[type=text],input[type=email],input[type=password],select{{padding:{pad}px;border:1px solid {c['border']};
border-radius:4px;background:{c['bg']};min-width:220px}}
table{{border-collapse:collapse;width:100%}} td,th{{border-bottom:1px solid {c['border']};padding:{pad}px;text-align:left}}
.side{{display:flex;flex-direction:column;gap:{max(2, pad // 2)}px;padding:{gap}px;min-width:180px;
border-right:1px solid {c['border']};background:{c['surface']}}}
.row{{display:flex;align-items:center;gap:{gap}px;padding:{pad}px 0}}
.menu{{position:absolute;border:1px solid {c['border']};background:{c['bg']};box-shadow:0 4px 14px rgba(0,0,0,.3);
padding:{max(2, pad // 2)}px 0;min-width:200px;z-index:5}} .menu div{{padding:{pad}px {gap}px}}
.tab{{padding:{pad}px {gap}px;border-bottom:2px solid transparent;cursor:pointer}}
.tab.on{{border-bottom-color:{c['accent']}}}
.overlay{{position:fixed;inset:0;background:rgba(0,0,0,.55);display:flex;align-items:center;justify-content:center;z-index:10}}
.dialog{{background:{c['bg']};border:1px solid {c['border']};border-radius:10px;padding:{gap * 2}px;max-width:90vw;width:460px}}
"""


# -- markup helpers ---------------------------------------------------------------------------------------------------
def _e(s: str) -> str:
    return html.escape(s, quote=True)


def text_target(tag: str, label: str, role: str, cls: str = "", attrs: str = "") -> str:
    return (f'<{tag} class="{cls}" data-gt="text" data-label="{_e(label)}" data-role="{role}" {attrs}>'
            f'{_e(label)}</{tag}>')


def icon_target(name: str, style: Style, size: int, color: str | None = None) -> str:
    color = color or style.colors["fg"]
    return (f'<button class="ib" data-gt="icon" data-label="{name}" data-role="button" aria-label="{name}">'
            f'{icon_html(name, style.icon_set, size, color)}</button>')


def field_target(label: str, kind: str, rng: random.Random) -> str:
    fid = f"f{rng.randrange(10 ** 6)}"
    return (f'<label for="{fid}">{_e(label)}</label><input id="{fid}" type="{kind}" data-gt="text" '
            f'data-label="{_e(label)}" data-role="text field" placeholder="">')


def _icons(rng: random.Random, k: int) -> list[str]:
    return rng.sample(NAMES, k)


def _icon_px(style: Style) -> int:
    return max(14, round(style.font_px * 1.4))


WORDS = {
    "brands": ["Acme", "Northwind", "Lumen", "Parcel", "Quill", "Orbit", "Fable", "Cobalt", "Juniper", "Vertex"],
    "nav": ["Home", "Products", "Pricing", "Blog", "Docs", "Support", "About", "Careers", "Community", "Status",
            "Changelog", "Partners"],
    "people": ["Alice Moreau", "Bilal Khan", "Chen Wei", "Dana Ortiz", "Emeka Obi", "Farah Haddad", "Greta Lind",
               "Hiro Tanaka", "Ines Costa", "Jonas Berg", "Kira Novak", "Luis Pardo"],
    "cities": ["Lisbon", "Osaka", "Nairobi", "Quebec", "Tallinn", "Perth", "Lima", "Seoul", "Dakar", "Oslo"],
    "settings": ["Notifications", "Privacy", "Appearance", "Language", "Security", "Billing", "Accessibility",
                 "Storage", "Connected apps", "Keyboard shortcuts"],
    "toggles": ["Email alerts", "Dark mode", "Two-factor login", "Auto update", "Show previews", "Sound effects",
                "Location access", "Weekly digest"],
    "menu": ["New file", "Open recent", "Save as", "Export PDF", "Print", "Rename", "Duplicate", "Move to trash",
             "Share link", "Version history"],
    "menubar": ["File", "Edit", "View", "Insert", "Format", "Tools", "Help"],
    "files": ["index.html", "main.py", "README.md", "styles.css", "config.toml", "utils.js", "notes.txt", "app.rs"],
    "cards": ["Read the guide", "View plans", "Start free trial", "Watch demo", "Contact sales", "Browse templates"],
}


def _pick(rng: random.Random, key: str, k: int) -> list[str]:
    return rng.sample(WORDS[key], k)


# -- training templates -----------------------------------------------------------------------------------------------
def navbar(rng: random.Random, s: Style) -> str:
    links = "".join(text_target("a", w, "link", attrs='href="#"') for w in _pick(rng, "nav", rng.randint(3, 6)))
    icons = "".join(icon_target(n, s, _icon_px(s)) for n in _icons(rng, rng.randint(2, 4)))
    cards = "".join(f'<div class="card"><h2>{_e(rng.choice(WORDS["cities"]))} {i + 1}</h2><p class="muted">'
                    f'Plans from ${rng.randint(5, 99)} a month.</p>{text_target("button", w, "button", "btn primary")}'
                    f'</div>' for i, w in enumerate(_pick(rng, "cards", rng.randint(2, 3))))
    brand = rng.choice(WORDS["brands"])
    return (f'<div class="bar"><span class="brand">{brand}</span>{links}<span class="grow"></span>{icons}</div>'
            f'<div class="main"><div style="flex-basis:100%"><h1>Welcome to {brand}</h1><p class="muted">Everything '
            f'your team needs, in one place.</p></div>{cards}</div>')


def form(rng: random.Random, s: Style) -> str:
    fields = [("Email address", "email"), ("Password", "password"), ("Full name", "text"), ("Company", "text"),
              ("Phone number", "text"), ("City", "text")]
    chosen = [fields[0], fields[1]] + rng.sample(fields[2:], rng.randint(0, 2))
    rng.shuffle(chosen)
    body = "".join(field_target(lbl, kind, rng) for lbl, kind in chosen)
    check = (f'<div class="row"><input type="checkbox" data-gt="text" data-label="Remember me" data-role="checkbox">'
             f'<span>Remember me</span></div>')
    title = rng.choice(["Sign in", "Create your account", "Log in to continue"])
    submit = rng.choice(["Continue", "Sign in", "Create account", "Submit"])
    return (f'<div class="bar"><span class="brand">{rng.choice(WORDS["brands"])}</span><span class="grow"></span>'
            f'{icon_target(rng.choice(["close", "home", "menu"]), s, _icon_px(s))}</div>'
            f'<div class="main"><div class="card" style="max-width:440px"><h1>{title}</h1>{body}{check}'
            f'<div class="row">{text_target("button", submit, "button", "btn primary")}'
            f'{text_target("button", "Cancel", "button", "btn")}</div>'
            f'{text_target("a", "Forgot your password?", "link", attrs="href=#")}</div></div>')


def table(rng: random.Random, s: Style) -> str:
    people = _pick(rng, "people", rng.randint(4, 7))
    rows = "".join(f'<tr><td>{text_target("a", p, "link", attrs="href=#")}</td><td>{rng.choice(WORDS["cities"])}'
                   f'</td><td>{rng.randint(18, 70)}</td><td>{rng.choice(["Active", "Invited", "Suspended"])}</td></tr>'
                   for p in people)
    tools = "".join(icon_target(n, s, _icon_px(s)) for n in _icons(rng, rng.randint(2, 4)))
    return (f'<div class="bar"><span class="brand">Members</span><span class="grow"></span>{tools}'
            f'{text_target("button", "Invite member", "button", "btn primary")}</div><div class="main">'
            f'<table><tr><th>Name</th><th>City</th><th>Age</th><th>Status</th></tr>{rows}</table></div>')


def settings(rng: random.Random, s: Style) -> str:
    sections = _pick(rng, "settings", rng.randint(4, 7))
    side = "".join(text_target("a", w, "menu item", attrs="href=#") for w in sections)
    toggles = "".join(f'<div class="row"><input type="checkbox" data-gt="text" data-label="{_e(t)}" '
                      f'data-role="checkbox"{" checked" if rng.random() < .5 else ""}><span>{_e(t)}</span></div>'
                      for t in _pick(rng, "toggles", rng.randint(2, 4)))
    return (f'<div class="bar"><span class="brand">Settings</span><span class="grow"></span>'
            f'{icon_target(rng.choice(["search", "bell", "user"]), s, _icon_px(s))}</div>'
            f'<div style="display:flex;min-height:90vh"><div class="side">{side}</div><div class="main" '
            f'style="display:block"><h1>{_e(sections[0])}</h1>{toggles}<div class="row">'
            f'{text_target("button", "Save changes", "button", "btn primary")}'
            f'{text_target("button", "Reset to defaults", "button", "btn")}</div></div></div>')


def menu(rng: random.Random, s: Style) -> str:
    bar = _pick(rng, "menubar", rng.randint(4, 6))
    items = "".join(f'<div>{text_target("span", w, "menu item")}</div>' for w in _pick(rng, "menu", rng.randint(4, 7)))
    left = rng.randint(0, 2) * 60 + 10
    tools = "".join(icon_target(n, s, _icon_px(s)) for n in _icons(rng, rng.randint(1, 3)))
    return (f'<div class="bar">{"".join(text_target("span", w, "menu", "tab") for w in bar)}<span class="grow"></span>'
            f'{tools}</div><div class="menu" style="left:{left}px;top:{s.font_px * 3}px">{items}</div>'
            f'<div class="main" style="padding-top:{s.font_px * 2}px"><div class="card" style="margin-left:260px">'
            f'<h2>Untitled document</h2><p class="muted">Start typing, or pick a template.</p></div></div>')


# -- held-out templates -----------------------------------------------------------------------------------------------
def dialog(rng: random.Random, s: Style) -> str:
    page = navbar(rng, s)  # the page under the modal: mostly covered, so the generator must drop its elements
    title = rng.choice(["Delete this project?", "Discard unsaved changes?", "Leave the meeting?", "Remove member?"])
    confirm = rng.choice(["Delete", "Discard", "Leave", "Remove"])
    cancel = rng.choice(["Keep it", "Go back", "Stay", "Not now"])
    extra = rng.choice(["", text_target("a", "Learn more about this", "link", attrs="href=#")])
    return (f'{page}<div class="overlay"><div class="dialog"><div class="row"><h2 class="grow">{title}</h2>'
            f'{icon_target("close", s, _icon_px(s))}</div><p class="muted">This cannot be undone.</p>{extra}'
            f'<div class="row">{text_target("button", cancel, "button", "btn")}'
            f'{text_target("button", confirm, "button", "btn primary")}</div></div></div>')


def editor(rng: random.Random, s: Style) -> str:
    tools = "".join(icon_target(n, s, _icon_px(s)) for n in _icons(rng, rng.randint(4, 7)))
    files = "".join(text_target("a", f, "file", attrs="href=#") for f in _pick(rng, "files", rng.randint(3, 6)))
    tabs = _pick(rng, "files", 3)
    tab_html = "".join(text_target("span", t, "tab", "tab on" if i == 0 else "tab") for i, t in enumerate(tabs))
    return (f'<div class="bar">{tools}<span class="grow"></span>'
            f'{text_target("button", "Run", "button", "btn primary")}</div><div style="display:flex;min-height:85vh">'
            f'<div class="side"><b>Explorer</b>{files}</div><div style="flex:1"><div class="bar">{tab_html}</div>'
            f'<pre style="padding:12px;margin:0">def main():\n    print("hello")\n</pre></div></div>'
            f'<div class="bar"><span class="muted">Ln 2, Col 5</span><span class="grow"></span>'
            f'{text_target("span", "UTF-8", "status item")}</div>')


TEMPLATES: dict[str, Callable[[random.Random, Style], str]] = {
    "navbar": navbar, "form": form, "table": table, "settings": settings, "menu": menu,
    "dialog": dialog, "editor": editor,
}
TRAIN_TEMPLATES = ("navbar", "form", "table", "settings", "menu")
HELDOUT_TEMPLATES = ("dialog", "editor")


def page_html(template: str, style: Style, seed: int) -> str:
    """The whole page of a screen: deterministic in (template, style, seed)."""
    if template not in TEMPLATES:
        raise ValueError(f"template must be one of {sorted(TEMPLATES)}, got {template!r}")
    body = TEMPLATES[template](random.Random(f"{template}-{seed}"), style)
    return f'<!doctype html><html><head><meta charset="utf-8"><style>{css(style)}</style></head><body>{body}</body></html>'
