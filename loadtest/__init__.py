"""Load test for chatserver: simulated seekers and listeners (a client of the server only)."""
