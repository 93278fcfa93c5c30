"""MiniWoB++ experts: one JavaScript function per task, reading the page's DOM and the utterance.

Each returns the next action in the env's action language, addressing elements by their data-wob-id (so
LIST_ELEMENTS must have run on the current page). They replan from the page's state at every step (a field already
filled is not typed again), except click-button-sequence, which reads the page's own `buttonsPushed` list.
"""

from __future__ import annotations

HELPERS = r"""
const U = core.getUtterance();
const quoted = () => { const m = U.match(/"([^"]*)"/); return m ? m[1] : null; };
const quotedAll = () => [...U.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
const id = (el) => { if (!el) throw new Error('oracle: element not found for: ' + U); return el.getAttribute('data-wob-id'); };
const q = (sel) => document.querySelector(sel);
const all = (sel) => [...document.querySelectorAll(sel)];
const txt = (el) => (el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim();
const byText = (sel, t) => all(sel).find((e) => txt(e) === t);
const click = (el) => 'click[' + id(el) + ']';
const type = (el, s) => 'type[' + id(el) + '][' + s + ']';
const fill = (pairs, submit) => { for (const [el, s] of pairs) if (el.value !== s) return type(el, s); return click(submit); };
const visible = (el) => el && el.getBoundingClientRect().height > 0 && getComputedStyle(el).display !== 'none';
"""

ORACLES: dict[str, str] = {
    "click-test": "return click(q('#subbtn'));",
    "click-test-2": "return click(byText('button', U.match(/button (\\w+)/)[1]));",
    "click-button": "return click(byText('#area button', quoted()));",
    "unicode-test": "return click(byText('#area button', quoted()));",
    "click-link": "return click(byText('#area .alink', quoted()));",
    "click-dialog": "return click(q('.ui-dialog-titlebar button'));",
    "click-dialog-2": """const b = quoted();
        return b === 'x' ? click(q('.ui-dialog-titlebar button')) : click(byText('.ui-dialog-buttonset button', b));""",
    "enter-text": "return fill([[q('#tt'), quoted()]], q('#subbtn'));",
    "enter-text-2": """const s = U.includes('upper case') ? quoted().toUpperCase() : quoted().toLowerCase();
        return fill([[q('#tt'), s]], q('#subbtn'));""",
    "enter-password": "const p = quoted(); return fill([[q('#password'), p], [q('#verify'), p]], q('#subbtn'));",
    "login-user": """const [u, p] = quotedAll();
        return fill([[q('#username'), u], [q('#password'), p]], q('#subbtn'));""",
    "focus-text": "return click(q('#tt'));",
    "focus-text-2": "return click(q('#tt' + U.match(/the (\\d)\\w* input/)[1]));",
    "click-checkboxes": """const m = U.match(/^Select (.*) and click Submit\\.$/);
        const want = m[1] === 'nothing' ? [] : m[1].split(/, /).map((s) => s.trim());
        for (const lab of all('#boxes label')) {
          const box = lab.querySelector('input');
          if (box.checked !== want.includes(txt(lab))) return click(box);
        }
        return click(q('#subbtn'));""",
    "click-option": """const want = U.match(/^Select (.*) and click Submit\\.$/)[1];
        const lab = all('#area label').find((l) => txt(l) === want);
        const box = lab.querySelector('input');
        return box.checked ? click(q('#subbtn')) : click(box);""",
    "choose-list": """const want = U.match(/^Select (.*) from the list and click Submit\\.$/)[1];
        const sel = q('#options');
        if (sel.options[sel.selectedIndex].text !== want) return 'select[' + id(sel) + '][' + want + ']';
        return click(byText('#area button', 'Submit'));""",
    "click-tab": "const k = U.match(/Tab #(\\d)/)[1]; return click(q('#area ul a[href=\"#tabs-' + k + '\"]'));",
    "click-tab-2": """const want = quoted();
        const link = all('#area .alink').find((e) => txt(e) === want && visible(e));
        if (link) return click(link);
        for (const a of all('#area ul a')) {
          const pane = q(a.getAttribute('href'));
          if (pane && [...pane.querySelectorAll('.alink')].some((e) => txt(e) === want)) return click(a);
        }
        throw new Error('oracle: no tab holds ' + want);""",
    "click-widget": "return click(q('#area [data-type=\"' + quoted() + '\"]'));",
    "click-button-sequence": "return click(q(window.buttonsPushed.length === 0 ? '#subbtn' : '#subbtn2'));",
    "click-collapsible-nodelay": """const open = all('#area .ui-accordion-content').some(visible);
        return open ? click(q('#subbtn')) : click(q('#area h3'));""",
    "click-color": """const want = q('#query .bold') ? txt(q('#query .bold')) : q('#query-color').style.backgroundColor;
        const norm = (c) => { const d = document.createElement('div'); d.style.color = c; document.body.appendChild(d);
                              const v = getComputedStyle(d).color; d.remove(); return v; };
        return click(all('#area .color').find((e) => norm(e.getAttribute('data-color')) === norm(want)));""",
    "use-autocomplete-nodelay": """const [f, e] = quotedAll();
        const input = q('#tags');
        const ok = (v) => v.startsWith(f) && (e === undefined || v.endsWith(e));
        const menuOpen = all('ul.ui-autocomplete').some(visible);
        if (ok(input.value)) return menuOpen ? 'key[Escape]' : click(q('#subbtn'));  // the menu covers Submit
        const item = all('ul.ui-autocomplete li, ul.ui-autocomplete li *')
          .find((e) => e.hasAttribute('data-wob-id') && visible(e) && ok(txt(e)));
        if (item) return click(item);
        return type(input, f);""",
}
"""The tasks shipped, with their experts. Every one is solved on 20 held-out seeds by tests/envs/test_gui_miniwob.py."""


def oracle_js(task: str) -> str:
    if task not in ORACLES:
        raise KeyError(f"no MiniWoB oracle for {task!r}; tasks with one: {sorted(ORACLES)}")
    return "() => {" + HELPERS + ORACLES[task] + "}"
