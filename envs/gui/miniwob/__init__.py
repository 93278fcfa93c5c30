"""MiniWoB++ in a real Chromium: the benchmark's own task pages from the `miniwob` wheel, BrowserGym's protocol."""
