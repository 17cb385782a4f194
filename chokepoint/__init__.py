"""Chokepoint: a scenario model of AI-chip export controls and China's self-reliance push."""

# Bump when a change to the engine or its parameters can change a number for the same inputs.
# Saved scenarios record it, so an old link can say what changed.
MODEL_VERSION = "1.0"
