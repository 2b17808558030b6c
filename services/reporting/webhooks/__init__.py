"""Webhooks: other systems (the province's document system, a chat bot) subscribe to a unit's
events and receive each one as a signed POST, retried with backoff, dead-lettered after the
last try and redriven on demand (README, "Webhooks").

rules.py (pure: matching, signing, backoff, addresses), store.py, consumer.py (deliveries owed,
with the positions), sender.py (the tries), service.py (what admins and `hdnd webhooks` do),
api.py (`/units/{unit}/webhooks`).
"""
