"""The jobs of the ``jaxdl`` command as library calls: a typed config per job and one function that runs it.

``train_and_evaluate(TrainConfig(...))`` does what ``jaxdl train`` does, ``sweep(SweepConfig(...))``
what ``jaxdl sweep`` does and ``one_vs_rest(OneVsRestConfig(...))`` what ``jaxdl ovr`` does: the same
run folders (numbered defaults, a lock, staged files), checkpoints, outputs, messages and stops on Ctrl-C
or SIGTERM. The command's options are generated from the configs' fields.

>>> import dataclasses
>>> config = dataclasses.replace(TrainConfig(), hidden=(64,), epochs=20)
>>> config.to_dict()["epochs"], config.model
(20, 'mlp')
"""

from jaxdl._signals import Terminated
from jaxdl.experiments._config import TrainConfig
from jaxdl.experiments._outputs import staged_output, write_json
from jaxdl.experiments._ovr import OneVsRestConfig, one_vs_rest
from jaxdl.experiments._rundir import LOCK, RUN_FILES, STAGE_PREFIX, claim_run_folder, staged
from jaxdl.experiments._sweep import SweepConfig, sweep
from jaxdl.experiments._train import train_and_evaluate

__all__ = [
    "LOCK",
    "RUN_FILES",
    "STAGE_PREFIX",
    "OneVsRestConfig",
    "SweepConfig",
    "Terminated",
    "TrainConfig",
    "claim_run_folder",
    "one_vs_rest",
    "staged",
    "staged_output",
    "sweep",
    "train_and_evaluate",
    "write_json",
]
