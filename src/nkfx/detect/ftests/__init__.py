"""F tests for structural change: Chow, sup-F/ave-F/exp-F, sup-F(l+1|l) and UDmax, with HAC variants.

The public entry points are :func:`nkfx.chow_test` and :func:`nkfx.sup_f_test` (``_api``). The
numeric core: F paths and their HAC form (``_path``, ``_hac``, ``_hac_mean``), tests for one
break with their sieve-bootstrap p-values (``_single``, ``_bootstrap``), tests for several breaks
(``_multiple``), null distributions (``_critical``) and the F-path figure (``_plots``).
"""
