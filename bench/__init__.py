"""Benchmarks of chatserver against a bare websockets relay and python-socketio.

``python -m bench`` (``make bench``) runs them all on this machine in a few
minutes and writes ``bench/RESULTS.md``; see ``bench/run.py``.
"""
