"""Checkpoints' Merkle trees: RFC 6962 (Certificate Transparency) hashing, so anyone can recompute a root.

A checkpoint's tree has one leaf per chain: the audit log's first, then every evidence item's, in the
order Slid received the items (ascending internal id). Each leaf commits to a label of 16 bytes and the
SHA-256 of the chain's head (its last entry, as 32 raw bytes):

    label  = the item's public id (its UUID, 16 bytes as RFC 4122 writes them); for the audit log, 16 zero bytes
    leaf   = SHA-256(0x00 || label || head)
    node   = SHA-256(0x01 || left || right)

The tree over n leaves is RFC 6962's Merkle Tree Hash (RFC 9162 §2.1.1): split at the largest power of
two below n, left part first. Built bottom-up, that is: pair the nodes of each level from the left, and
carry an odd last node up unchanged. Inclusion proofs (audit paths) are RFC 9162 §2.1.3's, the sibling
hashes from the leaf up, and verify with its algorithm (§2.1.3.2).
"""

import hashlib
import sys
from array import array
from collections.abc import Iterable, Sequence

AUDIT_LABEL = bytes(16)
HASH_SIZE = 32


def leaf_hash(label: bytes, head: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + label + head).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def level_sizes(size: int) -> list[int]:
    """How many nodes each level holds, from the leaves up to the root (one level for a single leaf)."""
    if size < 1:
        raise ValueError("A Merkle tree has at least one leaf.")
    sizes = [size]
    while sizes[-1] > 1:
        sizes.append((sizes[-1] + 1) // 2)
    return sizes


def parent_level(level: Sequence[bytes]) -> list[bytes]:
    parents = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
    if len(level) % 2:
        parents.append(level[-1])  # an odd last node goes up unchanged (RFC 6962's split, bottom-up)
    return parents


def build_levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree, the leaves first and the root last."""
    levels = [list(leaves)]
    for _ in level_sizes(len(leaves))[1:]:
        levels.append(parent_level(levels[-1]))
    return levels


def audit_path(levels: Sequence[Sequence[bytes]], index: int) -> list[bytes]:
    """The sibling hashes from leaf ``index`` up to the root (RFC 9162 §2.1.3.1)."""
    path = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(level[sibling])
        index //= 2
    return path


def path_positions(size: int, index: int) -> list[tuple[int, int]]:
    """(level, position) of each hash of leaf ``index``'s audit path in a tree of ``size`` leaves."""
    positions = []
    for level, level_size in enumerate(level_sizes(size)[:-1]):
        sibling = index ^ 1
        if sibling < level_size:
            positions.append((level, sibling))
        index //= 2
    return positions


def pack(levels: Iterable[Sequence[bytes]]) -> bytes:
    """The levels as one byte string, leaves first: how a checkpoint's tree is kept for proofs."""
    return b"".join(b"".join(level) for level in levels)


def to_big_endian(values: array) -> bytes:
    """An array of integers as big-endian bytes (how checkpoints keep item ids and sequences)."""
    copy = array(values.typecode, values)
    if sys.byteorder == "little":
        copy.byteswap()
    return copy.tobytes()


def from_big_endian(typecode: str, data: bytes | memoryview) -> array:
    values = array(typecode)
    values.frombytes(bytes(data))
    if sys.byteorder == "little":
        values.byteswap()
    return values


class IncrementalTree:
    """A tree whose leaves change and grow at the end, its root recomputed along the changed paths only:
    checking a year of hourly checkpoints does not rebuild a tree of every item each time."""

    def __init__(self, leaves: Sequence[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = build_levels(leaves) if leaves else [[]]
        self._dirty: set[int] = set()

    def __len__(self) -> int:
        return len(self.levels[0])

    def set(self, index: int, leaf: bytes) -> None:
        """Replaces leaf ``index``, or appends it when ``index`` is the number of leaves."""
        leaves = self.levels[0]
        if index == len(leaves):
            leaves.append(leaf)
        else:
            leaves[index] = leaf
        self._dirty.add(index)

    def root(self) -> bytes:
        dirty, level_index = self._dirty, 0
        while len(self.levels[level_index]) > 1:
            level = self.levels[level_index]
            if level_index + 1 == len(self.levels):
                self.levels.append([])
            parents = self.levels[level_index + 1]
            del parents[(len(level) + 1) // 2 :]
            parents.extend([b""] * ((len(level) + 1) // 2 - len(parents)))
            dirty = {index // 2 for index in dirty}
            for parent in dirty:
                left = 2 * parent
                parents[parent] = node_hash(level[left], level[left + 1]) if left + 1 < len(level) else level[left]
            level_index += 1
        del self.levels[level_index + 1 :]
        self._dirty = set()
        return self.levels[level_index][0]


def root_from_path(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """The root that leaf ``index`` of a tree of ``size`` leaves gives with its audit path, by RFC 9162
    §2.1.3.2; None when the path cannot be one of such a tree (too long or too short)."""
    if index >= size:
        return None
    fn, sn, node = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    return node if sn == 0 else None
