"""``saro run``: the whole SaRO chain from one config, resumable stage by stage.

- :mod:`.roster`: the model arms (base, baselines, RW, SaRO): every place that lists models
  reads it;
- :mod:`.config`: the run config (one section per stage) and its loader;
- :mod:`.rundir`: the run directory and its ``run.json`` bookkeeping;
- :mod:`.stages`: the stages, each declaring the files it reads and writes;
- :mod:`.estimate`: ``--dry-run`` token and time estimates;
- :mod:`.runner`: runs (or plans) the stages in order, skipping finished ones.

This file imports nothing, so reading the roster does not load the stages.
"""
