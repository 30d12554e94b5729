"""The stages of an account, each a small function with a typed result.

:func:`gepcalc.account.account` is these stages in a row (``DESIGN.md`` draws them)::

    plan(...)                 -> Plan                profile, services, lines read, items, tables, prices  (plan.py)
    counted_types(...)        -> TypesCounted        each service's counted ecosystem types, as inputs  (parameters.py)
    value_the_lines(plan)     -> LinesRead           every line with its quantity in the unit, priced  (by_lines.py)
    landscape_of(...)         -> Landscape | None    ecosystem types, regions, cell areas, lazy  (land.py)
    pixel_quantities(...)     -> PixelQuantities     parameters resolved with provenance, physical() per pixel
    zonal_stage(...)          -> ZonalSums           one zonal sum by region × type, areas corrected
    regional_stage(...)       -> RegionalQuantities  per-region rules on the sums
    value_stage(...)          -> Values              value(quantity, price) of each raster service  (quantities.py)
    axes_of(land, lines)      -> Axes                the regions and types the account lies on
    line_services(...)        -> LineQuantities      services given by lines, on item × region × type  (by_lines.py)
    settle_not_computed(...)  -> NotComputed         what missing="list" leaves out, in the order asked for
    profile_rules(...)        -> RulesApplied        the profile's double-counting rules
    assemble(...)             -> Account             the Dataset (dataset.py), sources and notes
    account_context(...)      -> AccountContext      what the account was computed from  (assemble.py)

Parameters are resolved through :class:`~gepcalc.stages.parameters.Parameters` into
:class:`~gepcalc.stages.parameters.Arguments` (values, sources, gaps); :mod:`gepcalc.stages.missing`
says what cannot be computed and why.

No stage appends to another's lists: each returns what it found (sources, notes, services it
could not compute) in its result, and :func:`~gepcalc.stages.assemble.assemble` puts them
together once.  This package holds no view of an account (:mod:`gepcalc.result`) and no formula
of a service (:mod:`gepcalc.services`).
"""
