"""chatserver: anonymous peer-support chat. Seekers meet trained listeners; nothing said is kept.

Layers, one way: socket (``connection``) -> ``node`` -> pure rules
(``session``, ``matching``) -> ``broker`` (``memory`` or ``redis``); events
come back through the ``hub`` into each connection's outbox.
"""

__version__ = "0.1.0"
