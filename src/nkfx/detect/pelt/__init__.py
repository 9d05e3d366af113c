"""Penalised segmentation: PELT and FPOP over the table of segment costs, penalties and CROPS.

The public entry points are :func:`nkfx.detect` with ``method="pelt"`` and
:func:`nkfx.detect.penalty_path`; the modules here are the numeric core (``_core``, ``_fpop``,
``_robust``, ``_costs``), the penalties (``_penalty``) and the dated method (``_method``).
"""
