"""Flax linen models of the course and their from-scratch pure-function twins."""

from jaxdl.models.closed_form import normal_equations
from jaxdl.models.layers import BatchNorm, Linear
from jaxdl.models.lenet import Conv2d, LeNet
from jaxdl.models.linear import LinearRegression, LogisticRegression, SoftmaxRegression
from jaxdl.models.mlp import MLP
from jaxdl.models.scratch import LinearRegressionScratch, MLPScratch, SoftmaxRegressionScratch

MODELS = {"linear": LinearRegression, "softmax": SoftmaxRegression, "mlp": MLP, "logistic": LogisticRegression,
          "lenet": LeNet}
