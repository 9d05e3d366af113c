"""Bai–Perron multiple structural breaks: exact dynamic programming, fits, intervals, regressors.

The public entry point is :func:`nkfx.detect` with ``method="bai-perron"``; the modules here are
the numeric core (``_core``, ``_dp``, ``_fit``, ``_ci``, ``_partial``), the regressors of the
regression model (``_regressors``) and the method that turns them into a dated result (``_method``).
"""
