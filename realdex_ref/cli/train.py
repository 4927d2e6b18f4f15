"""``realdex train ROOT --out DIR``: train the reference grasp model (spec chapter 11).

Flags override a RealDex-style YAML configuration (``--config``, keys read as ``realdex plan``
reads them: ``batch_size``, ``total_epoch`` passes, ``freq.save`` iterations). The plan is
checked before any work; a plan that trains nothing exits with status 2 and the fixes. The
same command runs under ``torchrun --nproc_per_node=N``; rank 0 writes the run log and the
checkpoints and prints the run verdict at the end.
"""
from __future__ import annotations

import argparse
import warnings

from realdex_ref.cli import common, walkopts


def add_arguments(p: argparse.ArgumentParser) -> None:
    from realdex_ref.cli import plan

    p.add_argument("root", nargs="?", metavar="ROOT", help="data root (optional with --resume: the run's own root is used)")
    p.add_argument("--out", required=True, metavar="RUN", help="run folder: run.jsonl, metrics.jsonl, ckpt_*.pt, latest")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its latest checkpoint, with its configuration")
    plan.add_plan_flags(p)  # --config, --batch-size, --passes/--epochs, --max-iterations, --drop-last, --ckpt-every, --grad-accum, --step-time
    p.add_argument("--seed", type=common.count, metavar="S", help="seed of the weights, the order and the noise (default 0)")
    p.add_argument("--num-points", type=common.positive_int, metavar="K", help="object points sampled per item (default 1024)")
    p.add_argument("--layout", choices=common.LAYOUTS,
                   help="layout to train on (default: the root's only one; a root holding several is refused until one is chosen)")
    p.add_argument("--point-sampling", choices=("random", "fps"), help="object points per item: random (default) or fps")
    p.add_argument("--lr", type=common.positive_float, metavar="LR", help="Adam learning rate (config: learning_rate; default 5e-4)")
    p.add_argument("--width", type=common.positive_int, metavar="W", help="model width (default 64)")
    p.add_argument("--latent", type=common.positive_int, metavar="Z", help="latent size of the VAE (default 16)")
    p.add_argument("--num-workers", type=common.count, metavar="N", help="loader worker processes (config: num_workers; default 0)")
    p.add_argument("--num-threads", type=common.positive_int, metavar="T", help="intra-op CPU threads (default 1; scale out with torchrun)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), help="auto (default): this rank's GPU when there is one, else the CPU")
    p.add_argument("--calibrate", type=common.positive_int, metavar="STEPS",
                   help="measure step, save and start-up times with STEPS steps first, so the logged plan has an "
                        "expected duration (and check-run can tell a run that ends too fast)")
    common.add_quiet(p)
    walkopts.add_walk_options(p, jobs=False)  # --index, --no-index: the loader's walk and its farthest-point samples
    p.add_argument("--plot-loss", metavar="FILE.png", help="write the loss curve as an image after the run (needs matplotlib)")
    p.add_argument("--plot", metavar="FILE.png", help="write planned versus actual iterations over time as an image (needs matplotlib)")


_FLAGS = ("batch_size", "passes", "max_iterations", "ckpt_every", "drop_last", "grad_accum", "seed", "num_points",
          "layout", "point_sampling", "lr", "width", "latent", "num_workers", "num_threads", "device", "step_time")


def config_from(args: argparse.Namespace) -> dict:
    """The trainer's configuration: YAML inputs first (every key the trainer reads, ``learning_rate`` as ``lr``),
    flags over them."""
    from realdex_ref import planning

    config: dict = {}
    if args.config:
        read = planning.read_config(args.config)
        config.update({k: v for k, v in read["inputs"].items() if k != "world_size"})  # the world is torchrun's
        values, unknown = common.config_for_trainer(read["keys"])
        config.update(values)
        for warning in unknown:
            common.say("train", f"{args.config}: {warning}")
    config.update({k: getattr(args, k) for k in _FLAGS if getattr(args, k) is not None})
    return config


def run(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from realdex_ref.errors import RealDexError, printable

    resume_cmd = f"realdex train --out {printable(args.out)} --resume"
    if args.resume and (any(getattr(args, k) is not None for k in _FLAGS) or args.config):
        return common.fail("train", "--resume continues with the configuration stored in the checkpoint; "
                           "drop the other training flags (start a new run in another --out to change them)")
    if args.root is None and not args.resume:
        return common.fail("train", "missing ROOT, the data root to train on (or --resume, to continue the run in --out)")
    # everything that can be refused is refused before the data is read
    common.check_folder_target("--out", args.out)
    common.check_plot("--plot", args.plot)
    common.check_plot("--plot-loss", args.plot_loss)
    config = None if args.resume else config_from(args)
    if config is not None and config.get("passes") is None and config.get("max_iterations") is None:
        from realdex_ref.cli.plan import MISSING_PASSES

        return common.fail("train", f"missing {MISSING_PASSES} (or a --config that gives total_epoch)")

    from realdex_ref import trainer

    main = int(os.environ.get("RANK", "0")) == 0
    bar = trainer.ProgressBar() if main and not args.quiet else None
    index = walkopts.walk_kwargs(args)["index"]
    try:
        if config is not None and args.calibrate:
            measured = trainer.calibrate(args.root, config, steps=args.calibrate, index=index)
            config = {**measured, **config}  # a step time given by the user wins
            if main:
                common.say("train", "calibrated: " + ", ".join(f"{k} {v:.3g} s" for k, v in measured.items()))
        with warnings.catch_warnings():
            warnings.showwarning = _say  # a fallback to an older checkpoint, a stale lock taken over: one line each
            log = trainer.train(args.root, args.out, config, resume=args.resume, progress=bar, index=index)
    except KeyboardInterrupt:  # before the loop (reading the data) or in a second Ctrl-C: say where the run stands
        _close(bar)
        kept = (Path(args.out) / trainer.RUN_LOG).exists()
        return common.fail("train", "interrupted" + (f"; continue with: {resume_cmd}" if kept else ", nothing was written"),
                           common.INTERRUPTED)
    except (RealDexError, ValueError) as exc:  # plan refusals, used folders, unreadable data: the user's to fix
        _close(bar)
        return common.fail("train", exc)
    except OSError as exc:  # a full disk, a read-only folder, a folder where a file should be
        _close(bar)
        where = f"{printable(exc.filename)}: " if exc.filename else ""
        return common.fail("train", f"cannot write the run: {where}{exc.strerror or exc}. The run folder holds the last "
                           f"complete checkpoint; fix this, then continue with: {resume_cmd}")
    except RuntimeError as exc:
        _close(bar)
        if "PytorchStreamWriter" not in str(exc) and "inline_container" not in str(exc):
            raise
        return common.fail("train", f"cannot write a checkpoint into {printable(args.out)} ({str(exc).splitlines()[0]}; the "
                           f"disk may be full). The last complete checkpoint is kept; free space, then continue with: {resume_cmd}")
    _close(bar)
    if not main:
        return common.CLEAN
    from realdex_ref import checkrun

    verdict = checkrun.verdict(log)
    end = verdict.events[-1] if verdict.events else {}
    if end.get("event") == "run_end" and end.get("reason") == "interrupted":
        return common.fail("train", f"interrupted at iteration {end.get('iteration')} of {verdict.plan['iterations']}, "
                           f"a checkpoint saved; continue with: {resume_cmd}", common.INTERRUPTED)
    print(f"run log: {log}")
    print(f"run verdict: {'no finding' if verdict.clean else f'{len(verdict.findings)} finding(s)'} "
          f"({verdict.iteration} of {verdict.plan['iterations']} iterations, {verdict.wall_seconds:.1f} s)")
    for f in verdict.findings:
        print(f"  {f['code']}: {printable(f['message'])}")
    if args.plot_loss:
        from realdex_ref.lossplot import plot_loss

        plot_loss(verdict, args.plot_loss)
        print(f"loss curve: {args.plot_loss}")
    if args.plot:
        from realdex_ref.cli.check_run import plot

        plot(verdict, args.plot)
        print(f"planned versus actual: {args.plot}")
    return common.CLEAN if verdict.clean else common.FINDINGS


def _close(bar) -> None:
    if bar is not None:
        bar.close()


def _say(message, category, filename, lineno, file=None, line=None) -> None:
    common.say("train", message)
