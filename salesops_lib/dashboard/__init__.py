"""The leadership dashboard: one cube of the analyses' results per period, views of it by scope,
and the widgets Voila shows.

``cube`` builds and stores what the analyses found (nothing is recomputed there); ``scope`` is
the region → team → rep drill path; ``views`` cuts the cube to a scope (pure pandas on small
aggregates); ``panels`` turns views into HTML and plots; ``app`` wires the widgets; ``server``
assembles the Voila command line.
"""
