"""jaxdl: the introductory PyTorch deep-learning course as pure, fast JAX."""
