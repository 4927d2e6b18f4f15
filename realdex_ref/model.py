"""The reference grasp generator: RealDex's shape, small.

A PointNet-style encoder turns the sampled object cloud into one feature vector; a conditional
VAE encodes the 28-value hand pose [hand_transl 3, hand_orient 3 (axis-angle), qpos 22] with
that feature into a latent code and decodes it back. Poses are normalised with the published
RealDex per-dimension mean and standard deviation (``realdex_spec.pose_stats()``), so that metres and radians weigh alike in the loss.

    model = GraspCVAE(width=64, latent=16)
    out = model(points, pose, noise=torch.randn(len(pose), 16))
    loss = out["loss"]            # reconstruction (normalised MSE) + kl_weight * KL
"""
from __future__ import annotations

from functools import lru_cache

import torch
from torch import nn

import realdex_spec

POSE_DIM = 28


@lru_cache(maxsize=1)
def pose_stats() -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(mean, std) of the 28-value pose, in the order of the statistics' ``order``."""
    data = realdex_spec.pose_stats()
    mean, std = tuple(data["mean"]), tuple(data["std"])
    if len(mean) != POSE_DIM or len(std) != POSE_DIM or min(std) <= 0:
        raise ValueError(f"pose statistics: expected 28 means and 28 positive stds, found {len(mean)} and {len(std)}")
    return mean, std


def _mlp(*sizes: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


class PointEncoder(nn.Module):
    """PointNet: a shared per-point MLP, then a max over points (order does not matter)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(3, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                                 nn.Linear(width, 2 * width))

    def forward(self, points: torch.Tensor) -> torch.Tensor:  # (B, P, 3) -> (B, 2 * width)
        centred = points - points.mean(dim=1, keepdim=True)  # world-frame clouds: learn shape, not place
        return self.mlp(centred).amax(dim=1)


class GraspCVAE(nn.Module):
    def __init__(self, width: int = 64, latent: int = 16, kl_weight: float = 1e-2) -> None:
        super().__init__()
        self.latent, self.kl_weight = latent, kl_weight
        feat = 2 * width
        self.points = PointEncoder(width)
        self.encoder = _mlp(feat + POSE_DIM, 2 * width, 2 * latent)
        self.decoder = _mlp(feat + latent, 2 * width, 2 * width, POSE_DIM)
        mean, std = pose_stats()
        # buffers: saved with the weights, so a checkpoint says which statistics it was trained with
        self.register_buffer("pose_mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("pose_std", torch.tensor(std, dtype=torch.float32))

    def normalise(self, pose: torch.Tensor) -> torch.Tensor:
        return (pose - self.pose_mean) / self.pose_std

    def denormalise(self, pose_n: torch.Tensor) -> torch.Tensor:
        return pose_n * self.pose_std + self.pose_mean

    def forward(self, points: torch.Tensor, pose: torch.Tensor, noise: torch.Tensor) -> dict[str, torch.Tensor]:
        """``noise``: (B, latent) standard normal draws, passed in so the caller owns the randomness."""
        feature = self.points(points)
        target = self.normalise(pose)
        mu, logvar = self.encoder(torch.cat([feature, target], dim=1)).chunk(2, dim=1)
        z = mu + noise * torch.exp(0.5 * logvar)
        recon = self.decoder(torch.cat([feature, z], dim=1))
        rec_loss = ((recon - target) ** 2).mean()
        kl = (-0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(dim=1)).mean()
        return {"loss": rec_loss + self.kl_weight * kl, "reconstruction": rec_loss, "kl": kl, "recon": recon}

    @torch.no_grad()
    def sample(self, points: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Generate poses (B, 28) in data units for object clouds (B, P, 3) from latent draws (B, latent)."""
        feature = self.points(points)
        return self.denormalise(self.decoder(torch.cat([feature, noise], dim=1)))
