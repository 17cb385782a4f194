"""Chokepoint: a scenario model of AI-chip export controls and China's self-reliance push."""

# Bump when a change to the engine or its parameters can change a number for the same inputs (1.1: the
# "no US controls" run no longer adds China's reaction to controls; the exchange rates are not scenario inputs).
# Saved scenarios record it, so an old link can say what changed.
MODEL_VERSION = "2.0"
