"""Pure, typed analysis library for simulated-client interview ratings.

Nothing in this package knows about Flask or the database: callers pass plain
arrays and records and get plain results back.  Sub-modules:

- ``rating.instruments``: rating instruments (dimensions, anchored scales) as versioned data
- ``rating.allocation``: blind allocation of recordings to raters
- ``rating.agreement``: inter-rater agreement statistics
- ``rating.compare``: group comparisons
- ``rating.features`` / ``rating.classifier``: baseline transcript classifier
"""
