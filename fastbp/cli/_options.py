"""The optimizer and schedule options of ``fastbp train``, read from the
constructors' signatures.

``--optimizer NAME`` is a class and preset from the table that
:func:`fastbp.optimizers.get_optimizer` reads (so "momentum" and "nesterov"
are defined there, once); ``--schedule NAME`` is a class of
:data:`SCHEDULES`.  Every parameter of the class's constructor is an option
(``eps_hat`` is ``--eps-hat``; a bool parameter is a flag) with the
constructor's default, but a schedule's ``lr``, which is the optimizer's
``--lr``, and a schedule's ``length``, which defaults to the whole run.
The parser, its help and the checks all come from these tables, so a new
parameter or a changed default needs no edit here.

``--warmup EPOCHS`` puts a :class:`fastbp.schedules.Warmup` in front of the
chosen schedule.  It counts epochs, the unit of ``--epochs``, whatever the
schedule counts: for a schedule that counts updates it lasts EPOCHS times the
updates of an epoch.  A ``length`` not given is the run after the warm-up,
so a cosine or a one-cycle ends with the last epoch.
"""
import argparse
import inspect

from fastbp import schedules
from fastbp.cli._arguments import CLIError, non_negative_int
from fastbp.optimizers import NAMED as OPTIMIZERS  # name -> (class, preset arguments)

__all__ = ["OPTIMIZERS", "SCHEDULES", "REQUIRED", "RUN", "optimizer_options", "schedule_options",
           "add_optimizer_arguments", "add_schedule_arguments", "check_options",
           "build_optimizer", "build_schedule"]

# The schedules the command line offers, by the name --schedule takes.
SCHEDULES = {
    "constant": schedules.Constant,
    "step": schedules.StepDecay,
    "exponential": schedules.ExponentialDecay,
    "inverse-time": schedules.InverseTimeDecay,
    "inverse-scaling": schedules.InverseScaling,
    "cosine": schedules.CosineAnnealing,
    "one-cycle": schedules.OneCycle,
    "polynomial": schedules.Polynomial,
}

REQUIRED = inspect.Parameter.empty  # the "default" of a parameter that has none


class _RunLength:
    """The command line's default of a schedule's ``length``: the training
    run after the warm-up, known once the data is read."""

    def __repr__(self):
        return "the run after --warmup"


RUN = _RunLength()
_RUN_LENGTH = "length"  # the schedule parameter that defaults to RUN
_KINDS = {"length": int}  # the type of an option whose default does not tell it

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
    "length": "updates (epochs with --per epoch) from the first rate to the last; for "
              "cosine with --restarts, the first period",
    "min_lr": "the lowest rate",
    "restarts": "restart the cosine at --lr after each period (SGDR)",
    "length_mult": "with --restarts, each period is this many times the previous one",
    "pct_start": "fraction of the cycle spent rising to --lr, the peak",
    "anneal_strategy": "the shape of the rise and fall",
    "div_factor": "the first rate is --lr / div_factor",
    "final_div_factor": "the last rate is the first / final_div_factor",
    "three_phase": "come back down to the first rate before the final anneal",
    "end_lr": "the final rate",
}
_CHOICES = {"per": ["step", "epoch"], "anneal_strategy": ["cos", "linear"]}


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
        ``per`` for a constant rate, which counts nothing.  A required
        ``length`` has the default :data:`RUN`, the run after the warm-up.
    """
    cls = SCHEDULES[name]
    params = _parameters(cls)
    params.pop(next(iter(params)))
    if cls.constant:
        params.pop("per", None)
    if params.get(_RUN_LENGTH) is REQUIRED:
        params[_RUN_LENGTH] = RUN
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
    values = [v for v in defaults.values() if v is not REQUIRED and v is not RUN]
    if values and all(isinstance(v, bool) for v in values):
        # a flag: the option is given or not; None tells "not given" apart
        action = "store_true" if not any(values) else argparse.BooleanOptionalAction
        group.add_argument(_flag(param), action=action, default=None,
                           help=f"{owners}{what}".replace("%", "%%"))
        return
    if param in _KINDS:
        kind = _KINDS[param]
    elif values and all(isinstance(v, int) for v in values):
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
    group.add_argument("--warmup", type=non_negative_int, default=0, metavar="EPOCHS",
                       help="a linear warm-up over the first EPOCHS epochs, in front of any "
                       "schedule; the schedule's length defaults to the epochs after it "
                       "(default: 0, none)")
    factor = _parameters(schedules.Warmup)["start_factor"]
    group.add_argument("--warmup-start-factor", type=float, default=None, metavar="F",
                       help=f"the warm-up's first rate as a fraction of the schedule's first "
                       f"(default {factor})")


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


def _optimizer_arguments(args):
    """(class, rate, other keyword arguments) of the optimizer ``args`` ask for."""
    takes = optimizer_options(args.optimizer)
    given = _given(args, "optimizer", args.optimizer, takes,
                   _by_parameter(optimizer_options, OPTIMIZERS))
    cls, preset = OPTIMIZERS[args.optimizer]
    kwargs = {**preset, **given}
    lr = kwargs.pop("lr", takes["lr"])  # the schedule's initial rate
    return cls, lr, kwargs


def _schedule_arguments(args):
    """({parameter: value} given for the schedule, warm-up epochs, warm-up
    keyword arguments); CLIError for options that do not go together."""
    kwargs = _given(args, "schedule", args.schedule, schedule_options(args.schedule),
                    _by_parameter(schedule_options, SCHEDULES))
    warmup, factor = args.warmup, args.warmup_start_factor
    if factor is not None and not warmup:
        raise CLIError("--warmup-start-factor applies with --warmup")
    if warmup and warmup >= args.epochs:
        raise CLIError(f"--warmup {warmup} must be less than --epochs ({args.epochs}): the "
                       f"warm-up would take the whole training")
    return kwargs, warmup, {} if factor is None else {"start_factor": factor}


def check_options(args):
    """Raise what :func:`build_optimizer` would for the options alone, before
    the data (and so the updates per epoch) is known: a CLIError for an
    option that does not apply or is missing, the optimizer's ValueError for
    a value out of range.  The schedule's values are checked when it is built."""
    cls, lr, kwargs = _optimizer_arguments(args)
    _schedule_arguments(args)
    cls(lr=lr, **kwargs)


def build_schedule(args, lr, steps_per_epoch=1):
    """The learning-rate schedule that the parsed command line ``args`` ask
    for, starting at ``lr``, for a run of ``args.epochs`` epochs of
    ``steps_per_epoch`` updates: ``length`` defaults to the run after the
    warm-up, and ``--warmup`` (epochs) becomes a Warmup in the schedule's unit."""
    kwargs, warmup, warmup_kwargs = _schedule_arguments(args)
    cls = SCHEDULES[args.schedule]
    per = kwargs.get("per", _parameters(cls).get("per", "step"))
    unit = 1 if per == "epoch" else steps_per_epoch
    if schedule_options(args.schedule).get(_RUN_LENGTH) is RUN and _RUN_LENGTH not in kwargs:
        kwargs[_RUN_LENGTH] = max(1, (args.epochs - warmup) * unit)
    schedule = cls(lr, **kwargs)
    return schedules.Warmup(schedule, warmup * unit, **warmup_kwargs) if warmup else schedule


def build_optimizer(args, steps_per_epoch=1):
    """The optimizer, with its learning-rate schedule, that the parsed
    command line ``args`` ask for.

    Parameters
    ----------
    args : argparse.Namespace
        With ``optimizer``, ``schedule``, ``epochs``, ``warmup``,
        ``warmup_start_factor`` and an attribute per option (None when not
        given), as the parser of ``fastbp train`` makes them.
    steps_per_epoch : int, default 1
        Updates per epoch, which a schedule's default length and the
        warm-up of a schedule counting updates are measured in.

    Returns
    -------
    fastbp.Optimizer

    Raises
    ------
    CLIError
        An option that does not apply to the optimizer or schedule chosen,
        a required one missing, or a warm-up as long as the training.
        Values out of range raise the constructors' ValueError.
    """
    cls, lr, kwargs = _optimizer_arguments(args)
    return cls(lr=build_schedule(args, lr, steps_per_epoch), **kwargs)
