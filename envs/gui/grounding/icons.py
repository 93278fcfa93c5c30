"""Icon sets for the generated screens. Training screens use the "line" set (stroked SVG outlines, 24-unit grid);
held-out screens use the "glyph" set (symbols drawn by the page's font) and the "solid" set (filled SVG shapes), so a
model is tested on icon styles it never saw.

Every set draws the same names; PURPOSE says what clicking each one does, for instructions like "open the settings".
"""

from __future__ import annotations

PURPOSE = {
    "search": "search", "settings": "open the settings", "home": "go to the home page", "user": "open the profile",
    "mail": "open the messages", "bell": "show the notifications", "trash": "delete it", "edit": "edit it",
    "close": "close it", "menu": "open the main menu", "plus": "add a new item", "download": "download it",
    "star": "add it to favourites", "heart": "like it", "calendar": "open the calendar", "share": "share it",
}
NAMES = tuple(PURPOSE)

_LINE_PATHS = {
    "search": '<circle cx="10" cy="10" r="6"/><path d="M15 15l6 6"/>',
    "settings": '<circle cx="12" cy="12" r="3"/><path d="M12 2v4M12 18v4M2 12h4M18 12h4M5 5l3 3M16 16l3 3M5 19l3-3M16 8l3-3"/>',
    "home": '<path d="M3 11l9-8 9 8"/><path d="M5 10v10h14V10"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 21c1-5 15-5 16 0"/>',
    "mail": '<rect x="3" y="5" width="18" height="14" rx="1"/><path d="M3 6l9 7 9-7"/>',
    "bell": '<path d="M6 17V11a6 6 0 0 1 12 0v6l2 2H4z"/><path d="M10 21h4"/>',
    "trash": '<path d="M4 6h16M9 6V3h6v3M6 6l1 15h10l1-15"/>',
    "edit": '<path d="M4 20l4-1 11-11-3-3L5 16z"/><path d="M14 6l3 3"/>',
    "close": '<path d="M5 5l14 14M19 5L5 19"/>',
    "menu": '<path d="M3 6h18M3 12h18M3 18h18"/>',
    "plus": '<path d="M12 4v16M4 12h16"/>',
    "download": '<path d="M12 3v12M7 10l5 5 5-5M4 20h16"/>',
    "star": '<path d="M12 3l3 6 6 1-4.5 4 1 6-5.5-3-5.5 3 1-6L3 10l6-1z"/>',
    "heart": '<path d="M12 20s-8-5-8-11a4 4 0 0 1 8-1 4 4 0 0 1 8 1c0 6-8 11-8 11z"/>',
    "calendar": '<rect x="3" y="5" width="18" height="16" rx="1"/><path d="M3 10h18M8 3v4M16 3v4"/>',
    "share": '<circle cx="6" cy="12" r="2.5"/><circle cx="18" cy="6" r="2.5"/><circle cx="18" cy="18" r="2.5"/><path d="M8 11l8-4M8 13l8 4"/>',
}

_SOLID_SHAPES = {
    "search": '<circle cx="10" cy="10" r="7"/><rect x="14" y="16" width="9" height="4" transform="rotate(45 18 18)"/>',
    "settings": '<path d="M10 1h4l1 3 3 1 3-1 2 3-2 3v2l2 3-2 3-3-1-3 1-1 3h-4l-1-3-3-1-3 1-2-3 2-3v-2L1 8l2-3 3 1 3-1z"/>',
    "home": '<path d="M12 2l10 9h-3v11h-5v-7h-4v7H5V11H2z"/>',
    "user": '<circle cx="12" cy="7" r="5"/><path d="M2 23c0-7 20-7 20 0z"/>',
    "mail": '<path d="M2 5h20v3l-10 6L2 8z"/><path d="M2 10l10 6 10-6v9H2z"/>',
    "bell": '<path d="M12 2a7 7 0 0 1 7 7v7l3 3H2l3-3V9a7 7 0 0 1 7-7z"/><circle cx="12" cy="21" r="2.5"/>',
    "trash": '<rect x="3" y="3" width="18" height="3"/><path d="M5 7h14l-1.5 16h-11z"/>',
    "edit": '<path d="M3 21v-4L16 4l4 4L7 21z"/>',
    "close": '<circle cx="12" cy="12" r="10"/>',
    "menu": '<rect x="2" y="4" width="20" height="3.5"/><rect x="2" y="10.25" width="20" height="3.5"/><rect x="2" y="16.5" width="20" height="3.5"/>',
    "plus": '<rect x="9.5" y="2" width="5" height="20"/><rect x="2" y="9.5" width="20" height="5"/>',
    "download": '<path d="M9 2h6v9h5l-8 8-8-8h5z"/><rect x="2" y="20" width="20" height="3"/>',
    "star": '<path d="M12 1l3.5 7 7.5 1-5.5 5.5 1.5 7.5-7-4-7 4 1.5-7.5L1 9l7.5-1z"/>',
    "heart": '<path d="M12 22S1 15 1 8a5.5 5.5 0 0 1 11-2 5.5 5.5 0 0 1 11 2c0 7-11 14-11 14z"/>',
    "calendar": '<path d="M2 5h20v17H2z M7 1h3v5H7z M14 1h3v5h-3z"/>',
    "share": '<circle cx="5" cy="12" r="4"/><circle cx="19" cy="5" r="4"/><circle cx="19" cy="19" r="4"/><path d="M5 11l14-7v2L5 13zM5 11l14 7v2L5 13z"/>',
}

_GLYPHS = {
    "search": "\u2315", "settings": "\u2699", "home": "\u2302", "user": "\u263a", "mail": "\u2709", "bell": "\u266a",
    "trash": "\u2672", "edit": "\u270e", "close": "\u2715", "menu": "\u2630", "plus": "\u271a", "download": "\u2b07",
    "star": "\u2605", "heart": "\u2665", "calendar": "\u25a6", "share": "\u27a6",
}

ICON_SETS = ("line", "solid", "glyph")
TRAIN_ICON_SETS = ("line",)
HELDOUT_ICON_SETS = ("solid", "glyph")


def icon_html(name: str, icon_set: str, size: int, color: str) -> str:
    """The markup of one icon, `size` CSS pixels square, drawn in `color`."""
    if icon_set == "line":
        return (f'<svg width="{size}" height="{size}" viewBox="0 0 24 24" fill="none" stroke="{color}" '
                f'stroke-width="2" stroke-linecap="round" stroke-linejoin="round">{_LINE_PATHS[name]}</svg>')
    if icon_set == "solid":
        return (f'<svg width="{size}" height="{size}" viewBox="0 0 24 24" fill="{color}">'
                f'{_SOLID_SHAPES[name]}</svg>')
    if icon_set == "glyph":
        return (f'<span style="display:inline-block;width:{size}px;height:{size}px;line-height:{size}px;'
                f'font-size:{int(size * 0.95)}px;text-align:center;color:{color};font-family:\'DejaVu Sans\'">'
                f'{_GLYPHS[name]}</span>')
    raise ValueError(f"icon set must be one of {ICON_SETS}, got {icon_set!r}")
