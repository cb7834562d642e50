"""The command line, in one place: every job's arguments and main, and the `cc-etl` dispatcher.

``common`` (shared arguments, config, session, exit codes), ``options`` (inputs, language profile, presets),
one module per job (``ingest``, ``silver``, ``gold``, ``refresh``, ``housekeeping``, ``export``,
``train_toxicity``) and ``dispatch`` (`cc-etl <job>`). Library code never imports this package; jobs/*.py are thin
wrappers around the job modules' main functions.
"""

from etl.cli.dispatch import JOBS, main

__all__ = ["JOBS", "main"]
