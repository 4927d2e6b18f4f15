"""Broken adapters of an independent red team (issue 12): bugs nobody listed, each the reference with one
realistic change, the way real loaders, samplers, checkers and trainers go wrong.

A reader's bug is put into ``layouts.load_file`` for the length of each adapter call, so that it reaches
every path that reads a file (``read_file``, ``read_root``, ``check_root``, the loader's dataset), as a bug in
one shared reader would. ``tests/test_broken_redteam.py`` says on which clause the suite rejects each.
"""
from __future__ import annotations

import json
import tempfile
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from realdex_ref import batching, checkpoint, datachecks, layouts
from realdex_ref.adapter import ReferenceAdapter
from realdex_ref.npzio import load_npz
from tests.broken.patching import patched as _patched


class _Bug(ReferenceAdapter):
    """The reference with ``_bug()`` in force for the length of every call that reads files."""

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

    def make_dataset(self, root, layout=None, num_points=1024, point_sampling="random", seed=0):
        with self._bug():
            return super().make_dataset(root, layout, num_points, point_sampling, seed)


class _ReaderBug(_Bug):
    """The reference whose one file reader hands its columns to ``alter`` before anyone sees them."""

    def alter(self, data: layouts.FileData) -> layouts.FileData:
        raise NotImplementedError

    @contextmanager
    def _bug(self):
        original = layouts.load_file
        with _patched(layouts, load_file=lambda path: self.alter(original(path))):
            yield


# ---------------------------------------------------------------- readers (chapters 1 to 3)

class DropsLastFrame(_ReaderBug):
    """Reads a segment of T frames as T - 1: ``range(1, T)`` pairs of a velocity loop left in the reader."""

    name = "broken-drops-last-frame"

    def alter(self, d):
        if d.layout != "realdex-segment" or d.num_frames < 2:
            return d
        cut = slice(0, d.num_frames - 1)
        return replace(d, hand_transl=d.hand_transl[cut], hand_orient=d.hand_orient[cut], qpos=d.qpos[cut],
                       cloud_of_frame=d.cloud_of_frame[cut], object_transl=d.object_transl[cut],
                       object_orient=d.object_orient[cut])


class SwapsFfj4Ffj3(_ReaderBug):
    """Swaps the first two joints (abduction FFJ4 and FFJ3), as a hand-typed joint-name table does."""

    name = "broken-swaps-ffj4-ffj3"

    def alter(self, d):
        q = d.qpos.copy()
        q[:, [0, 1]] = q[:, [1, 0]]
        return replace(d, qpos=q)


class MjcfJointOrder(_ReaderBug):
    """Reorders qpos to the simulation's joint order (thumb first, as some MJCF models list it)."""

    name = "broken-mjcf-joint-order"
    ORDER = list(range(17, 22)) + list(range(0, 17))

    def alter(self, d):
        return replace(d, qpos=d.qpos[:, self.ORDER])


class MjcfFlippedAxes(_ReaderBug):
    """Moves qpos into the simulation's convention without saying so: the axes MJCF flips (FFJ4, MFJ4, THJ2) negated."""

    name = "broken-mjcf-flipped-axes"
    FLIPPED = [0, 4, 20]

    def alter(self, d):
        q = d.qpos.copy()
        q[:, self.FLIPPED] *= -1.0
        return replace(d, qpos=q)


class ObjectTranslFromHand(_ReaderBug):
    """Fills object_transl from hand_transl (a copy-pasted key): the object sits in the hand's position."""

    name = "broken-object-transl-from-hand"

    def alter(self, d):
        if d.object_transl is None:
            return d
        return replace(d, object_transl=d.hand_transl.copy())


class ReadsAxisAngleAsEuler(_ReaderBug):
    """Takes the three values of hand_orient for xyz Euler angles and converts them to a rotation vector."""

    name = "broken-reads-axis-angle-as-euler"

    def alter(self, d):
        if not len(d.hand_orient):
            return d
        return replace(d, hand_orient=Rotation.from_euler("xyz", d.hand_orient).as_rotvec())


class FoldsWithoutFlippingTheAxis(_ReaderBug):
    """Folds a rotation vector of angle θ > π to angle 2π − θ but keeps the axis: another rotation."""

    name = "broken-folds-without-flipping-the-axis"

    @staticmethod
    def _fold(v, raw):
        raw = np.asarray(raw, dtype=np.float64).reshape(-1, 3)
        theta = np.linalg.norm(raw, axis=1)
        out = v.copy()
        big = theta > np.pi
        out[big] = raw[big] / theta[big, None] * (2 * np.pi - theta[big, None])
        return out

    def alter(self, d):
        arrays = load_npz(Path(d.path))
        if d.layout == "converted":
            raw_hand = arrays["hand_poses"][:, 3:6]
        else:
            raw_hand = arrays["hand_orient"]
        changes = {"hand_orient": self._fold(d.hand_orient, raw_hand)}
        if d.object_orient is not None and arrays.get("object_orient") is not None and arrays["object_orient"].ndim == 2:
            changes["object_orient"] = self._fold(d.object_orient, arrays["object_orient"])
        return replace(d, **changes)


class ConvertedCloudOffByOne(_ReaderBug):
    """Pairs sample i of a converted file with the cloud of sample i + 1 (an index shifted by a header row)."""

    name = "broken-converted-cloud-off-by-one"

    def alter(self, d):
        if d.layout != "converted" or d.num_frames < 2:
            return d
        return replace(d, cloud_of_frame=(np.arange(d.num_frames) + 1) % d.num_frames)


class DropsColours(_ReaderBug):
    """Never reads object_colors (a reader written for the converted layout, which has none)."""

    name = "broken-drops-colours"

    def alter(self, d):
        return replace(d, colors=None)


class ColoursIn0To255(_ReaderBug):
    """Scales colours to 0 … 255, as an image library wants them."""

    name = "broken-colours-in-0-to-255"

    def alter(self, d):
        return d if d.colors is None else replace(d, colors=d.colors * 255.0)


class DowncastsToFloat32(_ReaderBug):
    """Reads every array as float32 ("the model is float32 anyway")."""

    name = "broken-downcasts-to-float32"

    def alter(self, d):
        changes = {}
        for name in ("hand_transl", "hand_orient", "qpos", "clouds", "object_transl", "object_orient", "colors"):
            a = getattr(d, name)
            if a is not None:
                changes[name] = a.astype(np.float32)
        return replace(d, **changes)


class SplitsHandPosesQposFirst(_ReaderBug):
    """Splits a converted file's hand_poses as [qpos 22, translation 3, axis-angle 3]."""

    name = "broken-splits-hand-poses-qpos-first"

    def alter(self, d):
        if d.layout != "converted":
            return d
        poses = load_npz(Path(d.path))["hand_poses"].astype(np.float64)
        return replace(d, qpos=poses[:, 0:22], hand_transl=poses[:, 22:25], hand_orient=poses[:, 25:28])


class ContactsOfTheFirstSample(_ReaderBug):
    """Gives every sample of a converted file the contact labels of its first sample (a broadcast of row 0)."""

    name = "broken-contacts-of-the-first-sample"

    def alter(self, d):
        if d.contact_labels is None or not len(d.contact_labels):
            return d
        return replace(d, contact_labels=np.repeat(d.contact_labels[:1], len(d.contact_labels), axis=0))


class ScaleOfTheFirstSample(_ReaderBug):
    """Reads object_scales as one number per file (``float(object_scales[0])``), as if every sample shared the mesh."""

    name = "broken-scale-of-the-first-sample"

    def alter(self, d):
        if d.object_scale is None or not len(d.object_scale):
            return d
        return replace(d, object_scale=np.full(len(d.object_scale), d.object_scale[0]))


class SegmentWriterOneObjectPose(ReferenceAdapter):
    """Writes a segment's object pose once, from its first frame, as it writes its one cloud."""

    name = "broken-segment-writer-one-object-pose"

    def write_samples(self, samples, dest, layout):
        result = super().write_samples(samples, dest, layout)
        if layout == "realdex-segment":
            for path in result["files"]:
                arrays = load_npz(Path(path))
                for key in ("object_transl", "object_orient"):
                    arrays[key] = np.repeat(arrays[key][:1], len(arrays[key]), axis=0)
                with open(path, "wb") as fh:
                    np.savez_compressed(fh, **arrays)
        return result


class WritesTransposedMatrix(ReferenceAdapter):
    """Writes per-frame object_orient matrices transposed (column-major), and reads its own files the same way:
    consistent with itself, the inverse rotation for everyone else."""

    name = "broken-writes-transposed-matrix"

    @staticmethod
    def _transposed(path):
        orient = load_npz(Path(path)).get("object_orient")
        return orient is not None and orient.ndim == 3

    def write_samples(self, samples, dest, layout):
        result = super().write_samples(samples, dest, layout)
        for path in result["files"]:
            arrays = load_npz(Path(path))
            orient = arrays.get("object_orient")
            if orient is not None and orient.ndim == 3 and np.isfinite(orient).all():
                arrays["object_orient"] = np.swapaxes(orient, 1, 2)
                with open(path, "wb") as fh:
                    np.savez_compressed(fh, **arrays)
        return result

    def read_file(self, path):
        samples = super().read_file(path)
        if self._transposed(path):
            for s in samples:
                if s.get("object_orient") is not None:
                    s["object_orient"] = -np.asarray(s["object_orient"])  # the transpose of a rotation is its inverse
        return samples


# ---------------------------------------------------------------- batching (chapter 7)

class SameOrderEveryEpoch(ReferenceAdapter):
    """Seeds the shuffle once, from the seed alone: every epoch has the order of epoch 0 (set_epoch forgotten)."""

    name = "broken-same-order-every-epoch"

    def epoch_batches(self, num_samples, batch_size, world_size, rank, drop_last, seed, epoch, shuffle):
        return super().epoch_batches(num_samples, batch_size, world_size, rank, drop_last, seed, 0, shuffle)


_epoch_order = batching.epoch_order


def _contiguous_order(num_samples, world_size, rank, drop_last, seed, epoch, shuffle):
    """The padded order cut into W contiguous chunks, rank r taking chunk r (torch.chunk instead of a stride)."""
    whole = [_epoch_order(num_samples, world_size, r, drop_last, seed, epoch, shuffle) for r in range(world_size)]
    order = [whole[r][k] for k in range(len(whole[0])) for r in range(world_size)]  # the order before the deal
    per = len(whole[0])
    return order[rank * per:(rank + 1) * per]


class ContiguousRankSplit(ReferenceAdapter):
    """Gives each rank a contiguous chunk of the epoch's order instead of every W-th position."""

    name = "broken-contiguous-rank-split"

    def epoch_batches(self, num_samples, batch_size, world_size, rank, drop_last, seed, epoch, shuffle):
        with _patched(batching, epoch_order=_contiguous_order):
            return super().epoch_batches(num_samples, batch_size, world_size, rank, drop_last, seed, epoch, shuffle)

    def make_loader(self, dataset, batch_size, world_size=1, rank=0, drop_last=False, seed=0, shuffle=True, num_workers=0):
        loader = super().make_loader(dataset, batch_size, world_size, rank, drop_last, seed, shuffle, num_workers)
        sampler = loader.sampler
        sampler.batches = lambda: self.epoch_batches(len(dataset), batch_size, world_size, rank, drop_last, seed,
                                                     sampler.epoch, shuffle)
        return loader


class DropsShortLastBatch(ReferenceAdapter):
    """Drops each rank's short last batch even with drop_last=False (a DataLoader made with drop_last=True)."""

    name = "broken-drops-short-last-batch"

    def epoch_batches(self, num_samples, batch_size, world_size, rank, drop_last, seed, epoch, shuffle):
        batches = super().epoch_batches(num_samples, batch_size, world_size, rank, drop_last, seed, epoch, shuffle)
        return [b for b in batches if len(b) == batch_size]


class RefusesTheMinimumItself(ReferenceAdapter):
    """Refuses a plan that gives exactly the minimum number of batches (``<=`` for ``<``)."""

    name = "broken-refuses-the-minimum-itself"

    def check_plan(self, num_samples, batch_size, world_size, drop_last, min_batches=1):
        return super().check_plan(num_samples, batch_size, world_size, drop_last, max(min_batches, 0) + 1)


# ---------------------------------------------------------------- the loader (chapter 8)

class LoaderDropsShortLastBatch(ReferenceAdapter):
    """Its loader leaves out the short last batch of a rank whatever drop_last says; the plan is right."""

    name = "broken-loader-drops-short-last-batch"

    def make_loader(self, dataset, batch_size, world_size=1, rank=0, drop_last=False, seed=0, shuffle=True, num_workers=0):
        loader = super().make_loader(dataset, batch_size, world_size, rank, drop_last, seed, shuffle, num_workers)
        sampler = loader.sampler
        full = sampler.batches
        sampler.batches = lambda: [b for b in full() if len(b) == batch_size]
        return loader


class LoaderIgnoresSetEpoch(ReferenceAdapter):
    """Its loader's set_epoch reaches the dataset (new points) but not the sampler: every epoch has epoch 0's order,
    the DistributedSampler bug of a loop that never calls ``sampler.set_epoch``."""

    name = "broken-loader-ignores-set-epoch"

    def make_loader(self, dataset, batch_size, world_size=1, rank=0, drop_last=False, seed=0, shuffle=True, num_workers=0):
        loader = super().make_loader(dataset, batch_size, world_size, rank, drop_last, seed, shuffle, num_workers)
        loader.set_epoch = lambda epoch: loader.dataset.set_epoch(epoch)
        return loader


class UnseededPointSampling(ReferenceAdapter):
    """Draws an item's object points from numpy's global generator: other points on every run."""

    name = "broken-unseeded-point-sampling"

    def make_dataset(self, root, layout=None, num_points=1024, point_sampling="random", seed=0):
        ds = super().make_dataset(root, layout, num_points, point_sampling, seed)
        if point_sampling == "random":
            def indices(c, size, epoch, index, k=num_points):
                return np.random.choice(size, k, replace=size < k)
            ds._point_indices = indices
        return ds


class SamplesPointsWithReplacement(ReferenceAdapter):
    """Draws object points with replacement however large the cloud (``rng.integers`` for ``rng.choice``)."""

    name = "broken-samples-points-with-replacement"

    def make_dataset(self, root, layout=None, num_points=1024, point_sampling="random", seed=0):
        ds = super().make_dataset(root, layout, num_points, point_sampling, seed)
        if point_sampling == "random":
            def indices(c, size, epoch, index, k=num_points):
                return np.random.default_rng([seed, epoch, index]).integers(size, size=k)
            ds._point_indices = indices
        return ds


class ResumesAtEpochStart(ReferenceAdapter):
    """Its loader's load_state_dict restores the epoch but not the batches taken: a resume repeats the epoch."""

    name = "broken-resumes-at-epoch-start"

    def make_loader(self, dataset, batch_size, world_size=1, rank=0, drop_last=False, seed=0, shuffle=True, num_workers=0):
        loader = super().make_loader(dataset, batch_size, world_size, rank, drop_last, seed, shuffle, num_workers)
        restore = loader.load_state_dict
        loader.load_state_dict = lambda state: restore({**state, "batches_done": 0})
        return loader


class IgnoresLoaderSeed(ReferenceAdapter):
    """Its loader shuffles with a seed of its own (0) whatever seed it is given."""

    name = "broken-ignores-loader-seed"

    def make_loader(self, dataset, batch_size, world_size=1, rank=0, drop_last=False, seed=0, shuffle=True, num_workers=0):
        return super().make_loader(dataset, batch_size, world_size, rank, drop_last, 0, shuffle, num_workers)


class PoseQposBeforeRotation(ReferenceAdapter):
    """Its items' hand_pose is [translation, qpos, rotation vector]: the order of another project's model."""

    name = "broken-pose-qpos-before-rotation"

    def make_dataset(self, root, layout=None, num_points=1024, point_sampling="random", seed=0):
        ds = super().make_dataset(root, layout, num_points, point_sampling, seed)
        ds.poses = np.ascontiguousarray(np.concatenate([ds.poses[:, 0:3], ds.poses[:, 6:28], ds.poses[:, 3:6]], axis=1))
        return ds


# ---------------------------------------------------------------- data checks (chapter 6)

class NonFiniteSkipsUntrainedFields(ReferenceAdapter):
    """Looks for NaN only in what the model trains on (hand pose, cloud, object position): a NaN object
    rotation or colour passes the checks."""

    name = "broken-non-finite-skips-untrained-fields"

    def check_root(self, root, num_points=1024):
        return [f for f in super().check_root(root, num_points)
                if not (f["code"] == "NON_FINITE" and ("object_orient" in f["message"] or "object_colors" in f["message"]))]


class DuplicatesByQposOnly(ReferenceAdapter):
    """Compares frames by qpos alone: frames of one grasp held still while the hand moves are called duplicates."""

    name = "broken-duplicates-by-qpos-only"

    def check_root(self, root, num_points=1024):
        original = datachecks.summarise

        def by_qpos(d):
            return original(replace(d, hand_transl=np.zeros_like(d.hand_transl), hand_orient=np.zeros_like(d.hand_orient)))

        def summarise(d):  # the other counts from the true columns, the digests from qpos alone
            return {**original(d), "hashes": by_qpos(d)["hashes"]}

        with _patched(datachecks, summarise=summarise):
            return super().check_root(root, num_points)


class DuplicatesWithinFileOnly(ReferenceAdapter):
    """Looks for repeated frames within each file, never across files: a file copied twice goes unseen."""

    name = "broken-duplicates-within-file-only"

    def check_root(self, root, num_points=1024):
        found = super().check_root(root, num_points)
        return [f for f in found if f["code"] != "DUPLICATE_FRAMES" or str(f["path"]) in f["message"].split(" (first: ")[1]]


class ZeroOrientationOnAnyFrame(ReferenceAdapter):
    """Reports ZERO_ORIENTATION as soon as one frame is the identity (a bare rest pose is a fault)."""

    name = "broken-zero-orientation-on-any-frame"

    def check_root(self, root, num_points=1024):
        original = datachecks._Checker.findings

        def findings(checker):
            out = original(checker)
            for (unit, key), zero in checker.zero.items():
                if 0 < zero < checker.frames[unit]:
                    out.append(datachecks.Problem(unit, "ZERO_ORIENTATION", f"{zero} frame(s) have {key} = 0",
                                                  datachecks.ERROR, zero))
            return out

        with _patched(datachecks._Checker, findings=findings):
            return super().check_root(root, num_points)


class ChecksPlaceholders(_Bug):
    """Checks the arrays as stored, without reading missing_fields: the NaN placeholder of a field a
    conversion could not fill (an object pose of converted data written as a RealDex layout) is NON_FINITE."""

    name = "broken-checks-placeholders"

    @contextmanager
    def _bug(self):
        with _patched(layouts, _missing=lambda arrays, path: set()):
            yield

    def read_file(self, path):  # only the checks are broken
        return ReferenceAdapter.read_file(self, path)

    def read_root(self, root, layout=None):
        return ReferenceAdapter.read_root(self, root, layout)

    def inspect_root(self, root):
        return ReferenceAdapter.inspect_root(self, root)

    def make_dataset(self, root, layout=None, num_points=1024, point_sampling="random", seed=0):
        return ReferenceAdapter.make_dataset(self, root, layout, num_points, point_sampling, seed)


class MismatchOnlyOfRealdexFiles(_Bug):
    """Compares the frame counts of a RealDex file's arrays only: a converted file whose obj_pc is a row short is
    just an invalid file, its cause unnamed."""

    name = "broken-mismatch-only-of-realdex-files"

    @contextmanager
    def _bug(self):
        original = datachecks.frame_count_mismatch

        def mismatch(path):
            return None if "hand_poses" in load_npz(Path(path)) else original(path)

        with _patched(datachecks, frame_count_mismatch=mismatch):
            yield


class ZeroCheckSkipsConverted(_Bug):
    """Looks for identity rotations only where there is an object pose (the RealDex layouts): a converted file
    whose every hand rotation fell back to zeros passes."""

    name = "broken-zero-check-skips-converted"

    @contextmanager
    def _bug(self):
        original = datachecks.summarise

        def summarise(d):
            out = original(d)
            return {**out, "zero": {}} if d.layout == "converted" else out

        with _patched(datachecks, summarise=summarise):
            yield


class CloudTooSmallAtEqual(ReferenceAdapter):
    """Calls a cloud of exactly num_points too small (``<=`` for ``<``)."""

    name = "broken-cloud-too-small-at-equal"

    def check_root(self, root, num_points=1024):
        found = super().check_root(root, num_points + 1)
        for f in found:
            if f["code"] == "CLOUD_TOO_SMALL":
                f["message"] = f["message"].replace(f"the {num_points + 1}", f"the {num_points}")
        return found


class JointLimitsWithoutSlack(_Bug):
    """Counts a joint exactly at its limit as out of it (``>=`` for ``>``, no slack for the limits' rounding)."""

    name = "broken-joint-limits-without-slack"

    @contextmanager
    def _bug(self):
        with _patched(datachecks, LIMIT_SLACK=-1e-12):
            yield


class DuplicatesByFileHash(ReferenceAdapter):
    """Finds duplicates by hashing whole files: a copied file is found, a frame repeated within a file or
    copied into another file is not."""

    name = "broken-duplicates-by-file-hash"

    def check_root(self, root, num_points=1024):
        import hashlib

        found = [f for f in super().check_root(root, num_points) if f["code"] != "DUPLICATE_FRAMES"]
        seen: dict[str, Path] = {}
        for path in sorted(Path(root).rglob("*.npz")):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest in seen:
                frames = layouts.load_file(path).num_frames
                found.append({"path": str(path), "code": "DUPLICATE_FRAMES", "severity": "warning", "count": frames,
                              "message": f"{frames} frame(s) repeat {seen[digest]}: the file is a copy"})
            else:
                seen[digest] = path
        return found


# ---------------------------------------------------------------- training and learning (chapters 11, 14)

class CheckpointIterationOffByOne(ReferenceAdapter):
    """Stores in each checkpoint the index of the last iteration made (0-based), not the iterations completed."""

    name = "broken-checkpoint-iteration-off-by-one"

    def _train(self, call):
        original = checkpoint.save

        def save(state, folder):
            if isinstance(state.get("iteration"), int) and state["iteration"] > 0:
                state = {**state, "iteration": state["iteration"] - 1}
            return original(state, folder)

        with _patched(checkpoint, save=save):
            return call()

    def train(self, root, out, config):
        return self._train(lambda: super(CheckpointIterationOffByOne, self).train(root, out, config))

    def resume(self, out):
        return self._train(lambda: super(CheckpointIterationOffByOne, self).resume(out))


class LearningIgnoresLastEvents(ReferenceAdapter):
    """Judges the loss without the last 5 metrics events ("the run may have been stopped mid-interval")."""

    name = "broken-learning-ignores-last-events"
    LAST = 5

    def check_run(self, path):
        path = Path(path)
        if not path.is_file():
            return super().check_run(path)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        metrics = [i for i, line in enumerate(lines) if '"metrics"' in line and _event(line) == "metrics"]
        skip = set(metrics[-self.LAST:])
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / path.name
            copy.write_text("".join(line if i not in skip else "\n" for i, line in enumerate(lines)), encoding="utf-8")
            found = super().check_run(copy)
        for f in found:
            if isinstance(f.get("path"), str):
                f["path"] = f["path"].replace(str(copy), str(path))
        return found


def _event(line: str):
    try:
        return json.loads(line).get("event")
    except (ValueError, AttributeError):
        return None


DROPS_LAST_FRAME = DropsLastFrame()
SWAPS_FFJ4_FFJ3 = SwapsFfj4Ffj3()
MJCF_JOINT_ORDER = MjcfJointOrder()
MJCF_FLIPPED_AXES = MjcfFlippedAxes()
OBJECT_TRANSL_FROM_HAND = ObjectTranslFromHand()
READS_AXIS_ANGLE_AS_EULER = ReadsAxisAngleAsEuler()
FOLDS_WITHOUT_FLIPPING_THE_AXIS = FoldsWithoutFlippingTheAxis()
CONVERTED_CLOUD_OFF_BY_ONE = ConvertedCloudOffByOne()
DROPS_COLOURS = DropsColours()
COLOURS_IN_0_TO_255 = ColoursIn0To255()
DOWNCASTS_TO_FLOAT32 = DowncastsToFloat32()
SPLITS_HAND_POSES_QPOS_FIRST = SplitsHandPosesQposFirst()
WRITES_TRANSPOSED_MATRIX = WritesTransposedMatrix()
SAME_ORDER_EVERY_EPOCH = SameOrderEveryEpoch()
CONTIGUOUS_RANK_SPLIT = ContiguousRankSplit()
DROPS_SHORT_LAST_BATCH = DropsShortLastBatch()
LOADER_DROPS_SHORT_LAST_BATCH = LoaderDropsShortLastBatch()
REFUSES_THE_MINIMUM_ITSELF = RefusesTheMinimumItself()
LOADER_IGNORES_SET_EPOCH = LoaderIgnoresSetEpoch()
UNSEEDED_POINT_SAMPLING = UnseededPointSampling()
SAMPLES_POINTS_WITH_REPLACEMENT = SamplesPointsWithReplacement()
RESUMES_AT_EPOCH_START = ResumesAtEpochStart()
IGNORES_LOADER_SEED = IgnoresLoaderSeed()
POSE_QPOS_BEFORE_ROTATION = PoseQposBeforeRotation()
NON_FINITE_SKIPS_UNTRAINED_FIELDS = NonFiniteSkipsUntrainedFields()
DUPLICATES_BY_QPOS_ONLY = DuplicatesByQposOnly()
DUPLICATES_WITHIN_FILE_ONLY = DuplicatesWithinFileOnly()
ZERO_ORIENTATION_ON_ANY_FRAME = ZeroOrientationOnAnyFrame()
CONTACTS_OF_THE_FIRST_SAMPLE = ContactsOfTheFirstSample()
SCALE_OF_THE_FIRST_SAMPLE = ScaleOfTheFirstSample()
SEGMENT_WRITER_ONE_OBJECT_POSE = SegmentWriterOneObjectPose()
CHECKS_PLACEHOLDERS = ChecksPlaceholders()
MISMATCH_ONLY_OF_REALDEX_FILES = MismatchOnlyOfRealdexFiles()
ZERO_CHECK_SKIPS_CONVERTED = ZeroCheckSkipsConverted()
CLOUD_TOO_SMALL_AT_EQUAL = CloudTooSmallAtEqual()
JOINT_LIMITS_WITHOUT_SLACK = JointLimitsWithoutSlack()
DUPLICATES_BY_FILE_HASH = DuplicatesByFileHash()
CHECKPOINT_ITERATION_OFF_BY_ONE = CheckpointIterationOffByOne()
LEARNING_IGNORES_LAST_EVENTS = LearningIgnoresLastEvents()
