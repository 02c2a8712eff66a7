"""jaxdl against PyTorch: one command, CPU or GPU, same precision, a table and a plot.

Run ``python benchmarks/compare_pytorch.py --help`` (or ``jaxdl bench --help``).
"""
