"""Jumps in a drifting rate (the default of :func:`nkfx.detect`): exact L0-penalised detection.

``_core`` is the numeric core (numpy in, numpy out); ``_method`` gives it dates and a result.
"""
