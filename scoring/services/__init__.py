"""Writes for scoring, one module per job:

- :mod:`~scoring.services.ingest`: validate and store an upload, make batches, rescore;
- :mod:`~scoring.services.chunks`: queue, claim, score, fail, release, finish, resume, sweep;
- :mod:`~scoring.services.overrides`: QA's overrides, and carrying them over a rescore.

Import from the module that owns the function; this package holds nothing itself.
The imports run one way: ingest -> chunks -> overrides.
"""
