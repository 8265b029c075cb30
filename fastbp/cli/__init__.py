"""The ``fastbp`` command (also ``python -m fastbp``).

    fastbp demo                       train on a bundled data set, show progress and results
    fastbp worked-example             the lecture's worked example, step by step
    fastbp train DATA --target COL    train on a CSV or .npz file and save the model
    fastbp predict MODEL DATA         write the model's predictions for DATA
    fastbp evaluate MODEL DATA        print the model's metrics on DATA
    fastbp descent -o race.gif        optimizers racing down a loss surface (PNG or GIF)
    fastbp trace --layers 3,2,1 ...   one training step of any network, unit by unit
    fastbp export MODEL OUT.onnx      a model file as an ONNX graph

``fastbp COMMAND --help`` describes every option.  :func:`main` runs a
command line from Python; :func:`build_parser` is its argparse parser.

The modules: ``_parser`` (the parser), ``_options`` (the optimizer and
schedule options, read from the constructors' signatures), ``_commands``
(the commands and ``main``), ``_arguments`` (argument types, the usage
error), ``_plots`` (the loss-curve PNG), and the public ``tables`` (reading
CSV and .npz files, their preprocessing) and ``demo``.  None imports this
package's ``__init__``, and none imports another in a circle.
"""
from fastbp.cli._commands import main
from fastbp.cli._parser import build_parser

__all__ = ["main", "build_parser"]
