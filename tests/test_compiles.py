"""One compile per concept: a fit compiles its init and its epoch program once, evaluation inside it."""

import contextlib
import logging
import re

import jax
import pytest

from jaxdl import data, optim
from jaxdl.models import MLP
from jaxdl.train import fit


@contextlib.contextmanager
def compiled_programs():
    """Names of the programs jax compiles inside the block (from ``jax.log_compiles``)."""
    names = []

    class Grab(logging.Handler):
        def emit(self, record):
            match = re.match(r"Compiling jit\((\w+|<lambda>)\)", record.getMessage())
            if match:
                names.append(match.group(1))

    handler, logger = Grab(level=logging.WARNING), logging.getLogger("jax")
    logger.addHandler(handler)
    try:
        with jax.log_compiles():
            yield names
    finally:
        logger.removeHandler(handler)


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def run(hidden, digits, **kwargs):
    return fit(MLP(hidden=(hidden,)), digits, optimizer=optim.sgd(lr=0.1), epochs=4, batch_size=128,
               progress=False, cache=False, **kwargs)


def test_a_new_model_compiles_its_init_and_one_epoch_program(digits):
    run(5, digits)  # the process's first fit also compiles small helper programs
    with compiled_programs() as names:
        run(6, digits)
    assert names.count("_init_variables") == 1
    assert names.count("run_epochs_fn") == 1
    assert len(names) <= 3, names
    assert not {"evaluate_fn", "train_epoch_fn"} & set(names)


def test_an_equal_model_compiles_nothing(digits):
    run(7, digits)
    with compiled_programs() as names:
        run(7, digits)
    assert names == []
