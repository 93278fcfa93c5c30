"""JavaScript run in MiniWoB pages: BrowserGym's episode start, and the numbered list of elements."""

START_EPISODE = """(args) => {
  Math.seedrandom(args.seed);
  core.EPISODE_MAX_TIME = args.max_ms;
  core.startEpisodeReal();
}"""

READ_STATE = """() => [WOB_REWARD_GLOBAL, WOB_RAW_REWARD_GLOBAL, WOB_REWARD_REASON, WOB_DONE_GLOBAL, WOB_EPISODE_ID,
                     WOB_TASK_READY, core.getUtterance()]"""

# Number the elements an agent can act on: form controls, links, buttons, labels, elements with a click handler
# (d3 keeps them as el.__onclick, jQuery in $._data), and leaf elements holding text. Core's own widgets (query,
# reward display, click canvas, start cover) are left out. Each gets data-wob-id, which the actions address.
LIST_ELEMENTS = r"""() => {
  const skip = new Set(['query', 'reward-display', 'click-canvas', 'sync-task-cover']);
  const inSkipped = (el) => { for (let e = el; e; e = e.parentElement) if (skip.has(e.id)) return true; return false; };
  const hasHandler = (el) => !!(el.__onclick || el.onclick ||
      (window.jQuery && jQuery._data && (jQuery._data(el, 'events') || {}).click));
  const interactive = new Set(['A', 'BUTTON', 'INPUT', 'SELECT', 'TEXTAREA', 'LABEL']);
  document.querySelectorAll('[data-wob-id]').forEach((e) => e.removeAttribute('data-wob-id'));
  const out = [];
  let n = 0;
  for (const el of document.body.querySelectorAll('*')) {
    if (['SCRIPT', 'STYLE', 'BR', 'OPTION', 'CANVAS'].includes(el.tagName) || inSkipped(el)) continue;
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    if (r.width < 1 || r.height < 1 || cs.visibility === 'hidden' || cs.display === 'none') continue;
    let own = '';
    for (const c of el.childNodes) if (c.nodeType === 3) own += c.textContent;
    own = own.replace(/\s+/g, ' ').trim();
    const leafText = own && el.children.length === 0;
    const colored = el.classList && el.classList.contains('color');
    if (!(interactive.has(el.tagName) || hasHandler(el) || leafText || colored)) continue;
    n += 1;
    el.setAttribute('data-wob-id', String(n));
    const d = {id: n, tag: el.tagName.toLowerCase(), text: (el.innerText || own || '').replace(/\s+/g, ' ').trim().slice(0, 80),
               box: [r.left, r.top, r.right, r.bottom]};
    if (el.type) d.type = el.type;
    if ('value' in el && el.tagName !== 'BUTTON' && el.tagName !== 'LI') d.value = String(el.value);
    if (el.type === 'checkbox' || el.type === 'radio') d.checked = el.checked;
    if (el.tagName === 'SELECT') d.options = [...el.options].map((o) => o.text);
    if (document.activeElement === el) d.focused = true;
    if (colored) d.color = el.getAttribute('data-color') || cs.backgroundColor;
    out.push(d);
  }
  return out;
}"""
