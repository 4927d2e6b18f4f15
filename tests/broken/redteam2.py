"""Broken adapters of a second red team (issue 12): trainers, run-log writers and hostile-file readers.

Chapters 10 (the writer's side of the run log), 11 (training) and 13 (robustness), which the first
round (``tests/broken/redteam.py``) left alone. Each is the reference with one realistic change, put
into the reference's module for the length of one adapter call (the suite runs one test at a time).
``tests/test_broken_redteam2.py`` says on which clause the suite rejects each.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager

import numpy as np

from realdex_ref import batching, checkpoint, dataroot, npzio, trainer
from realdex_ref.adapter import ReferenceAdapter
from realdex_ref.errors import DataError
from realdex_ref.runlog import RunLog
from tests.broken.patching import patched as _patched


class _TrainerBug(ReferenceAdapter):
    """The reference trainer with ``_bug()`` in force while it trains or resumes."""

    @contextmanager
    def _bug(self):
        raise NotImplementedError

    def train(self, root, out, config):
        with self._bug():
            return super().train(root, out, config)

    def resume(self, out):
        with self._bug():
            return super().resume(out)


# --- training (chapter 11) ------------------------------------------------------------------------

class IgnoresSeed(ReferenceAdapter):
    """Reads its seed from a key of its own (``random_seed``, default 0): the ``seed`` asked for is logged, never used."""

    name = "broken-ignores-seed"

    def train(self, root, out, config):
        with _patched(trainer, build_model=lambda c: _build_model(dict(c, seed=0)),
                      open_dataset=lambda r, c, i=None: _open_dataset(r, dict(c, seed=0), i),
                      noise_seed=lambda seed, rank, iteration: _noise_seed(0, rank, iteration)), \
                _patched(batching, EpochSampler=_fixed_seed_sampler):
            return super().train(root, out, config)


_build_model, _open_dataset = trainer.build_model, trainer.open_dataset


def _fixed_seed_sampler(num_samples, batch_size, world, rank, drop_last, seed, **kw):
    return _EpochSampler(num_samples, batch_size, world, rank, drop_last, 0, **kw)


_EpochSampler = batching.EpochSampler


class NoiseSeededByStepsOfThisProcess(_TrainerBug):
    """Seeds each iteration's VAE noise from the steps this process has made, not from the iteration:
    a resumed segment draws the noise of iteration 0 again."""

    name = "broken-noise-seeded-by-steps-of-this-process"

    @contextmanager
    def _bug(self):
        steps = [0]

        def noise_seed(seed, rank, iteration):
            steps[0] += 1
            return _noise_seed(seed, rank, steps[0] - 1)

        with _patched(trainer, noise_seed=noise_seed):
            yield


_noise_seed = trainer.noise_seed


def _resume_point_with(change):
    def resume_point(folder):
        found = _resume_point(folder)
        if found is None:
            return found
        latest, state, passed_over = found
        return latest, change(dict(state)), passed_over
    return resume_point


_resume_point = checkpoint.resume_point


class FreshOptimiserOnResume(_TrainerBug):
    """Resumes the model's weights but starts Adam afresh (its moments lost): "the weights are what matters"."""

    name = "broken-fresh-optimiser-on-resume"

    @contextmanager
    def _bug(self):
        def change(state):
            opt = state["optimizer"]
            state["optimizer"] = {"state": {}, "param_groups": opt["param_groups"]}
            return state

        with _patched(checkpoint, resume_point=_resume_point_with(change)):
            yield


class ResumeRepeatsTheCheckpointedIteration(_TrainerBug):
    """Resumes one iteration early, "to be safe": the checkpointed iteration is trained twice."""

    name = "broken-resume-repeats-the-checkpointed-iteration"

    @contextmanager
    def _bug(self):
        def change(state):
            state["iteration"] = max(int(state["iteration"]) - 1, 0)
            return state

        with _patched(checkpoint, resume_point=_resume_point_with(change)):
            yield


class ResumeRedrawsThePassFromItsStart(ReferenceAdapter):
    """Keeps the iteration on resume but the loader of the resumed pass starts again at its first batch
    (the checkpoint's position never reaches the data): the pass's first batches are trained twice, its last never."""

    name = "broken-resume-redraws-the-pass-from-its-start"

    def resume(self, out):
        position = int(checkpoint.load(checkpoint.latest(out))["position"])
        first = [True]

        class Sampler(_EpochSampler):
            def batches(self):
                batches = super().batches()
                if first[0] and position:
                    first[0] = False
                    return batches[:position] + batches[:len(batches) - position]  # batches[position:] = the start
                first[0] = False
                return batches

        with _patched(batching, EpochSampler=Sampler):
            return super().resume(out)


class CheckpointBeforeTheStep(_TrainerBug):
    """Saves the checkpoint of iteration k with the model and optimiser as they were before step k
    (the save sits above ``opt.step()`` in the loop): a resume loses that step."""

    name = "broken-checkpoint-before-the-step"

    @contextmanager
    def _bug(self):
        before = {}

        def train_step(net, opt, group, noise, latent, device):
            model = getattr(net, "module", net)
            before["model"] = copy.deepcopy(model.state_dict())
            before["optimizer"] = copy.deepcopy(opt.state_dict())
            return _train_step(net, opt, group, noise, latent, device)

        def save(state, folder):
            if before:
                state = {**state, "model": before["model"], "optimizer": before["optimizer"]}
            return _save(state, folder)

        with _patched(trainer, train_step=train_step), _patched(checkpoint, save=save):
            yield


_train_step, _save = trainer.train_step, checkpoint.save


class RefusesOnlyAFolderWithALog(_TrainerBug):
    """Takes a folder for used only when it holds a run log: a folder of checkpoints alone is trained into."""

    name = "broken-refuses-only-a-folder-with-a-log"

    @contextmanager
    def _bug(self):
        def refuse_used_folder(out):
            if (out / trainer.RUN_LOG).exists():
                _refuse_used_folder(out)

        with _patched(trainer, refuse_used_folder=refuse_used_folder):
            yield


_refuse_used_folder = trainer.refuse_used_folder


# --- the run log the trainer writes (chapter 10) ----------------------------------------------------

def _log_bug(**members):
    class LogBug(_TrainerBug):
        @contextmanager
        def _bug(self):
            with _patched(RunLog, **members):
                yield
    return LogBug


_run_end, _epoch_end, _checkpoint = RunLog.run_end, RunLog.epoch_end, RunLog.checkpoint


def _interrupted_as_completed(self, status, reason, iteration):
    if reason == "interrupted":  # "the user stopped it, so it is done"
        status, reason = "success", "completed"
    return _run_end(self, status, reason, iteration)


def _already_complete_as_completed(self, status, reason, iteration):
    if reason == "already-complete":
        reason = "completed"
    return _run_end(self, status, reason, iteration)


def _epoch_end_before_last_step(self, pass_index, iteration, samples_seen, batches):
    # logged when the loader runs dry, before the step of the pass's last batch
    return _epoch_end(self, pass_index, iteration - 1, samples_seen, batches)


def _padded_samples_seen(self, pass_index, iteration, samples_seen, batches):
    batch_size = _padded_samples_seen.batch_size
    return _epoch_end(self, pass_index, iteration, batches * batch_size, batches)  # the short batch counted full


class InterruptedLoggedCompleted(_log_bug(run_end=_interrupted_as_completed)):
    """Ends an interrupted segment with status success, reason completed."""

    name = "broken-interrupted-logged-completed"


class AlreadyCompleteLoggedCompleted(_log_bug(run_end=_already_complete_as_completed)):
    """Ends the resume of a finished run with reason completed, not already-complete."""

    name = "broken-already-complete-logged-completed"


class EpochEndBeforeTheLastStep(_log_bug(epoch_end=_epoch_end_before_last_step)):
    """Logs epoch_end when the pass's loader runs dry, one iteration before the pass's last step is done."""

    name = "broken-epoch-end-before-the-last-step"


class SamplesSeenCountsPadding(ReferenceAdapter):
    """Counts samples_seen as batches × batch_size: a short last batch is counted as a full one."""

    name = "broken-samples-seen-counts-padding"

    def train(self, root, out, config):
        _padded_samples_seen.batch_size = int(config["batch_size"])
        with _patched(RunLog, epoch_end=_padded_samples_seen):
            return super().train(root, out, config)


def _final_only_at_a_pass_end(self, iteration, path, final=False):
    # final when the last pass is whole: a run cut by max_iterations mid-pass ends with no final checkpoint
    per_pass = _final_only_at_a_pass_end.per_pass
    return _checkpoint(self, iteration, path, final=bool(final and iteration % per_pass == 0))


class FinalCheckpointOnlyAtAPassEnd(ReferenceAdapter):
    """Flags the final checkpoint only when the run ends at the end of a pass: one cut short by
    max_iterations in mid-pass logs its last checkpoint as an ordinary one."""

    name = "broken-final-checkpoint-only-at-a-pass-end"

    def train(self, root, out, config):
        def plan_of(cfg, dataset, world):
            plan = _make_plan(cfg, dataset, world)
            _final_only_at_a_pass_end.per_pass = plan.iterations_per_epoch
            return plan

        with _patched(trainer, make_plan=plan_of), _patched(RunLog, checkpoint=_final_only_at_a_pass_end):
            return super().train(root, out, config)


_make_plan = trainer.make_plan


# --- hostile files (chapter 13) ----------------------------------------------------------------------

class _ReadBug(ReferenceAdapter):
    """The reference with ``_bug()`` in force for every call that reads files or logs."""

    @contextmanager
    def _bug(self):
        raise NotImplementedError

    def read_file(self, path):
        with self._bug():
            return super().read_file(path)

    def read_root(self, root, layout=None):
        with self._bug():
            return super().read_root(root, layout)

    def inspect_root(self, root):
        with self._bug():
            return super().inspect_root(root)

    def check_root(self, root, num_points=1024):
        with self._bug():
            return super().check_root(root, num_points)

    def detect_layout(self, path):
        with self._bug():
            return super().detect_layout(path)

    def check_run(self, path):
        with self._bug():
            return super().check_run(path)


def _member_sized_by_its_header(archive, info, path, key, budget):
    """Sets aside the array the header declares, then reads into it: the header is believed over the member."""
    try:
        with archive.open(info) as fp:
            shape, fortran, dtype, head = npzio._header(fp, info, path, key)
            array = np.empty(shape, dtype=dtype, order="F" if fortran else "C")
            view = memoryview(array.reshape(-1, order="A").view(np.uint8))
            got = fp.readinto(view) if array.nbytes else 0
            if got != array.nbytes:
                raise DataError(f"member {info.filename} ends before its {array.nbytes} bytes of data, after {got}",
                                path=path, key=key)
            return array
    except DataError:
        raise
    except (ValueError, OSError, EOFError, MemoryError) as exc:
        raise DataError(f"cannot read the member: {type(exc).__name__}: {exc}", path=path, key=key) from None


class AllocatesTheDeclaredShape(_ReadBug):
    """Allocates each member as its ``.npy`` header declares it, before reading a byte of it."""

    name = "broken-allocates-the-declared-shape"

    def _bug(self):
        return _patched(npzio, _read_member=_member_sized_by_its_header)


class ChecksNoDeclaredSize(_ReadBug):
    """Never compares the sizes the zip directory declares with the limits or the file ("reading is chunked anyway")."""

    name = "broken-checks-no-declared-size"

    def _bug(self):
        return _patched(npzio, _check_declared=lambda infos, keys, size, path: None)


class NoRatioCheck(_ReadBug):
    """Refuses members and files above the absolute size limits, but not a ratio of inflated to stored
    bytes: "a gigabyte is the limit; what it compresses to is the zip's business"."""

    name = "broken-no-ratio-check"

    def _bug(self):
        return _patched(npzio, MAX_RATIO=10**12)


class NoMemberCountLimit(_ReadBug):
    """Believes an archive of any number of members (no ``MAX_MEMBERS``): each is small, so each is allowed."""

    name = "broken-no-member-count-limit"

    def _bug(self):
        return _patched(npzio, MAX_MEMBERS=10**12)


_walk = dataroot._walk


def _walk_quietly(root, problems):
    # a link to a folder already walked is still skipped, but the skip is not reported
    found = _walk(root, problems)
    problems[:] = [p for p in problems if p.code != "FOLDER_LINK_SKIPPED"]
    return found


class SkipsFolderLinksQuietly(_ReadBug):
    """Walks each real folder once, as SAFE-13 asks, but leaves out a second link to one in silence."""

    name = "broken-skips-folder-links-quietly"

    def _bug(self):
        return _patched(dataroot, _walk=_walk_quietly)


IGNORES_SEED = IgnoresSeed()
NOISE_SEEDED_BY_STEPS_OF_THIS_PROCESS = NoiseSeededByStepsOfThisProcess()
FRESH_OPTIMISER_ON_RESUME = FreshOptimiserOnResume()
RESUME_REPEATS_THE_CHECKPOINTED_ITERATION = ResumeRepeatsTheCheckpointedIteration()
RESUME_REDRAWS_THE_PASS_FROM_ITS_START = ResumeRedrawsThePassFromItsStart()
CHECKPOINT_BEFORE_THE_STEP = CheckpointBeforeTheStep()
REFUSES_ONLY_A_FOLDER_WITH_A_LOG = RefusesOnlyAFolderWithALog()
INTERRUPTED_LOGGED_COMPLETED = InterruptedLoggedCompleted()
ALREADY_COMPLETE_LOGGED_COMPLETED = AlreadyCompleteLoggedCompleted()
EPOCH_END_BEFORE_THE_LAST_STEP = EpochEndBeforeTheLastStep()
SAMPLES_SEEN_COUNTS_PADDING = SamplesSeenCountsPadding()
FINAL_CHECKPOINT_ONLY_AT_A_PASS_END = FinalCheckpointOnlyAtAPassEnd()
ALLOCATES_THE_DECLARED_SHAPE = AllocatesTheDeclaredShape()
CHECKS_NO_DECLARED_SIZE = ChecksNoDeclaredSize()
NO_RATIO_CHECK = NoRatioCheck()
NO_MEMBER_COUNT_LIMIT = NoMemberCountLimit()
SKIPS_FOLDER_LINKS_QUIETLY = SkipsFolderLinksQuietly()


def _buffered_write(self, event, **fields):
    # one handle kept open for the run, written through Python's buffer, closed at run_end
    import json
    import time

    from realdex_ref.runlog import _jsonable

    record = {"event": event, "time": float(time.time()), **_jsonable(fields)}
    if getattr(self, "_fh", None) is None:
        self._fh = self.path.open("a", encoding="utf-8")
    self._fh.write(json.dumps(record, allow_nan=False) + "\n")
    if event == "run_end":
        self._fh.close()
        self._fh = None
    return record


class BuffersTheRunLog(_log_bug(write=_buffered_write)):
    """Keeps the run log open for the whole run and writes through the file's buffer: nothing reaches the disk
    before run_end, so a run killed mid-way leaves an empty log."""

    name = "broken-buffers-the-run-log"


BUFFERS_THE_RUN_LOG = BuffersTheRunLog()


# --- added after the first runs ------------------------------------------------------------------------

_write_atomic = checkpoint.write_atomic


def _write_atomic_via_tmp(path, write):
    # staged where temporary files go, then moved: the "rename" is a copy when /tmp is another file system
    import os
    import shutil
    import tempfile
    from pathlib import Path

    fd, tmp = tempfile.mkstemp(prefix="ckpt-")
    with os.fdopen(fd, "wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())
    shutil.move(tmp, path)
    return Path(path)


class CheckpointStagedInTmp(_TrainerBug):
    """Writes each checkpoint to a temporary file under the system's temporary folder, then moves it into place."""

    name = "broken-checkpoint-staged-in-tmp"

    def _bug(self):
        return _patched(checkpoint, write_atomic=_write_atomic_via_tmp)


_runlog_init = RunLog.__init__


def _init_truncating(self, path, *args, **kwargs):
    _runlog_init(self, path, *args, **kwargs)
    self.path.write_text("", encoding="utf-8")  # opened with "w": each segment starts a fresh log


class RewritesTheLogOnResume(_log_bug(__init__=_init_truncating)):
    """Opens the run log for writing, not appending: a resumed segment replaces the one before it."""

    name = "broken-rewrites-the-log-on-resume"


class ResumeRefusesOnlyMoreSamples(ReferenceAdapter):
    """Refuses a resume over more samples than the checkpoint's ("the position would run off the end"), but
    resumes over fewer: the pass goes on over other data."""

    name = "broken-resume-refuses-only-more-samples"

    def resume(self, out):
        def change(state):
            config = trainer.make_config(**{k: v for k, v in state["config"].items() if k != "root"})
            now = len(trainer.open_dataset(state["config"]["root"], config))
            if now < state["plan"]["num_samples"]:
                state["plan"] = {**state["plan"], "num_samples": now}
            return state

        with _patched(checkpoint, resume_point=_resume_point_with(change)):
            return super().resume(out)


CHECKPOINT_STAGED_IN_TMP = CheckpointStagedInTmp()
REWRITES_THE_LOG_ON_RESUME = RewritesTheLogOnResume()
RESUME_REFUSES_ONLY_MORE_SAMPLES = ResumeRefusesOnlyMoreSamples()
