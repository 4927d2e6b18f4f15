"""The kit's generator: deterministic, realistic, and the user's root of 8 + 14,380 samples."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

import realdex_spec
from realdex_conformance import rawfiles, synth
from realdex_ref.cli import main as realdex_main

STATS = realdex_spec.pose_stats()
MEAN, STD = np.array(STATS["mean"]), np.array(STATS["std"])
LOWER = np.array([j["lower"] for j in realdex_spec.schema()["joints"]])
UPPER = np.array([j["upper"] for j in realdex_spec.schema()["joints"]])
CROP_LOW, CROP_HIGH = np.array([0.8, -0.6, 0.75]), np.array([1.9, 0.5, 1.2])  # realdex-facts.md


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.npz"))


@pytest.mark.parametrize("layout", rawfiles.LAYOUTS)
def test_same_seed_writes_the_same_bytes(tmp_path, layout):
    a = synth.write_root(tmp_path / "a", layout, points=40, frames_per_segment=(3, 8), seed=5)
    b = synth.write_root(tmp_path / "b", layout, points=40, frames_per_segment=(3, 8), seed=5)
    names_a = [p.relative_to(tmp_path / "a") for p in all_files(tmp_path / "a")]
    names_b = [p.relative_to(tmp_path / "b") for p in all_files(tmp_path / "b")]
    assert names_a == names_b, f"same seed: expected the same file names, found {names_a} and {names_b}"
    for name in names_a:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), f"{name}: expected identical bytes for seed 5"
    b_as_a = {**b, "files": [{**f, "path": f["path"].replace(str(tmp_path / "b"), str(tmp_path / "a"))} for f in b["files"]]}
    assert a == b_as_a, f"same seed: expected the same report of what was written, found {a} and {b_as_a}"


def test_another_seed_writes_other_data(tmp_path):
    synth.write_root(tmp_path / "a", "realdex-segment", points=40, seed=1, segments_per_object=1, objects=("driller",))
    synth.write_root(tmp_path / "b", "realdex-segment", points=40, seed=2, segments_per_object=1, objects=("driller",))
    qa = rawfiles.load(tmp_path / "a" / "driller" / "0.npz")["qpos"]
    qb = rawfiles.load(tmp_path / "b" / "driller" / "0.npz")["qpos"]
    assert qa.shape != qb.shape or not np.array_equal(qa, qb), "seeds 1 and 2: expected different poses, found the same"


def test_adding_an_object_leaves_the_others_unchanged(tmp_path):
    synth.write_root(tmp_path / "a", "realdex-segment", points=40, objects=("driller",))
    synth.write_root(tmp_path / "b", "realdex-segment", points=40, objects=("sprayer", "driller"))
    for name in ("0.npz", "1.npz"):
        assert (tmp_path / "a" / "driller" / name).read_bytes() == (tmp_path / "b" / "driller" / name).read_bytes(), (
            f"driller/{name}: expected the same bytes whether or not another object is written"
        )


def clipped_normal_moments(mean: float, std: float, low: float, high: float) -> tuple[float, float]:
    """Mean and standard deviation of clip(N(mean, std), low, high), by integration (independent of the generator)."""
    below, above = norm.cdf(low, mean, std), norm.sf(high, mean, std)
    inside = lambda k: integrate.quad(lambda x: x**k * norm.pdf(x, mean, std), low, high)[0]  # noqa: E731
    m1 = low * below + high * above + inside(1)
    m2 = low**2 * below + high**2 * above + inside(2)
    return m1, float(np.sqrt(max(m2 - m1 * m1, 0.0)))


def test_poses_follow_the_published_statistics():
    poses = synth.sample_poses(np.random.default_rng(0), 40000)
    flat = np.concatenate([poses["hand_transl"], poses["hand_orient"], poses["qpos"]], axis=1)
    mean, std = flat.mean(axis=0), flat.std(axis=0)
    names = STATS["order"]
    # hand position: the published normal as it is
    for d in range(3):
        assert abs(mean[d] - MEAN[d]) <= 0.05 * STD[d], f"{names[d]}: expected mean {MEAN[d]}, found {mean[d]:.4f}"
        assert abs(std[d] / STD[d] - 1) <= 0.05, f"{names[d]}: expected std {STD[d]}, found {std[d]:.4f}"
    # hand rotation: about 6 % of the published normal lies beyond a half turn and is drawn again,
    # which pulls the mean in by up to 0.15 std and narrows the spread by up to 10 %
    for d in range(3, 6):
        assert abs(mean[d] - MEAN[d]) <= 0.2 * STD[d], f"{names[d]}: expected mean near {MEAN[d]}, found {mean[d]:.4f}"
        assert 0.85 <= std[d] / STD[d] <= 1.05, f"{names[d]}: expected std near {STD[d]}, found {std[d]:.4f}"
    assert (np.linalg.norm(poses["hand_orient"], axis=1) <= np.pi).all(), "hand_orient: expected every angle in [0, pi]"
    # joints: the published normal clipped to the URDF limits
    for j in range(22):
        d = 6 + j
        m, s = clipped_normal_moments(MEAN[d], STD[d], LOWER[j], UPPER[j])
        assert abs(mean[d] - m) <= 0.03 * STD[d], f"{names[d]}: expected mean {m:.4f} (clipped normal), found {mean[d]:.4f}"
        assert abs(std[d] - s) <= 0.03 * STD[d], f"{names[d]}: expected std {s:.4f} (clipped normal), found {std[d]:.4f}"


def test_joints_stay_within_limits_unless_strays_are_asked_for():
    q = synth.sample_poses(np.random.default_rng(1), 5000)["qpos"]
    outside = (q < LOWER) | (q > UPPER)
    assert not outside.any(), f"strays=0: expected every joint within its limits, found {int(outside.any(axis=1).sum())} poses outside"
    q = synth.sample_poses(np.random.default_rng(1), 5000, strays=0.05)["qpos"]
    stray_rows = ((q < LOWER) | (q > UPPER)).any(axis=1).mean()
    # nearly every raw pose strays somewhere (LFJ3 alone does half the time); sampling noise is about 0.3 %
    assert 0.03 <= stray_rows <= 0.065, f"strays=0.05: expected about 5 % of poses outside the limits, found {stray_rows:.3%}"


def test_segments_are_realistic(tmp_path):
    info = synth.write_root(tmp_path, "realdex-segment")
    assert info["num_files"] == 4, f"2 objects x 2 segments: expected 4 files, found {info['num_files']}"
    for entry in info["files"]:
        arrays = rawfiles.load(entry["path"])
        t = arrays["qpos"].shape[0]
        where = entry["path"]
        assert 20 <= t <= 60, f"{where}: expected 20 to 60 frames, found {t}"
        assert arrays["object_points"].shape == (7000, 3), f"{where}: expected a (7000, 3) cloud, found {arrays['object_points'].shape}"
        pts = arrays["object_points"]
        assert (pts >= CROP_LOW).all() and (pts <= CROP_HIGH).all(), (
            f"{where}: expected the cloud inside the crop box {CROP_LOW}-{CROP_HIGH}, found {pts.min(axis=0)}-{pts.max(axis=0)}"
        )
        extent = pts.max(axis=0) - pts.min(axis=0)
        assert (extent > 0.03).all() and (extent < 0.3).all(), f"{where}: expected an object 3-30 cm across, found extent {extent} m"
        colors = arrays["object_colors"]
        assert colors.shape == (7000, 3) and colors.min() >= 0 and colors.max() <= 1, f"{where}: expected colours in [0, 1]"
        q = arrays["qpos"]
        assert ((q >= LOWER) & (q <= UPPER)).all(), f"{where}: expected joints within limits"
        for key in ("qpos", "hand_transl", "hand_orient", "object_transl", "object_orient", "object_points"):
            assert arrays[key].dtype == np.float64, f"{where} [{key}]: expected float64 like RealDex, found {arrays[key].dtype}"
        gap = np.linalg.norm(arrays["object_transl"][0] - arrays["hand_transl"][0])
        assert gap < 0.3, f"{where}: expected the object within 30 cm of the hand at the first frame, found {gap:.3f} m"


def test_user_root_holds_8_converted_and_the_per_frame_samples(tmp_path):
    info = synth.write_user_root(tmp_path, frames=70)
    assert info["samples"] == 78, f"expected 8 + 70 samples, found {info['samples']}"
    converted = sorted(tmp_path.glob("*/converted_data.npz"))
    assert [p.parent.name for p in converted] == sorted(synth.USER_CONVERTED_NAMES), f"found converted files {converted}"
    counts = [len(rawfiles.read_raw(p)) for p in converted]
    assert counts == [2, 2, 2, 2], f"expected 2 samples in each converted file, found {counts}"
    frames = sorted(p for p in tmp_path.glob("*/*.npz") if p.name != "converted_data.npz")
    assert len(frames) == 70, f"expected 70 per-frame files, found {len(frames)}"
    assert len({p.parent.name for p in frames}) == 7, "expected 7 recordings"
    cube = synth.placeholder_cube()
    for path in frames[:10]:
        arrays = rawfiles.load(path)
        assert arrays["object_orient"].shape == (1, 3, 3), f"{path}: expected a (1, 3, 3) matrix, found {arrays['object_orient'].shape}"
        assert arrays["qpos"].shape == (1, 22), f"{path}: expected qpos (1, 22), found {arrays['qpos'].shape}"
        assert np.array_equal(arrays["object_points"], cube), f"{path}: expected the 8-point placeholder cube"
    assert np.abs(cube).max() == 0.05 and cube.shape == (8, 3), "the placeholder is a cube of half-size 0.05 m"


def test_synth_command_writes_and_reports(tmp_path, capsys):
    rc = realdex_main(["synth", str(tmp_path / "root"), "--layout", "realdex-frame", "--objects", "mug",
                       "--segments", "1", "--frames", "3", "3", "--points", "10", "--frame-orient", "axis-angle"])
    out = capsys.readouterr().out
    assert rc == 0, f"realdex synth: expected exit status 0, found {rc}; output {out!r}"
    assert "3 files, 3 frames" in out, f"expected the command to say what it wrote, found {out!r}"
    files = all_files(tmp_path / "root")
    assert len(files) == 3 and rawfiles.load(files[0])["object_orient"].shape == (1, 3), f"found {files}"


def test_converted_files_hold_a_cloud_per_sample(tmp_path):
    """Real converted files hold a cloud per sample (obj_pc (N, P, 3)); the kit's must too, or a loader that pairs every
    sample with the file's first cloud passes."""
    info = synth.write_root(tmp_path, "converted", frames_per_segment=(3, 6), points=64)
    for entry in info["files"]:
        clouds = rawfiles.load(entry["path"])["obj_pc"]
        n = clouds.shape[0]
        same = [i for i in range(1, n) if np.array_equal(clouds[i], clouds[0])]
        assert clouds.shape == (n, 64, 3) and not same, (
            f"{entry['path']}: expected {n} different (64, 3) clouds, found obj_pc {clouds.shape} with samples {same} "
            "holding the first sample's cloud")
        assert (clouds >= CROP_LOW).all() and (clouds <= CROP_HIGH).all(), f"{entry['path']}: clouds outside the crop box"


def test_segment_files_are_unchanged_by_the_converted_clouds(tmp_path):
    """A cloud per frame is drawn after every other value: the other layouts' files, and the first sample of a
    converted file, are those of a shared-cloud segment."""
    rng_a, rng_b = np.random.default_rng(4), np.random.default_rng(4)
    shared = synth.make_segment("mug", 5, 16, rng_a)
    own = synth.make_segment("mug", 5, 16, rng_b, cloud_per_frame=True)
    for key in ("qpos", "hand_transl", "object_transl", "object_orient"):
        assert all(np.array_equal(a[key], b[key]) for a, b in zip(shared, own)), f"{key}: expected the same values either way"
    assert np.array_equal(shared[0]["object_points"], own[0]["object_points"]), "the first frame's cloud must be the shared cloud"


def test_long_recordings_hold_folders_of_hundreds_of_small_files(tmp_path):
    info = synth.write_long_recordings(tmp_path)
    counts = {p.name: len(list(p.iterdir())) for p in tmp_path.iterdir()}
    assert counts == {"driller_0": 300, "mug_0": 12, "mug_1": 47}, f"expected recordings of 300, 12 and 47 frames, found {counts}"
    assert info["num_frames"] == 359 and [Path(f["path"]).name for f in info["files"][:3]] == ["0.npz", "1.npz", "2.npz"], info["files"][:3]
    biggest = max(p.stat().st_size for p in tmp_path.rglob("*.npz"))
    assert biggest < 4096, f"expected small per-frame files (a root of hundreds costs little), found one of {biggest} bytes"
    assert rawfiles.load(tmp_path / "driller_0" / "299.npz")["object_orient"].shape == (1, 3, 3), "matrices, as the user's files hold"
