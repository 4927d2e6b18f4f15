"""The reference grasp model: shapes, normalisation with the real pose statistics, loss, learning."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from realdex_ref.model import POSE_DIM, GraspCVAE, pose_stats

SHARED_STATS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "realdex_pose_stats.json"


def test_pose_stats_are_the_published_ones():
    mean, std = pose_stats()
    assert len(mean) == len(std) == POSE_DIM, f"expected 28 means and stds, found {len(mean)} and {len(std)}"
    # the mean hand position of RealDex is about (0.96, 0.02, 1.02) m (realdex-facts.md)
    assert mean[:3] == pytest.approx((0.96, 0.02, 1.02), abs=0.01), f"expected the published mean position, found {mean[:3]}"
    if SHARED_STATS.exists():  # the published statistics, where this checkout sits beside them
        ref = json.loads(SHARED_STATS.read_text())
        assert list(mean) == ref["mean"] and list(std) == ref["std"], f"expected the statistics of {SHARED_STATS}"


def test_normalise_round_trip_and_units():
    model = GraspCVAE(width=8, latent=4)
    mean, std = pose_stats()
    pose = torch.tensor([mean], dtype=torch.float32) + torch.tensor([std], dtype=torch.float32)
    n = model.normalise(pose)
    assert torch.allclose(n, torch.ones_like(n), atol=1e-5), f"expected mean + 1 std to normalise to 1, found {n}"
    assert torch.allclose(model.denormalise(n), pose, atol=1e-6), "expected denormalise to invert normalise"


def test_forward_shapes_and_finite_loss():
    torch.manual_seed(0)
    model = GraspCVAE(width=8, latent=4)
    pts, pose = torch.randn(5, 32, 3), torch.randn(5, POSE_DIM)
    out = model(pts, pose, torch.randn(5, 4))
    assert out["recon"].shape == (5, POSE_DIM), f"expected (5, 28) reconstructions, found {tuple(out['recon'].shape)}"
    for key in ("loss", "reconstruction", "kl"):
        assert out[key].ndim == 0 and torch.isfinite(out[key]), f"expected a finite scalar {key}, found {out[key]}"
    assert model.sample(pts, torch.randn(5, 4)).shape == (5, POSE_DIM), "expected sampled poses of shape (5, 28)"


def test_point_encoder_ignores_point_order():
    torch.manual_seed(0)
    model = GraspCVAE(width=8, latent=4)
    pts = torch.randn(2, 50, 3)
    shuffled = pts[:, torch.randperm(50)]
    a, b = model.points(pts), model.points(shuffled)
    assert torch.allclose(a, b, atol=1e-6), f"expected the cloud feature not to depend on point order (max diff {(a - b).abs().max()})"


def test_model_learns_a_fixed_batch():
    torch.manual_seed(0)
    model = GraspCVAE(width=16, latent=4)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    mean, std = pose_stats()
    pose = torch.tensor(mean) + torch.tensor(std) * torch.randn(8, POSE_DIM)
    pts = torch.randn(8, 32, 3)
    first = last = None
    for _ in range(60):
        opt.zero_grad()
        loss = model(pts, pose, torch.zeros(8, 4))["loss"]
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
        last = loss.item()
    assert last < 0.5 * first, f"expected the loss to halve in 60 steps on one batch, it went {first:.3f} -> {last:.3f}"
