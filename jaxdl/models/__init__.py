"""Flax linen models of the course, their from-scratch pure-function twins, and the registry by name."""

from jaxdl.models._closed_form import normal_equations
from jaxdl.models._layers import BatchNorm, Conv2d, Linear
from jaxdl.models._lenet import LeNet
from jaxdl.models._linear import LinearRegression, LogisticRegression, SoftmaxRegression
from jaxdl.models._mlp import MLP
from jaxdl.models._registry import MODELS, build_model, input_transform
from jaxdl.models._scratch import LinearRegressionScratch, MLPScratch, SoftmaxRegressionScratch
from jaxdl.models._summary import summary

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
