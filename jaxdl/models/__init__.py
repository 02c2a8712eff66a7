"""Flax linen models of the course, their from-scratch pure-function twins, and the registry by name."""

from jaxdl.models.closed_form import normal_equations
from jaxdl.models.layers import BatchNorm, Conv2d, Linear
from jaxdl.models.lenet import LeNet
from jaxdl.models.linear import LinearRegression, LogisticRegression, SoftmaxRegression
from jaxdl.models.mlp import MLP
from jaxdl.models.registry import MODELS, build_model, input_transform
from jaxdl.models.scratch import LinearRegressionScratch, MLPScratch, SoftmaxRegressionScratch
from jaxdl.models.summary import summary

__all__ = [
    "MLP",
    "MODELS",
    "BatchNorm",
    "Conv2d",
    "LeNet",
    "Linear",
    "LinearRegression",
    "LinearRegressionScratch",
    "LogisticRegression",
    "MLPScratch",
    "SoftmaxRegression",
    "SoftmaxRegressionScratch",
    "build_model",
    "input_transform",
    "normal_equations",
    "summary",
]
