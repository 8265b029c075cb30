"""The optimizer and schedule options of ``fastbp train``, read from the
constructors' signatures.

``--optimizer NAME`` is a class and preset from the table that
:func:`fastbp.optimizers.get_optimizer` reads (so "momentum" and "nesterov"
are defined there, once); ``--schedule NAME`` is a class of
:data:`SCHEDULES`.  Every parameter of the class's constructor is an option
(``eps_hat`` is ``--eps-hat``; a bool parameter is a flag) with the
constructor's default, but a schedule's ``lr``, which is the optimizer's
``--lr``.  The parser, its help and the checks all come from these tables,
so a new parameter or a changed default needs no edit here.
"""
import argparse
import inspect

from fastbp import schedules
from fastbp.cli._arguments import CLIError
from fastbp.optimizers import NAMED as OPTIMIZERS  # name -> (class, preset arguments)

__all__ = ["OPTIMIZERS", "SCHEDULES", "REQUIRED", "optimizer_options", "schedule_options",
           "add_optimizer_arguments", "add_schedule_arguments", "build_optimizer"]

# The schedules the command line offers, by the name --schedule takes.
SCHEDULES = {
    "constant": schedules.Constant,
    "step": schedules.StepDecay,
    "exponential": schedules.ExponentialDecay,
    "inverse-time": schedules.InverseTimeDecay,
    "inverse-scaling": schedules.InverseScaling,
}

REQUIRED = inspect.Parameter.empty  # the "default" of a parameter that has none

# What --help says of a parameter; its default comes from the signature.  A
# parameter missing here is still an option, its help naming the classes.
_HELP = {
    "lr": "initial learning rate",
    "momentum": "momentum in [0, 1)",
    "nesterov": "Nesterov momentum",
    "lr_in_velocity": "keep the rate inside the velocity, v = mu v - lr g (Sutskever et al., "
                      "scikit-learn), rather than p -= lr v (torch)",
    "beta1": "first-moment decay",
    "beta2": "second-moment decay",
    "eps": "the epsilon of the denominator",
    "eps_hat": "add eps before the bias correction (scikit-learn's convention)",
    "decay": "decay of the squared-gradient average",
    "factor": "the factor",
    "every": "how many epochs (or steps) per factor",
    "k": "the decay constant",
    "power": "the exponent",
    "per": "what t counts: updates (step) or epochs (epoch)",
}
_CHOICES = {"per": ["step", "epoch"]}


def _flag(name):
    return "--" + name.replace("_", "-")


def _parameters(cls):
    """{name: default} of ``cls``'s constructor, REQUIRED for no default."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {name: p.default for name, p in inspect.signature(cls).parameters.items()
            if p.kind in kinds}


def optimizer_options(name):
    """The options of ``--optimizer name``.

    Parameters
    ----------
    name : str
        A key of :data:`OPTIMIZERS`.

    Returns
    -------
    dict
        {parameter: default}: the class's constructor parameters, with the
        preset's values as defaults.  A flag the preset sets is left out
        (nesterov is always Nesterov).
    """
    cls, preset = OPTIMIZERS[name]
    return {k: preset.get(k, default) for k, default in _parameters(cls).items()
            if not isinstance(preset.get(k), bool)}


def schedule_options(name):
    """The options of ``--schedule name``.

    Parameters
    ----------
    name : str
        A key of :data:`SCHEDULES`.

    Returns
    -------
    dict
        {parameter: default (REQUIRED for none)}: the class's constructor
        parameters but the first, the rate, which is ``--lr``; and no
        ``per`` for a constant rate, which counts nothing.
    """
    cls = SCHEDULES[name]
    params = _parameters(cls)
    params.pop(next(iter(params)))
    if cls.constant:
        params.pop("per", None)
    return params


def _by_parameter(options_of, names):
    """{parameter: {name: default}} over ``names``, parameters in first-seen order."""
    table = {}
    for name in names:
        for param, default in options_of(name).items():
            table.setdefault(param, {})[name] = default
    return table


def _defaults_text(defaults):
    """'default 0.9', 'default: 0.01 for sgd, adagrad; 0.001 for adam' or 'required'."""
    groups = {}
    for owner, value in defaults.items():
        text = "required" if value is REQUIRED else str(value)
        groups.setdefault(text, []).append(owner)
    if len(groups) == 1:
        (text,) = groups
        return text if text == "required" else f"default {text}"
    return "default: " + "; ".join(f"{text} for {', '.join(owners)}"
                                   for text, owners in groups.items())


def _add_option(group, param, defaults, every_name, class_of):
    """One --option for ``param``, which the names in ``defaults`` take
    (``class_of(name)`` is a name's class)."""
    what = _HELP.get(param) or "see " + ", ".join(sorted({class_of(n).__name__ for n in defaults}))
    owners = "" if list(defaults) == list(every_name) else ", ".join(defaults) + ": "
    values = [v for v in defaults.values() if v is not REQUIRED]
    if values and all(isinstance(v, bool) for v in values):
        # a flag: the option is given or not; None tells "not given" apart
        action = "store_true" if not any(values) else argparse.BooleanOptionalAction
        group.add_argument(_flag(param), action=action, default=None,
                           help=f"{owners}{what}".replace("%", "%%"))
        return
    if values and all(isinstance(v, int) for v in values):
        kind = int
    elif values and all(isinstance(v, str) for v in values):
        kind = str
    else:
        kind = float
    text = f"{owners}{what} ({_defaults_text(defaults)})"
    group.add_argument(_flag(param), type=kind, choices=_CHOICES.get(param), default=None,
                       help=text.replace("%", "%%"))


def _summary(cls):
    """The first line of ``cls``'s docstring (the formula of a schedule)."""
    return (inspect.getdoc(cls) or cls.__name__).splitlines()[0].rstrip(".")


def add_optimizer_arguments(group, default):
    """Add ``--optimizer`` (``default`` when not given) and every option of
    every optimizer to the argparse ``group``."""
    presets = "; ".join(f"{name} is {cls.__name__}("
                        + ", ".join(f"{k}={v!r}" for k, v in preset.items()) + ")"
                        for name, (cls, preset) in OPTIMIZERS.items() if preset)
    group.add_argument("--optimizer", choices=list(OPTIMIZERS), default=default,
                       help=f"{presets} (default: {default})" if presets else
                       f"default: {default}")
    for param, defaults in _by_parameter(optimizer_options, OPTIMIZERS).items():
        _add_option(group, param, defaults, OPTIMIZERS, lambda name: OPTIMIZERS[name][0])


def add_schedule_arguments(group, default):
    """Add ``--schedule`` (``default`` when not given) and every option of
    every schedule to the argparse ``group``."""
    formulas = "; ".join(f"{name}: {_summary(cls)}" for name, cls in SCHEDULES.items())
    group.add_argument("--schedule", choices=list(SCHEDULES), default=default,
                       help=f"{formulas} (default: {default})".replace("%", "%%"))
    for param, defaults in _by_parameter(schedule_options, SCHEDULES).items():
        _add_option(group, param, defaults, SCHEDULES, SCHEDULES.get)


def _given(args, option, name, takes, every_param):
    """{parameter: value} of the options given for ``--option name``, which
    takes the parameters ``takes``; CLIError for one it does not take, or a
    required one missing."""
    given = {p: getattr(args, p) for p in every_param if getattr(args, p, None) is not None}
    wrong = [_flag(p) for p in given if p not in takes]
    if wrong:
        accepted = ", ".join(_flag(p) for p in takes) or "no options"
        raise CLIError(f"{', '.join(wrong)} does not apply to --{option} {name} "
                       f"(it takes {accepted})")
    for p, default in takes.items():
        if default is REQUIRED and p not in given:
            what = f", {_HELP[p]}" if p in _HELP else ""
            raise CLIError(f"--{option} {name} needs {_flag(p)}{what}")
    return given


def build_optimizer(args):
    """The optimizer, with its learning-rate schedule, that the parsed
    command line ``args`` ask for.

    Parameters
    ----------
    args : argparse.Namespace
        With ``optimizer``, ``schedule`` and an attribute per option (None
        when not given), as the parser of ``fastbp train`` makes them.

    Returns
    -------
    fastbp.Optimizer

    Raises
    ------
    CLIError
        An option that does not apply to the optimizer or schedule chosen,
        or a required one missing.  Values out of range raise the
        constructors' ValueError.
    """
    takes = optimizer_options(args.optimizer)
    given = _given(args, "optimizer", args.optimizer, takes,
                   _by_parameter(optimizer_options, OPTIMIZERS))
    cls, preset = OPTIMIZERS[args.optimizer]
    kwargs = {**preset, **given}
    lr = kwargs.pop("lr", takes["lr"])  # the schedule's initial rate
    schedule_kwargs = _given(args, "schedule", args.schedule, schedule_options(args.schedule),
                             _by_parameter(schedule_options, SCHEDULES))
    return cls(lr=SCHEDULES[args.schedule](lr, **schedule_kwargs), **kwargs)
