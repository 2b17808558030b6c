"""The read side of reporting: the projector folding every event into figures per unit and
month (projector/), the figures it counts, declared once (figures/), the views that add them
up for any unit and period (views.py, periods.py) and the routes and dashboard serving them
(api.py, queries.py, web.py)."""
