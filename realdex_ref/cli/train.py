"""``realdex train ROOT --out DIR``: train the reference grasp model (spec chapter 11).

Flags override a RealDex-style YAML configuration (``--config``, keys read as ``realdex plan``
reads them: ``batch_size``, ``total_epoch`` passes, ``freq.save`` iterations). The plan is
checked before any work; a plan that trains nothing exits with status 2 and the fixes. The
same command runs under ``torchrun --nproc_per_node=N``; rank 0 writes the run log and the
checkpoints and prints the run verdict at the end.
"""
from __future__ import annotations

import argparse
import sys
import warnings


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("root", nargs="?", help="data root (optional with --resume: the run's own root is used)")
    p.add_argument("--out", required=True, help="run folder: run.jsonl, metrics.jsonl, ckpt_*.pt, latest")
    p.add_argument("--config", help="RealDex-style YAML configuration (batch_size, total_epoch, freq.save, ...)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its latest checkpoint")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--passes", type=int, help="passes over the data (RealDex: total_epoch)")
    p.add_argument("--max-iterations", type=int, help="a cap on optimizer steps")
    p.add_argument("--ckpt-every", type=int, help="iterations between checkpoints (RealDex: freq.save)")
    p.add_argument("--drop-last", dest="drop_last", action=argparse.BooleanOptionalAction, default=None,
                   help="drop each rank's last partial batch (default: on, as RealDex)")
    p.add_argument("--grad-accum", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--num-points", type=int, help="object points sampled per item (default 1024)")
    p.add_argument("--layout", help="layout to train on (default: the one with the most samples)")
    p.add_argument("--point-sampling", choices=("random", "fps"), help="object points per item: random (default) or fps")
    p.add_argument("--lr", type=float)
    p.add_argument("--width", type=int, help="model width (default 64)")
    p.add_argument("--latent", type=int, help="latent size of the VAE (default 16)")
    p.add_argument("--num-workers", type=int)
    p.add_argument("--num-threads", type=int, help="intra-op CPU threads (default 1; scale out with torchrun)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"))
    p.add_argument("--step-time", type=float, help="seconds per iteration for the plan's expected duration")
    p.add_argument("--calibrate", type=int, metavar="STEPS",
                   help="measure step, save and start-up times with STEPS steps first, so the logged plan has an "
                        "expected duration (and check-run can tell a run that ends too fast)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--plot-loss", metavar="FILE.png", help="write the loss curve as a PNG after the run")
    p.add_argument("--plot", metavar="FILE.png", help="write planned versus actual iterations over time as a PNG")


_FLAGS = ("batch_size", "passes", "max_iterations", "ckpt_every", "drop_last", "grad_accum", "seed", "num_points",
          "layout", "point_sampling", "lr", "width", "latent", "num_workers", "num_threads", "device", "step_time")


def config_from(args: argparse.Namespace) -> dict:
    """The trainer's configuration: YAML inputs first, flags over them."""
    from realdex_ref import planning

    config: dict = {}
    if args.config:
        read = planning.read_config(args.config)
        config.update({k: v for k, v in read["inputs"].items() if k != "world_size"})  # the world is torchrun's
        unused = [k["key"] for k in read["keys"] if not k["used"]]
        if unused:
            print(f"realdex train: {args.config}: key(s) not used by the plan: {', '.join(unused)}", file=sys.stderr)
    config.update({k: getattr(args, k) for k in _FLAGS if getattr(args, k) is not None})
    return config


def run(args: argparse.Namespace) -> int:
    import os

    from realdex_ref import trainer
    from realdex_ref.errors import RealDexError, printable

    if args.resume and any(getattr(args, k) is not None for k in _FLAGS) or (args.resume and args.config):
        print("realdex train: --resume continues with the configuration stored in the checkpoint; "
              "drop the other training flags (start a new run in another --out to change them)", file=sys.stderr)
        return 2
    main = int(os.environ.get("RANK", "0")) == 0
    bar = trainer.ProgressBar() if main and not args.quiet and sys.stderr.isatty() else None
    try:
        config = None if args.resume else config_from(args)
        if config is not None and args.calibrate:
            measured = trainer.calibrate(args.root, config, steps=args.calibrate)
            config = {**measured, **config}  # a step time given by the user wins
            if main:
                print("calibrated: " + ", ".join(f"{k} {v:.4g} s" for k, v in measured.items()), file=sys.stderr)
        with warnings.catch_warnings():
            warnings.showwarning = _say  # a fallback to an older checkpoint, a stale lock taken over: one line each
            log = trainer.train(args.root, args.out, config, resume=args.resume, progress=bar)
    except (RealDexError, ValueError) as exc:  # plan refusals, used folders, unreadable data: the user's to fix
        print(f"realdex train: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk, a read-only folder, a folder where a file should be
        where = f"{printable(exc.filename)}: " if exc.filename else ""
        print(f"realdex train: cannot write the run: {where}{exc.strerror or exc}. The run folder holds the last "
              f"complete checkpoint; fix this, then continue with: realdex train --out {printable(args.out)} --resume",
              file=sys.stderr)
        return 2
    except RuntimeError as exc:
        if "PytorchStreamWriter" not in str(exc) and "inline_container" not in str(exc):
            raise
        print(f"realdex train: cannot write a checkpoint into {printable(args.out)} ({str(exc).splitlines()[0]}; the "
              "disk may be full). The last complete checkpoint is kept; free space, then continue with: "
              f"realdex train --out {printable(args.out)} --resume", file=sys.stderr)
        return 2
    if not main:
        return 0
    from realdex_ref import checkrun

    verdict = checkrun.verdict(log)
    print(f"run log: {log}")
    print(f"run verdict: {'no finding' if verdict.clean else f'{len(verdict.findings)} finding(s)'} "
          f"({verdict.iteration} of {verdict.plan['iterations']} iterations, {verdict.wall_seconds:.1f} s)")
    for f in verdict.findings:
        print(f"  {f['code']}: {f['message']}")
    if args.plot_loss:
        from realdex_ref.lossplot import plot_loss

        plot_loss(verdict, args.plot_loss)
        print(f"loss curve: {args.plot_loss}")
    if args.plot:
        from realdex_ref.cli.check_run import plot

        plot(verdict, args.plot)
        print(f"planned versus actual: {args.plot}")
    return 0 if verdict.clean else 1



def _say(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"realdex train: {message}", file=sys.stderr)
