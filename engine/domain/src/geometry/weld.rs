//! Builds a [`Mesh`] while welding vertices with bit-identical coordinates.
//!
//! A binary STL stores every triangle's three corners separately; edge pairing needs shared
//! indices, so each corner goes through an open-addressing hash table keyed by its coordinate bits
//! (`-0.0` folded into `0.0`). A table slot is 8 bytes (32 hash bits as a tag, the vertex index),
//! so a million vertices take 16 MB at the half load where it grows; a tag match is confirmed
//! against the vertex itself, which is recent and so usually cached. In front of it sits a small direct-mapped cache of recently
//! seen vertices (L2-sized): files list neighbouring triangles close together, so most corners
//! repeat within a few hundred triangles and are found there without touching the big table.
//! Welding is per object: [`MeshBuilder::begin_object`]
//! forgets the table, so two 3MF objects touching at a corner stay separate shells.

use super::{GeometryError, Mesh, ParseLimits, check_triangle_limit};

const EMPTY: u32 = u32::MAX;
/// log2 of the recent-vertex cache's largest size (16384 entries of 16 bytes); small meshes get
/// one no larger than their table.
const RECENT_BITS: u32 = 14;

#[derive(Clone, Copy)]
struct Slot {
    key: [u32; 3],
    index: u32,
}

const VACANT: Slot = Slot {
    key: [0; 3],
    index: EMPTY,
};

/// A main-table slot: the hash's low 32 bits and the vertex index (`EMPTY` when vacant).
#[derive(Clone, Copy)]
struct Tagged {
    tag: u32,
    index: u32,
}

const FREE: Tagged = Tagged { tag: 0, index: EMPTY };

pub(super) struct MeshBuilder {
    mesh: Mesh,
    slots: Vec<Tagged>,
    /// Direct-mapped cache of recent lookups, indexed by the hash's low bits.
    recent: Vec<Slot>,
    /// log2 of `slots.len()`.
    bits: u32,
    /// Vertices inserted into the table since the last `begin_object`.
    filled: usize,
}

fn key_of(p: [f32; 3]) -> [u32; 3] {
    // Fold negative zero into zero so both weld together.
    p.map(|c| if c == 0.0 { 0 } else { c.to_bits() })
}

fn hash(key: [u32; 3]) -> u64 {
    let a = u64::from(key[0]) | (u64::from(key[1]) << 32);
    let h = (a ^ u64::from(key[2]).rotate_left(17)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^ (h >> 31)
}

impl MeshBuilder {
    /// A builder expecting about `triangles` triangles (a hint for the allocations only).
    pub(super) fn with_capacity(triangles: usize) -> MeshBuilder {
        // A closed mesh has about half as many vertices as triangles; start at load <= 1/2 for that.
        let hint = triangles.clamp(16, 1 << 26);
        let bits = usize::BITS - (hint - 1).leading_zeros();
        MeshBuilder {
            mesh: Mesh {
                vertices: Vec::with_capacity(hint / 2 + 8),
                triangles: Vec::with_capacity(triangles.min(1 << 26)),
                objects: 0,
            },
            slots: vec![FREE; 1 << bits],
            recent: vec![VACANT; 1 << bits.min(RECENT_BITS)],
            bits,
            filled: 0,
        }
    }

    /// Starts a new object: later vertices never weld to earlier ones.
    pub(super) fn begin_object(&mut self) {
        self.mesh.objects = self.mesh.objects.saturating_add(1);
        if self.filled > 0 {
            self.slots.iter_mut().for_each(|s| *s = FREE);
            self.recent.iter_mut().for_each(|s| *s = VACANT);
            self.filled = 0;
        }
    }

    pub(super) fn triangle_count(&self) -> usize {
        self.mesh.triangles.len()
    }

    /// The index of the vertex at `p`, adding it if new.
    #[inline]
    pub(super) fn vertex(&mut self, p: [f32; 3]) -> u32 {
        let key = key_of(p);
        let h = hash(key);
        let r = ((h >> 16) as usize) & (self.recent.len() - 1);
        if let Some(hit) = self.recent.get(r)
            && hit.index != EMPTY
            && hit.key == key
        {
            return hit.index;
        }
        let index = self.lookup(p, key, h);
        if let Some(slot) = self.recent.get_mut(r) {
            *slot = Slot { key, index };
        }
        index
    }

    /// Touches the main-table slots that `corners` will need (those not in the recent cache), so
    /// their cache misses overlap instead of being paid one after another in [`Self::vertex`]:
    /// group prefetching in safe code. Has no effect on the result.
    pub(super) fn warm(&self, corners: &[[f32; 3]]) {
        let mut touched = 0u32;
        for &p in corners {
            let key = key_of(p);
            let h = hash(key);
            let r = ((h >> 16) as usize) & (self.recent.len() - 1);
            if self
                .recent
                .get(r)
                .is_some_and(|hit| hit.index != EMPTY && hit.key == key)
            {
                continue;
            }
            let i = (h >> (64 - self.bits)) as usize;
            touched ^= self.slots.get(i).map_or(0, |s| s.index);
        }
        std::hint::black_box(touched);
    }

    fn lookup(&mut self, p: [f32; 3], key: [u32; 3], h: u64) -> u32 {
        let mask = self.slots.len() - 1;
        let tag = h as u32;
        let mut i = (h >> (64 - self.bits)) as usize;
        loop {
            let Some(slot) = self.slots.get(i).copied() else {
                // Unreachable: i is always masked into range.
                return self.push_unwelded(p);
            };
            if slot.index == EMPTY {
                let Ok(index) = u32::try_from(self.mesh.vertices.len()) else {
                    return EMPTY;
                };
                if let Some(s) = self.slots.get_mut(i) {
                    *s = Tagged { tag, index };
                }
                self.mesh.vertices.push(p);
                self.filled += 1;
                if self.filled * 2 > self.slots.len() {
                    self.grow();
                }
                return index;
            }
            if slot.tag == tag
                && self
                    .mesh
                    .vertices
                    .get(slot.index as usize)
                    .is_some_and(|&v| key_of(v) == key)
            {
                return slot.index;
            }
            i = (i + 1) & mask;
        }
    }

    fn push_unwelded(&mut self, p: [f32; 3]) -> u32 {
        let index = u32::try_from(self.mesh.vertices.len()).unwrap_or(EMPTY);
        self.mesh.vertices.push(p);
        index
    }

    fn grow(&mut self) {
        self.bits += 1;
        let old = std::mem::replace(&mut self.slots, vec![FREE; 1 << self.bits]);
        let mask = self.slots.len() - 1;
        for slot in old.into_iter().filter(|s| s.index != EMPTY) {
            let Some(&v) = self.mesh.vertices.get(slot.index as usize) else {
                continue;
            };
            let mut i = (hash(key_of(v)) >> (64 - self.bits)) as usize;
            while let Some(s) = self.slots.get_mut(i) {
                if s.index == EMPTY {
                    *s = slot;
                    break;
                }
                i = (i + 1) & mask;
            }
        }
    }

    /// Adds a triangle of already-welded vertex indices.
    #[inline]
    pub(super) fn triangle(&mut self, t: [u32; 3]) {
        self.mesh.triangles.push(t);
    }

    /// Fan-triangulates a polygon of welded vertex indices, checking the triangle limit first.
    /// `Ok(false)` (nothing added) when it has fewer than three corners.
    pub(super) fn polygon(&mut self, corners: &[u32], limits: &ParseLimits) -> Result<bool, GeometryError> {
        let Some((&first, rest)) = corners.split_first() else {
            return Ok(false);
        };
        if rest.len() < 2 {
            return Ok(false);
        }
        check_triangle_limit((self.triangle_count() + rest.len() - 1) as u64, limits)?;
        for pair in rest.windows(2) {
            if let &[b, c] = pair {
                self.mesh.triangles.push([first, b, c]);
            }
        }
        Ok(true)
    }

    /// Adds a triangle given by its corner coordinates.
    #[inline]
    pub(super) fn triangle_at(&mut self, a: [f32; 3], b: [f32; 3], c: [f32; 3]) {
        let t = [self.vertex(a), self.vertex(b), self.vertex(c)];
        self.mesh.triangles.push(t);
    }

    pub(super) fn finish(mut self) -> Mesh {
        self.mesh.vertices.shrink_to_fit();
        self.mesh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_coordinates_weld_and_objects_stay_apart() {
        let mut b = MeshBuilder::with_capacity(1);
        b.begin_object();
        let p = [1.0, 2.0, 3.0];
        assert_eq!(b.vertex(p), 0);
        assert_eq!(b.vertex([0.0, -0.0, 0.0]), 1);
        assert_eq!(b.vertex([-0.0, 0.0, 0.0]), 1, "negative zero welds to zero");
        assert_eq!(b.vertex(p), 0);
        b.begin_object();
        assert_eq!(b.vertex(p), 2, "a new object does not weld to the previous one");
        // Force several growths and check every vertex keeps its index.
        for i in 0..10_000u16 {
            let q = [f32::from(i), 0.5, -f32::from(i)];
            let first = b.vertex(q);
            assert_eq!(b.vertex(q), first);
        }
        assert_eq!(b.vertex(p), 2);
        let mesh = b.finish();
        assert_eq!(mesh.vertices.len(), 3 + 10_000);
        assert_eq!(mesh.objects, 2);
    }
}
