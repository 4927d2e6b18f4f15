"""A broken loader of chapter 8 over the converted layout; the suite must reject it on the clause it breaks."""
from __future__ import annotations

import dataclasses
from unittest import mock

import numpy as np

from realdex_ref.adapter import ReferenceAdapter


class PairsFirstCloud(ReferenceAdapter):
    """Pairs every sample of a converted file with the file's first cloud, ``obj_pc[0]``, read once per file as a
    segment's one cloud is: right for segment files, wrong for converted files, whose samples each have their own."""

    name = "broken-pairs-first-cloud"

    def make_dataset(self, root, layout=None, num_points=1024, point_sampling="random", seed=0):
        from realdex_ref import loader

        add = loader._Pack.add

        def add_first_cloud(pack, data):
            if data.layout == "converted":
                data = dataclasses.replace(data, cloud_of_frame=np.zeros_like(data.cloud_of_frame))
            add(pack, data)

        with mock.patch.object(loader._Pack, "add", add_first_cloud):
            return super().make_dataset(root, layout, num_points, point_sampling, seed)


PAIRS_FIRST_CLOUD = PairsFirstCloud()
