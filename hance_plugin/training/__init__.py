"""Training and evaluation support for hance-plugin models.

Only the modules that say so need PyTorch (install the ``[train]`` extra); ``signals`` and the data
pipeline are numpy-only so benchmarks can build mixtures without torch. Nothing in the installed
product (``hance_plugin.Denoiser`` and friends) imports this package.
"""
