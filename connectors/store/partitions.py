"""Vendor partitions: how several processes share one poll's judging without stepping on each other.

Everything a verdict depends on beyond its PO (the duplicate checks, the vendor lock) is per
vendor, so processes that judge disjoint sets of vendors never wait for each other's locks nor
judge the same invoice. Each inbox row stores a hash of its vendor, and partition i of n takes
the rows whose hash is i modulo n. The database still settles every race (two runs, a run and
the validation API), as it does without partitions.
"""

import zlib
from dataclasses import dataclass

# The stored hash's range: an INTEGER everywhere, and plenty for up to MAX_PARTITIONS.
VENDOR_HASH_RANGE = 2**16
MAX_PARTITIONS = 16


def vendor_hash(vendor_id: str) -> int:
    """Stable across processes, machines and Python versions (unlike hash())."""
    return zlib.crc32(vendor_id.encode("utf-8")) % VENDOR_HASH_RANGE


@dataclass(frozen=True)
class VendorPartition:
    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_PARTITIONS or not 0 <= self.index < self.count:
            raise ValueError(f"partition {self.index} of {self.count}: need 0 <= index < count <= {MAX_PARTITIONS}")

    def __str__(self) -> str:
        return f"vendor partition {self.index + 1} of {self.count}"

    def contains(self, vendor_id: str) -> bool:
        return vendor_hash(vendor_id) % self.count == self.index

    @classmethod
    def all_of(cls, count: int) -> list["VendorPartition"]:
        return [cls(index, count) for index in range(count)]
