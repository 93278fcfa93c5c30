"""GUI agents on real screens, rendered by Chromium through Playwright (extra: gui).

- `grounding/`: agentgym/GUIGrounding-v0. Screens generated from HTML templates in ScreenSpot-Pro's schema, a loader
  for real ScreenSpot (v1, v2) and ScreenSpot-Pro files, and GUI-G2's Gaussian rewards beside the ScreenSpot metric.
- `miniwob/`: agentgym/MiniWoB-<task>-v0. MiniWoB++'s own task pages (from the `miniwob` wheel, fetched at setup),
  driven with BrowserGym's protocol; the reward is the page's own.
- `browser.py`: one warm Chromium per worker process, a fresh context per episode, restarted after a crash.

Registrations live in agentgym.envs (string entry points): importing this package imports no browser.
"""
