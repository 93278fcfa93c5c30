"""GUI grounding: generated ScreenSpot-style screens, the ScreenSpot loaders and GUI-G2's rewards."""
