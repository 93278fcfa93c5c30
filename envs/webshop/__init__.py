"""WebShop: a shop whose pages, actions and reward follow princeton-nlp/WebShop, over a generated catalogue (or the
original data files), in text mode (agentgym/WebShop-v0) and as a real site driven by Chromium
(agentgym/WebShopBrowser-v0). The envs are registered in agentgym/envs/__init__.py; nothing heavy is imported here."""
