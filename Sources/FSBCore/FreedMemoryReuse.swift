import CKernels

/// Makes the C allocator keep freed memory for the next allocation instead of handing it back
/// to the operating system.
///
/// A training step allocates and frees the same large activation tensors every step (a
/// VGG-small activation at batch 128 is 64 MiB). glibc serves blocks above its mmap threshold
/// (at most 32 MiB by default) with a fresh `mmap` and unmaps them on free, so each step
/// page-faults and zeroes all of that memory again (measured: 5-8% of a VGG-small step spent
/// in the kernel). Raising the mmap and trim thresholds keeps those blocks in the heap, where
/// the next step reuses them; peak resident memory rises by about one step's temporaries.
public enum FreedMemoryReuse {
    /// Call once at process start, before large allocations. Returns false where the C
    /// library is not glibc (nothing changed).
    @discardableResult
    public static func enable() -> Bool { fsb_retain_freed_memory() == 1 }
}
