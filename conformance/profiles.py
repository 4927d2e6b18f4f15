"""The Hypothesis settings of the kit's tests, and of nobody else's.

The plugin is loaded in every pytest run of an environment where the kit is installed, so it
never loads a profile or forces a seed for the whole run. Instead, the settings below are
attached to each Hypothesis test of the suite when it is collected:

- the profile is the kit's: ``realdex`` (``realdex-ci`` where ``CI`` is set), or the ``realdex*``
  profile named with ``--hypothesis-profile``; another profile named there is the user's, for
  their tests, and the kit's tests keep the kit's;
- a test of the suite asks for fewer examples with ``@examples(n)`` (never ``@settings``): at
  most ``n``, and never more than the profile gives; ``@health_checks_off(...)`` turns off more
  health checks for one test;
- unless the profile is derandomised or the user gave ``--hypothesis-seed`` (which Hypothesis
  applies to every test), the kit's tests run with one seed chosen per run and printed, so a
  failure can be rerun with it (REPORT-4). The user's tests keep Hypothesis' own seeding and
  their example database.
"""
from __future__ import annotations

import os
import random
from typing import Any, Callable

from hypothesis import HealthCheck, Phase, seed, settings

PREFIX = "realdex"
DEFAULT, IN_CI, CERTIFY, TRIAGE = "realdex", "realdex-ci", "realdex-certify", "realdex-triage"

# print_blob: every failure carries its @reproduce_failure blob, which the report keeps (REPORT-4)
_COMMON: dict[str, Any] = dict(
    deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
# Registering a profile changes nothing until it is loaded or used as a parent.
settings.register_profile(DEFAULT, max_examples=15, **_COMMON)
settings.register_profile(IN_CI, parent=settings.get_profile("ci"), max_examples=15, **_COMMON)
settings.register_profile(CERTIFY, max_examples=300, **_COMMON)
# "triage": a quick verdict on a broken implementation; failures are reported as found, not
# shrunk to a minimal example (shrinking a failing property can take minutes per test)
settings.register_profile(TRIAGE, max_examples=15, phases=[Phase.explicit, Phase.reuse, Phase.generate], **_COMMON)

_EXAMPLES = "_realdex_max_examples"
_SUPPRESS = "_realdex_suppress_health_check"
_APPLIED = "_realdex_settings_applied"


def examples(n: int) -> Callable:
    """Decorator for a test of the suite: at most ``n`` examples (an expensive property)."""
    def mark(test: Callable) -> Callable:
        setattr(test, _EXAMPLES, n)
        return test
    return mark


def health_checks_off(*checks: HealthCheck) -> Callable:
    """Decorator for a test of the suite: these health checks too are off (for example
    ``function_scoped_fixture`` for a test whose fixture is meant to be shared by its examples)."""
    def mark(test: Callable) -> Callable:
        setattr(test, _SUPPRESS, tuple(checks))
        return test
    return mark


def profile_name(config: Any) -> str:
    """The profile of the kit's tests in this run."""
    named = config.getoption("hypothesis_profile", default=None)
    if named and str(named).startswith(PREFIX):
        return str(named)
    return IN_CI if os.environ.get("CI") else DEFAULT


def choose_seed(config: Any) -> int | str | None:
    """The seed of the kit's tests: the user's --hypothesis-seed, else one chosen for this run.

    It is chosen once, where the options are made, and kept in the options, so that the
    workers of a distributed run (pytest-xdist) use the controller's.
    """
    given = config.getoption("hypothesis_seed", default=None)
    if given is not None:
        return int(given) if str(given).isdigit() else given
    if getattr(config.option, "realdex_seed", None) is None:
        config.option.realdex_seed = random.SystemRandom().randrange(2**32)
    return config.option.realdex_seed


def run_settings(config: Any) -> settings:
    return settings.get_profile(profile_name(config))


def describe(config: Any) -> dict:
    """The profile and seed of the kit's tests; the seed is None when it plays no part."""
    current = run_settings(config)
    return {
        "profile": profile_name(config),
        "seed": None if current.derandomize else choose_seed(config),
        "derandomize": bool(current.derandomize),
        "max_examples": current.max_examples,
    }


def apply(test: Callable, config: Any) -> None:
    """Attach the kit's settings (and seed) to one Hypothesis test of the suite."""
    test = getattr(test, "__func__", test)  # a method's function
    if getattr(test, "_hypothesis_internal_settings_applied", False) and not hasattr(test, _APPLIED):
        raise ValueError(
            f"{test.__qualname__}: a test of the suite takes its settings from the kit's profile; "
            "use @examples(n) from realdex_conformance.profiles instead of @settings"
        )
    profile = run_settings(config)
    tuned: dict[str, Any] = {}
    cap = getattr(test, _EXAMPLES, None)
    if cap:
        tuned["max_examples"] = min(cap, profile.max_examples)
    extra = getattr(test, _SUPPRESS, ())
    if extra:
        tuned["suppress_health_check"] = list(dict.fromkeys([*profile.suppress_health_check, *extra]))
    chosen = settings(profile, **tuned)
    if hasattr(test, _APPLIED):
        # collected again in the same process (an in-process pytest run): replace, do not stack
        test._hypothesis_internal_use_settings = chosen
    else:
        chosen(test)
    setattr(test, _APPLIED, True)
    info = describe(config)
    if info["seed"] is not None and config.getoption("hypothesis_seed", default=None) is None:
        seed(info["seed"])(test)
    elif hasattr(test, "_hypothesis_internal_use_seed"):
        test._hypothesis_internal_use_seed = None
