"""The reference's expectations on the kit's corpus of malformed inputs (spec chapter 13).

The cases themselves, and the builders that write them, are the kit's
(``conformance/malformed.py``): what any implementation must do with them is checked by
``conformance/test_robustness.py``. Here each case also says what the reference answers: the
``realdex_ref.errors`` class it raises (or ``RootWarning`` for a root it reads with a warning)
and words of the message that say what was expected. Cases with ``finding`` set are not read
errors: the file reads, and the data checks must report it (SAFE-2).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from realdex_conformance import malformed as kit
from realdex_conformance.malformed import MarkerPayload, marker_path  # noqa: F401 - used by the tests

# case id -> (error class of realdex_ref.errors, words of its message); absent: the case reads
REFERENCE = {
    'file-empty': ('DataError', 'expected an .npz'),
    'file-truncated-half': ('DataError', 'expected'),
    'file-truncated-to-header': ('DataError', 'expected'),
    'file-text': ('UnsafeFileError', 'expected an .npz'),
    'file-npy-not-npz': ('DataError', 'expected an .npz archive of named arrays'),
    'file-gzip': ('UnsafeFileError', 'expected an .npz'),
    'file-hdf5-signature': ('UnsafeFileError', 'expected an .npz'),
    'file-pickle-payload': ('UnsafeFileError', 'expected an .npz'),
    'file-zip-empty': ('LayoutError', 'keys found: none'),
    'zip-central-directory-wrecked': ('DataError', 'expected an .npz'),
    'zip-member-crc-mismatch': ('DataError', 'cannot be decompressed'),
    'zip-member-deflate-garbage': ('DataError', 'cannot be decompressed'),
    'zip-member-encrypted': ('DataError', 'cannot be decompressed'),
    'zip-member-unknown-compression': ('DataError', 'cannot be decompressed'),
    'zip-member-declared-size-enormous': ('DataError', 'refusing to inflate'),
    'zip-member-duplicated': ('DataError', 'expected one member named qpos.npy'),
    'zip-member-not-npy': ('DataError', 'expected a .npy array'),
    'npy-header-shape-enormous': ('DataError', 'declares shape'),
    'npy-data-truncated': ('DataError', 'declares shape'),
    'npy-header-not-a-dict': ('DataError', 'expected a valid .npy array'),
    'npy-header-negative-shape': ('DataError', 'declares shape'),
    'pickle-object-array-payload': ('UnsafeFileError', 'object array'),
    'pickle-object-array-of-str': ('UnsafeFileError', 'object array'),
    'pickle-structured-with-object': ('UnsafeFileError', 'object array'),
    'dtype-qpos-str': ('DataError', 'expected a real numeric array'),
    'dtype-qpos-complex': ('DataError', 'expected a real numeric array'),
    'dtype-qpos-bool': ('DataError', 'expected a real numeric array'),
    'dtype-points-datetime': ('DataError', 'expected a real numeric array'),
    'dtype-hand-transl-structured': ('DataError', 'expected a real numeric array'),
    'dtype-hand-sides-numeric': ('DataError', 'expected strings'),
    'dtype-num-samples-str': ('DataError', 'expected an integer'),
    'dtype-num-samples-float': ('DataError', 'expected an integer'),
    'dtype-missing-fields-numeric': ('DataError', 'expected a 1-D array of field names'),
    'rank-qpos-1d': ('LayoutError', 'expected'),
    'length-qpos-21-joints': ('LayoutError', 'expected'),
    'length-hand-transl-4': ('LayoutError', 'expected'),
    'rank-points-3d': ('LayoutError', 'expected'),
    'length-points-2-columns': ('LayoutError', 'expected'),
    'length-points-none': ('DataError', 'expected at least 1 object point'),
    'length-obj-pc-no-points': ('DataError', 'expected at least 1 object point'),
    'length-colors-disagree-with-points': ('DataError', 'expected one colour per object point'),
    'rank-obj-pc-2d': ('LayoutError', 'expected'),
    'length-contact-labels-disagree': ('DataError', 'expected one label per object point'),
    'rank-object-scales-2d': ('DataError', 'expected shape'),
    'rank-hand-sides-2d': ('DataError', 'expected shape'),
    'rank-num-samples-1d': ('DataError', 'expected shape'),
    'rank-frame-orient-4d': ('LayoutError', 'expected'),
    'key-qpos-missing': ('LayoutError', 'missing keys: qpos'),
    'key-missing-fields-names-qpos': ('DataError', 'expected names of optional fields'),
    'key-missing-fields-names-unknown': ('DataError', 'expected names of optional fields'),
    'enum-hand-sides-not-right-or-left': ('DataError', "expected 'right' or 'left'"),
    'frame-orient-not-a-rotation': ('DataError', 'expected (1, 3, 3) rotation matrices'),
    'rank-segment-orient-matrices': ('LayoutError', 'expected'),
    'frame-orient-matrix-nan': ('DataError', 'expected (1, 3, 3) rotation matrices'),
    'frames-hand-transl-disagree': ('DataError', 'expected 4 frames'),
    'frames-object-orient-disagree': ('DataError', 'expected 4 frames'),
    'frames-obj-pc-disagree': ('DataError', 'expected 3 samples'),
    'frames-object-scales-disagree': ('DataError', 'expected 3 samples'),
    'frames-num-samples-disagree': ('DataError', 'expected 3'),
    'path-folder-named-npz': ('DataError', 'expected an .npz file, found a folder'),
    'path-named-pipe': ('DataError', 'expected an .npz file, found a named pipe'),
    'path-device': ('DataError', 'expected an .npz file, found a character device'),
    'path-dangling-symlink': ('DataError', 'no such file'),
    'path-symlink-loop': ('DataError', 'cannot reach it'),
    'path-unreadable': ('DataError', 'cannot'),
    'path-non-ascii-name': ('DataError', 'expected'),
    'root-empty': ('DataError', 'holds no file of any RealDex layout'),
    'root-missing': ('DataError', 'expected a folder'),
    'root-is-a-file': ('DataError', 'expected a folder'),
    'root-only-non-npz-files': ('DataError', 'holds no file of any RealDex layout'),
    'root-non-npz-beside-data': ('RootWarning', 'not data'),
    'root-mixed-layouts-one-folder': ('LayoutError', 'choose with layout='),
    'root-file-symlink-loop': ('DataError', 'cannot reach it'),
    'root-unreadable-file': ('DataError', 'cannot'),
    'root-named-pipe': ('DataError', 'found a named pipe'),
    'root-pickle-file': ('DataError', 'never loaded'),
    'root-non-ascii-names': ('DataError', 'expected'),
    'npy-header-shape-lies': ('DataError', 'declares shape'),
    'npy-header-unbalanced-bracket': ('DataError', 'its header is not a Python literal'),
    'npy-dtype-zero-itemsize': ('DataError', 'itemsize 0'),
    'file-bare-npy-enormous-header': ('DataError', 'found a single .npy array'),
    'zip-deflate-bomb': ('DataError', 'decompression bomb'),
    'zip-bzip2-bomb': ('DataError', 'cannot be decompressed'),
    'zip-many-members-bomb': ('DataError', 'decompression bomb'),
    'zip-many-empty-members': ('DataError', 'declares 60000 members'),
    'zip-member-alias': ('DataError', "expected one member for the key 'qpos'"),
    'zip-directory-swallows-members': ('DataError', "end record declares"),
    'root-folder-symlink-loop': ('RootWarning', 'already walked'),
    'root-folder-linked-twice': ('RootWarning', 'already walked'),
    'root-unreadable-folder': ('DataError', 'cannot be entered'),
}


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path], Path]  # writes the case under the folder given; returns what is read
    error: str | None  # name of the realdex_ref.errors class the reader raises; None for a finding
    key: str | None = None  # the key the error (or finding) must name; None: the file as a whole
    expected: str = "expected"  # words the message must hold, saying what was expected
    finding: str | None = None  # for data that reads but is wrong: the field the finding names
    level: str = "file"  # "file": read one file; "root": read a data root
    code: str | None = None  # root cases: the inventory's problem code
    names: str = ""  # root cases: the path (relative to the root; "" the root) named
    samples: int | None = None  # root cases: the samples read_root gives when it reads


def _case(k: kit.Case) -> Case:
    error, expected = REFERENCE.get(k.id, (None, "expected"))
    return Case(k.id, k.build, error, k.key, expected, k.finding, k.level, k.code, k.names, k.samples)


CASES: list[Case] = [_case(k) for k in kit.CASES]
ROOT_CASES: list[Case] = [c for c in CASES if c.level == "root"]
