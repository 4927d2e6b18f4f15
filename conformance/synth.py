"""Deterministic RealDex-like data in every layout, for tests, demos and the ``realdex synth`` command.

No real RealDex file exists here, so the kit makes its own, as close to the real thing as the
published facts allow: hand poses drawn from the published per-dimension mean and standard
deviation (``realdex_spec.pose_stats()``), joints kept within their URDF limits unless strays are
asked for, one 7000-point cloud per segment inside RealDex's crop box, colours in [0, 1], and
segments of tens to hundreds of frames. Files are written by the kit's own layout writer
(``realdex_conformance.rawfiles``), never by the implementation under test.

Everything is a function of the seed: the same call gives the same arrays and the same bytes.
Each segment draws from its own stream, seeded by (seed, object name, counter), so adding an
object or a segment never changes the others.
"""
from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any, Callable

import numpy as np
from scipy.spatial.transform import Rotation

import realdex_spec
from realdex_conformance import rawfiles
from realdex_conformance.rawfiles import write_raw  # noqa: F401  (part of this module's API)

_STATS = realdex_spec.pose_stats()
POSE_MEAN = np.array(_STATS["mean"], dtype=np.float64)  # [hand_transl 3, hand_orient 3, qpos 22]
POSE_STD = np.array(_STATS["std"], dtype=np.float64)
JOINT_LOWER = np.array([j["lower"] for j in realdex_spec.schema()["joints"]])
JOINT_UPPER = np.array([j["upper"] for j in realdex_spec.schema()["joints"]])
CROP_LOW = np.array([0.8, -0.6, 0.75])  # RealDex's crop box around the object, metres, world frame
CROP_HIGH = np.array([1.9, 0.5, 1.2])
PLACEHOLDER_HALF_SIZE = 0.05  # the 8-point cube the user's per-frame files hold instead of a cloud
# the user's converted set: 4 names, 2 samples each (realdex-facts.md)
USER_CONVERTED_NAMES = ("driller_0", "driller_8", "driller_-1", "sprayer_homedepot_041_1000_1000")
USER_RECORDINGS = ("driller_1", "driller_2", "driller_3", "driller_4", "sprayer_1", "sprayer_2", "sprayer_3")
FRAME_CORRELATION = 0.95  # consecutive frames of a recording move smoothly
_OBJECT_OFFSET = np.array([0.05, 0.0, -0.07])  # object centre relative to the hand (forearm link)


def _stream(seed: int, *parts: int | str) -> np.random.Generator:
    words = [seed] + [zlib.crc32(p.encode()) if isinstance(p, str) else p for p in parts]
    return np.random.default_rng(np.random.SeedSequence(words))


def _pose_sequence(rng: np.random.Generator, n: int, rho: float, strays: float) -> dict[str, np.ndarray]:
    """n poses with the published marginals, consecutive ones correlated by ``rho``.

    Each pose dimension is mean + std * x with x a unit AR(1) process. A step whose hand
    rotation would exceed π is drawn again (the real rotation vectors are canonical), and
    joints are clipped to their limits except in a fraction ``strays`` of the frames.
    """
    x = np.empty((n, 28))
    z = rng.standard_normal((n, 28))
    scale = np.sqrt(1.0 - rho * rho)
    prev = None
    for t in range(n):
        step = z[t]
        for _ in range(64):
            cand = step if prev is None else rho * prev + scale * step
            if np.linalg.norm(POSE_MEAN[3:6] + POSE_STD[3:6] * cand[3:6]) <= np.pi:
                break
            step = rng.standard_normal(28)
        x[t] = prev = cand
    poses = POSE_MEAN + POSE_STD * x
    keep_raw = rng.random(n) < strays
    qpos = np.where(keep_raw[:, None], poses[:, 6:], np.clip(poses[:, 6:], JOINT_LOWER, JOINT_UPPER))
    return {"hand_transl": poses[:, 0:3], "hand_orient": poses[:, 3:6], "qpos": qpos}


def sample_poses(rng: np.random.Generator, n: int, *, strays: float = 0.0) -> dict[str, np.ndarray]:
    """n independent hand poses: ``hand_transl`` (n, 3), ``hand_orient`` (n, 3), ``qpos`` (n, 22).

    Drawn from the published RealDex statistics; joints within limits except in a fraction
    ``strays`` of the poses, left as drawn (real recordings stray, LFJ3 above all).
    """
    return _pose_sequence(rng, n, 0.0, strays)


def _object_shape(name: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Semi-axes (m), base colour and mesh scale of an object, fixed by its name."""
    rng = _stream(0, "shape", name)
    return rng.uniform(0.03, 0.10, 3), rng.uniform(0.15, 0.85, 3), float(rng.uniform(0.8, 1.2))


def _cloud(rng: np.random.Generator, semi_axes: np.ndarray, centre: np.ndarray, turn: Rotation, points: int) -> np.ndarray:
    """``points`` noisy samples of an ellipsoid's surface, posed in the world and kept in the crop box."""
    u = rng.standard_normal((points, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    model = u * semi_axes + rng.normal(0.0, 0.001, (points, 3))
    return np.clip(turn.apply(model) + centre, CROP_LOW, CROP_HIGH)


def make_segment(
    name: str, frames: int, points: int, rng: np.random.Generator, *, contacts: bool = False, strays: float = 0.0,
    cloud_per_frame: bool = False,
) -> list[dict[str, Any]]:
    """One grasp segment as ``frames`` samples sharing one cloud (the object at the first frame).

    Samples hold every field: the object pose (a slow drift from the first frame), colours,
    ``object_scale`` and ``hand_side``; ``contact_labels`` (points near the hand's closest
    point) only when ``contacts`` is true, as they cost frames × points distances. With
    ``cloud_per_frame`` every frame after the first gets a cloud of its own, drawn anew at the
    object's pose in that frame (what the samples of a converted file hold: obj_pc is (N, P, 3));
    the other values are those of the shared-cloud segment, as they are drawn first.
    """
    poses = _pose_sequence(rng, frames, FRAME_CORRELATION, strays)
    semi_axes, colour, scale = _object_shape(name)
    margin = semi_axes.max() + 0.01
    centre = np.clip(poses["hand_transl"][0] + _OBJECT_OFFSET, CROP_LOW + margin, CROP_HIGH - margin)
    turn0 = Rotation.random(random_state=rng)
    drift = np.cumsum(np.vstack([np.zeros(3), rng.normal(0.0, 0.0005, (frames - 1, 3))]), axis=0)
    twist = np.cumsum(np.vstack([np.zeros(3), rng.normal(0.0, 0.002, (frames - 1, 3))]), axis=0)
    object_transl = centre + drift
    object_orient = (Rotation.from_rotvec(twist) * turn0).as_rotvec()
    cloud = _cloud(rng, semi_axes, centre, turn0, points)
    colors = np.clip(colour + rng.normal(0.0, 0.04, (points, 3)), 0.0, 1.0)
    clouds = [cloud] + [_cloud(rng, semi_axes, object_transl[t], Rotation.from_rotvec(object_orient[t]), points)
                        for t in range(1, frames if cloud_per_frame else 1)]
    samples = []
    for t in range(frames):
        cloud = clouds[t] if cloud_per_frame else clouds[0]
        labels = None
        if contacts:
            d_hand = np.linalg.norm(cloud - poses["hand_transl"][t], axis=1)
            touch = cloud[int(np.argmin(d_hand))]
            labels = (np.linalg.norm(cloud - touch, axis=1) < 0.02).astype(np.float64)
        samples.append(
            {
                "hand_transl": poses["hand_transl"][t],
                "hand_orient": poses["hand_orient"][t],
                "qpos": poses["qpos"][t],
                "object_points": cloud,
                "object_transl": object_transl[t],
                "object_orient": object_orient[t],
                "object_colors": colors,
                "contact_labels": labels,
                "object_scale": scale,
                "hand_side": "right",
                "object": name,
            }
        )
    return samples


def root_segments(
    objects: tuple[str, ...] = ("driller", "sprayer"),
    segments_per_object: int = 2,
    frames_per_segment: tuple[int, int] = (20, 60),
    points: int = 7000,
    seed: int = 0,
    name_offset: int = 0,
    contacts: bool = False,
    cloud_per_frame: bool = False,
):
    """Yield (object, counter, samples) for each segment ``write_root`` writes, in order."""
    low, high = frames_per_segment
    for name in objects:
        for k in range(segments_per_object):
            counter = name_offset + k
            rng = _stream(seed, name, counter)
            frames = int(rng.integers(low, high + 1))
            yield name, counter, make_segment(name, frames, points, rng, contacts=contacts, cloud_per_frame=cloud_per_frame)


def write_root(
    dest: str | Path,
    layout: str,
    *,
    objects: tuple[str, ...] = ("driller", "sprayer"),
    segments_per_object: int = 2,
    frames_per_segment: tuple[int, int] = (20, 60),
    points: int = 7000,
    seed: int = 0,
    frame_orient: str = "matrix",
    name_offset: int = 0,
    progress: Callable[[int, int | None], None] | None = None,
) -> dict[str, Any]:
    """Write a data root of one layout; return what was written. ``progress(files_written, None)``
    is called after each file (the total is not known before the segments are drawn).

    ::

        dest/driller/0.npz, 1.npz ...                 realdex-segment: one file per segment
        dest/driller_0/0.npz ... <T-1>.npz            realdex-frame: one folder per segment
        dest/driller_0/converted_data.npz             converted: one file per segment, a cloud per sample

    The counters start at ``name_offset``. ``frame_orient`` is the encoding of
    ``object_orient`` in per-frame files: ``"matrix"`` (1, 3, 3) or ``"axis-angle"`` (1, 3).
    Returns ``{"layout", "files": [{"path", "object", "frames"}], "num_files", "num_frames"}``
    where ``frames`` counts the samples each file's segment contributes.
    """
    if layout not in rawfiles.LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {', '.join(rawfiles.LAYOUTS)}")
    dest = Path(dest)
    written: list[dict[str, Any]] = []
    converted = layout == "converted"  # contacts, and a cloud per sample, as real converted files hold them
    segments = root_segments(objects, segments_per_object, frames_per_segment, points, seed, name_offset, converted, converted)
    for name, counter, samples in segments:
        per_file = rawfiles.to_arrays(samples, layout, orient_encoding=frame_orient)
        if layout == "realdex-segment":
            paths = [dest / name / f"{counter}.npz"]
        elif layout == "realdex-frame":
            paths = [dest / f"{name}_{counter}" / f"{i}.npz" for i in range(len(samples))]
        else:
            paths = [dest / f"{name}_{counter}" / "converted_data.npz"]
        compressed = layout != "realdex-frame"
        for path, arrays in zip(paths, per_file):
            rawfiles.save(path, arrays, compressed=compressed)
            written.append({"path": str(path), "object": name, "frames": len(samples) // len(paths)})
            if progress is not None:
                progress(len(written), None)
    return {
        "layout": layout,
        "files": written,
        "num_files": len(written),
        "num_frames": sum(f["frames"] for f in written),
    }


def placeholder_cube() -> np.ndarray:
    """The 8 corners of a cube of half-size 0.05 m at the origin: what the user's per-frame files hold."""
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=np.float64)
    return corners * PLACEHOLDER_HALF_SIZE


def write_user_root(dest: str | Path, *, frames: int = 14380, converted: int = 8, seed: int = 0, converted_points: int = 2048,
                    progress: Callable[[int, int | None], None] | None = None) -> dict[str, Any]:
    """The root of the user whose training "finished" in seconds (realdex-facts.md, failure 1).

    ::

        dest/driller_0/converted_data.npz          converted: 2 samples each under 4 names, 8 in all
        dest/driller_8/converted_data.npz
        dest/driller_-1/converted_data.npz
        dest/sprayer_homedepot_041_1000_1000/converted_data.npz
        dest/driller_1/0.npz ... dest/sprayer_3/<i>.npz
                                                   realdex-frame: 7 recordings, ``frames`` files in all,
                                                   object_orient as (1, 3, 3) matrices, and an
                                                   8-point placeholder cube instead of the object cloud

    Returns ``{"converted": {"files", "samples"}, "realdex-frame": {"files", "samples", "recordings"}, "samples"}``
    with ``files`` the number of files. ``progress(files_written, files_total)`` is called after each file.
    """
    dest = Path(dest)
    names = USER_CONVERTED_NAMES
    per_name = [converted // len(names) + (1 if i < converted % len(names) else 0) for i in range(len(names))]
    conv_files = 0
    for i, (name, n) in enumerate(zip(names, per_name)):
        if n == 0:
            continue
        rng = _stream(seed, "user-converted", name)
        samples = [make_segment(name.split("_")[0], 1, converted_points, rng, contacts=True)[0] for _ in range(n)]
        rawfiles.save(dest / name / "converted_data.npz", rawfiles.to_arrays(samples, "converted")[0])
        conv_files += 1
        if progress is not None:
            progress(conv_files, sum(1 for n in per_name if n) + frames)
    recs = USER_RECORDINGS
    per_rec = [frames // len(recs) + (1 if i < frames % len(recs) else 0) for i in range(len(recs))]
    cube = placeholder_cube()
    for rec, n in zip(recs, per_rec):
        if n == 0:
            continue
        rng = _stream(seed, "user-frames", rec)
        samples = make_segment(rec.split("_")[0], n, 8, rng)
        for t, sample in enumerate(samples):
            sample = {**sample, "object_points": cube, "object_colors": None}
            arrays = rawfiles.to_arrays([sample], "realdex-frame", orient_encoding="matrix")[0]
            rawfiles.save(dest / rec / f"{t}.npz", arrays, compressed=False)
            if progress is not None:
                done = conv_files + sum(per_rec[:recs.index(rec)]) + t + 1
                progress(done, conv_files + frames)
    return {
        "converted": {"files": conv_files, "samples": converted},
        "realdex-frame": {"files": frames, "samples": frames, "recordings": dict(zip(recs, per_rec))},
        "samples": converted + frames,
    }


LONG_RECORDINGS = (("driller", 300), ("mug", 12), ("mug", 47))  # (object, frames) of each recording


def write_long_recordings(dest: str | Path, *, recordings: tuple[tuple[str, int], ...] = LONG_RECORDINGS,
                          points: int = 16, seed: int = 0) -> dict[str, Any]:
    """Per-frame recordings of many frames: folders of hundreds of files, where code-point and numeric
    order of the frame files part (``10.npz``, ``100.npz`` against ``2.npz``).

    ::

        dest/driller_0/0.npz … 299.npz     realdex-frame: a recording of 300 frames
        dest/mug_0/0.npz … 11.npz          12 frames
        dest/mug_1/0.npz … 46.npz          47 frames (several recordings of one object, of different lengths)

    Files are small (``points`` points, uncompressed), so that the root costs little to write and to
    read. Returns what ``write_root`` returns, the files in the order they were written (frame order),
    and ``samples``: the sample each file was written from, file by file.
    """
    dest = Path(dest)
    written: list[dict[str, Any]] = []
    given: list[dict[str, Any]] = []
    counters: dict[str, int] = {}
    for name, frames in recordings:
        counter = counters[name] = counters.get(name, -1) + 1
        samples = make_segment(name, frames, points, _stream(seed, "long", name, counter))
        for i, arrays in enumerate(rawfiles.to_arrays(samples, "realdex-frame", orient_encoding="matrix")):
            path = rawfiles.save(dest / f"{name}_{counter}" / f"{i}.npz", arrays, compressed=False)
            written.append({"path": str(path), "object": name, "frames": 1})
        given += samples
    return {"layout": "realdex-frame", "files": written, "num_files": len(written), "num_frames": len(written),
            "samples": given}
