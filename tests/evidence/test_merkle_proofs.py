"""The two walks of an RFC 9162 inclusion proof — Slid's (evidence/merkle.py) and the one a court package carries
so that it verifies without Slid (evidence/package/verify.py, standard library only, written apart on purpose) —
checked against one set of trees, with roots and proofs computed by the tests' own RFC 6962 implementation."""

import hashlib

import pytest

from evidence import merkle
from evidence.package import verify
from tests.evidence.test_checkpoints import mth, verify_inclusion

# Every shape of tree up to 33 leaves: full ones, one leaf past a power of two, one short of it.
SIZES = list(range(1, 18)) + [31, 32, 33]


def leaves_of(size: int) -> list[bytes]:
    return [hashlib.sha256(b"\x00" + f"chain {n}".encode()).digest() for n in range(size)]


@pytest.mark.parametrize("size", SIZES)
def test_both_walks_reach_the_root_of_every_leaf(size):
    leaves = leaves_of(size)
    root = mth(leaves)
    levels = merkle.build_levels(leaves)

    for index in range(size):
        path = merkle.audit_path(levels, index)
        assert verify_inclusion(index, size, leaves[index], path, root), (size, index)
        assert merkle.root_from_path(index, size, leaves[index], path) == root, (size, index)
        assert verify.root_from_audit_path(index, size, leaves[index], list(path)) == root, (size, index)


@pytest.mark.parametrize("size", [s for s in SIZES if s > 1])
def test_both_walks_refuse_a_changed_or_cut_proof_alike(size):
    leaves = leaves_of(size)
    root = mth(leaves)
    levels = merkle.build_levels(leaves)

    for index in range(size):
        path = list(merkle.audit_path(levels, index))
        changed = [bytes([path[0][0] ^ 1]) + path[0][1:], *path[1:]]
        for wrong in (changed, path[:-1], [*path, path[-1]]):
            ours = merkle.root_from_path(index, size, leaves[index], wrong)
            theirs = verify.root_from_audit_path(index, size, leaves[index], list(wrong))
            assert ours == theirs, (size, index)
            assert ours != root, (size, index)
        assert merkle.root_from_path(size, size, leaves[0], path) is None
        assert verify.root_from_audit_path(size, size, leaves[0], path) is None
