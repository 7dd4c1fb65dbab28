// Tensor: Float32, contiguous, row-major. Shape legend used across the engine:
// B batch, N tokens, C channels/features, H×W spatial, O output channels.
import CSystem
import Foundation

/// Owns one contiguous Float32 buffer; tensors are views (offset + shape) into it.
public final class Storage {
    public let ptr: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = count
        ptr = BufferCache.take(max(count, 1))
        Memory.allocated(count)
    }

    deinit {
        Memory.freed(count)
        BufferCache.give(ptr, max(count, 1))
    }
}

/// Freed buffers of at least `minCount` floats, kept by exact size for reuse: a training step allocates the
/// same activation and gradient shapes every time, so the steady state needs no posix_memalign/free and no fresh
/// mappings (each fresh page costs a fault and the kernel's zeroing: with a 512 MiB cap that was ~9% of a
/// ViT-B/16 VPT-deep step at batch 32 and ~13% of an InsVP step at batch 16).
///
/// The cache barely raises the process's high-water mark: on a miss, cached buffers are unmapped (largest first)
/// until live tensor bytes + cached bytes + the new buffer fit under the largest live footprint seen so far
/// (`highWaterBytes`) plus two of the largest buffers (`slackBuffers`). Hits and frees move bytes between live and
/// cached without changing their sum, so live + cached never exceeds that bound (plus the one buffer a miss adds
/// beyond it), whatever the mix of shapes (a smaller last batch, eval after training). `limitBytes` caps the cache
/// on top of that.
/// A miss for a mapped size (≥ 1 MiB) first takes its pages from cached mapped buffers of other sizes: they are
/// moved into the new buffer with mremap (no copy, no fault, no zeroing) and only what the cache lacks is mapped
/// afresh. Without that, a step whose sizes the bound cannot all hold exactly (a ResNet-50 step at batch 16: its
/// backward takes 51 MB buffers where its forward took 25 MB ones) mapped and zeroed ~480 MB every step: 5% of the
/// step at 1 thread and 9% at 2, where both threads fault into the same address space.
/// Cached bytes are not counted in `Memory` (which tracks live tensor storage).
/// Contents of a reused buffer are stale: callers of `Tensor(uninitialized:)` overwrite every element, as before.
public enum BufferCache {
    static let minCount = 4096
    /// Cap on cached bytes (`VPT_BUFFER_CACHE_MB` overrides; 0 disables the cache). The high-water rule above is
    /// what bounds memory; the default cap (16 GiB) only guards against pathological shape churn.
    nonisolated(unsafe) public static var limitBytes: Int = {
        if let v = ProcessInfo.processInfo.environment["VPT_BUFFER_CACHE_MB"], let mb = Int(v) { return mb << 20 }
        return 16 << 30
    }()
    nonisolated(unsafe) static var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    nonisolated(unsafe) static var cachedBytes = 0
    /// Largest live-tensor footprint seen (bytes, including the buffer being allocated).
    nonisolated(unsafe) static var highWaterBytes = 0
    /// Largest single buffer seen (bytes).
    nonisolated(unsafe) static var largestBytes = 0
    /// Headroom over `highWaterBytes`, in largest buffers: at a layer's peak the cache must still hold the
    /// buffers the next layer takes again (its norm, qkv and attention outputs), or every layer misses, evicts and
    /// maps afresh. With no headroom a ViT-B/16 forward at batch 32 took 3.9 M page faults and ran 12% slower;
    /// with 2 (≈ 150 MiB there) the steady state has none. 4 measured no better.
    static let slackBuffers = 2
    static let lock = NSLock()
    /// Bytes of fresh pages mapped since the last purge (what page moves did not cover), for tests and profiling.
    nonisolated(unsafe) public internal(set) static var freshBytes = 0
    /// Segment lengths (bytes, in order) of mapped buffers built from moved pages: each segment lies in one kernel
    /// mapping, which mremap needs of the range it moves. Buffers not listed are one mapping.
    nonisolated(unsafe) static var segments: [UnsafeMutableRawPointer: [Int]] = [:]
    /// Moves per assembled buffer at most (bounds the mappings a buffer can be split into).
    static let maxSegments = 32

    static func take(_ n: Int) -> UnsafeMutablePointer<Float> {
        if n >= minCount {
            lock.lock()
            if let p = free[n]?.popLast() {
                cachedBytes -= n * 4
                lock.unlock()
                return p
            }
            // Misses only: a hit needs no footprint (Memory's lock is never held while taking this one, so the
            // nesting cannot deadlock).
            let live = Memory.liveBytes
            highWaterBytes = Swift.max(highWaterBytes, live + n * 4)
            largestBytes = Swift.max(largestBytes, n * 4)
            let bound = highWaterBytes + slackBuffers * largestBytes
            // Large blocks are mapped (page-aligned, returned with munmap), so resident memory follows live tensors
            // instead of glibc's heap high-water mark; their pages come from the cache first.
            let p = n >= mmapCount ? assemble(n) : nil
            while cachedBytes > 0 && live + cachedBytes + n * 4 > bound { evictLargest() }
            lock.unlock()
            if let p { return p }
        }
        // 64-byte alignment keeps AVX-512 loads aligned for BLAS and our loops.
        var raw: UnsafeMutableRawPointer?
        posix_memalign(&raw, 64, n * MemoryLayout<Float>.stride)
        return raw!.bindMemory(to: Float.self, capacity: n)
    }

    /// Returns one buffer of the largest cached size to the system (lock held).
    static func evictLargest() {
        var largest = 0
        for (n, ps) in free where !ps.isEmpty && n > largest { largest = n }
        guard largest > 0, let p = free[largest]?.popLast() else { cachedBytes = 0; return }  // (cannot happen: bytes without buffers)
        cachedBytes -= largest * 4
        release(p, largest)
    }

    /// Buffers of at least this many floats (1 MiB) are mapped, not malloc'ed.
    static let mmapCount = 1 << 18

    /// Mapped buffers ask for transparent huge pages (`madvise(MADV_HUGEPAGE)`; Linux's default THP mode,
    /// "madvise", gives them only to regions that ask). A fresh 2 MiB page costs one fault instead of 512, and
    /// GEMMs over large activations miss the TLB less. Measured before page moves (`assemble`), when a ResNet-50
    /// step at batch 16 still mapped ~485 MB afresh every step: its train step ran 5–6% faster and page faults fell
    /// from 880 k to 110 k per run, peak RSS unchanged. `VPT_HUGE_PAGES=0` turns it off.
    nonisolated(unsafe) public static var hugePages: Bool = ProcessInfo.processInfo.environment["VPT_HUGE_PAGES"] != "0"

    static func release(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
        if n >= mmapCount {
            munmap(UnsafeMutableRawPointer(p), mappedBytes(n))
            segments[UnsafeMutableRawPointer(p)] = nil
        } else {
            Foundation.free(p)
        }
    }

    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    /// Bytes a mapped buffer of n floats spans (whole pages).
    static func mappedBytes(_ n: Int) -> Int { (n * 4 + pageSize - 1) / pageSize * pageSize }

    /// A mapped buffer of n floats, its pages moved from cached mapped buffers where the cache has them (best fit:
    /// the smallest one that covers the rest, else the largest), the rest mapped fresh. What is left of a split buffer
    /// goes back to the cache (or to the system under `mmapCount` floats). Lock held.
    static func assemble(_ n: Int) -> UnsafeMutablePointer<Float> {
        let need = mappedBytes(n)
        let raw = mmap(nil, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        precondition(raw != MAP_FAILED, "mmap of \(need) bytes failed")
        let dest = raw!
        if hugePages { _ = madvise(dest, need, MADV_HUGEPAGE) }
        var filled = 0, segs: [Int] = []
        while filled < need && segs.count < maxSegments, let (pn, p) = popMapped(covering: need - filled) {
            cachedBytes -= pn * 4
            let src = UnsafeMutableRawPointer(p)
            var parts = segments.removeValue(forKey: src) ?? [mappedBytes(pn)]
            var off = 0, failed = false
            while filled < need && segs.count < maxSegments && !parts.isEmpty {
                let take = Swift.min(parts[0], need - filled)
                if vpt_move_pages(src + off, dest + filled, take) != 0 { failed = true; break }
                segs.append(take); filled += take; off += take
                if take == parts[0] { parts.removeFirst() } else { parts[0] -= take }
            }
            let rest = parts.reduce(0, +)
            if rest / 4 >= mmapCount {
                free[rest / 4, default: []].append((src + off).assumingMemoryBound(to: Float.self))
                cachedBytes += rest
                if parts.count > 1 { segments[src + off] = parts }
            } else if rest > 0 {
                munmap(src + off, rest)
            }
            if failed { break }
        }
        if filled < need { segs.append(need - filled); freshBytes += need - filled }  // dest's own pages, faulted in on use
        if segs.count > 1 { segments[dest] = segs }
        return dest.bindMemory(to: Float.self, capacity: n)
    }

    /// Removes and returns a cached mapped buffer for `bytes` more bytes: the smallest that covers them, else the
    /// largest. Lock held.
    static func popMapped(covering bytes: Int) -> (Int, UnsafeMutablePointer<Float>)? {
        var fit = Int.max, largest = 0
        for (n, ps) in free where n >= mmapCount && !ps.isEmpty {
            if mappedBytes(n) >= bytes && n < fit { fit = n }
            largest = Swift.max(largest, n)
        }
        let n = fit != Int.max ? fit : largest
        guard n > 0, let p = free[n]?.popLast() else { return nil }
        return (n, p)
    }

    static func give(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
        if n >= minCount {
            lock.lock()
            if cachedBytes + n * 4 <= limitBytes {
                free[n, default: []].append(p)
                cachedBytes += n * 4
                lock.unlock()
                return
            }
            lock.unlock()
        }
        release(p, n)
    }

    /// Frees every cached buffer and forgets the high-water mark (between independent workloads, e.g. methods timed
    /// one after another, so one's footprint does not let the cache hold memory during the next).
    public static func purge() {
        lock.lock()
        for (n, ps) in free { for p in ps { release(p, n) } }
        free = [:]
        cachedBytes = 0
        highWaterBytes = 0  // the next workload's footprint starts from what is live now
        largestBytes = 0
        freshBytes = 0
        lock.unlock()
    }
}

/// Live and peak bytes held by tensor storages (a cheap stand-in for peak RSS in tests).
public enum Memory {
    nonisolated(unsafe) static var live = 0
    nonisolated(unsafe) public static var peakBytes = 0
    static let lock = NSLock()
    static func allocated(_ n: Int) {
        lock.lock(); live += n * 4; if live > peakBytes { peakBytes = live }; lock.unlock()
    }
    static func freed(_ n: Int) { lock.lock(); live -= n * 4; lock.unlock() }
    public static var liveBytes: Int { lock.lock(); defer { lock.unlock() }; return live }
    public static func resetPeak() { lock.lock(); peakBytes = live; lock.unlock() }
}

/// A Float32 tensor with an optional autograd history.
///
/// Contiguous always: reshape and first-axis slices are views sharing storage; every other
/// layout change (permute, concat) materialises a new buffer.
public final class Tensor {
    public let storage: Storage
    public let offset: Int
    public let shape: [Int]
    public let count: Int
    /// True for trainable leaves and for every result computed from one while grad mode is on.
    public internal(set) var requiresGrad: Bool
    /// Accumulated gradient (leaves only).
    public var grad: Tensor?
    /// How this tensor was computed; nil for leaves and for results that need no gradient.
    var node: Node?

    public init(storage: Storage, offset: Int = 0, shape: [Int]) {
        let n = shape.reduce(1, *)
        precondition(offset + n <= storage.count, "view \(shape) at \(offset) exceeds storage of \(storage.count)")
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.count = n
        self.requiresGrad = false
    }

    /// Uninitialised tensor (callers overwrite every element).
    public convenience init(uninitialized shape: [Int]) {
        self.init(storage: Storage(count: shape.reduce(1, *)), shape: shape)
    }

    /// Zero-filled tensor.
    public convenience init(zeros shape: [Int]) {
        self.init(uninitialized: shape)
        data.update(repeating: 0, count: count)
    }

    public convenience init(repeating value: Float, shape: [Int]) {
        self.init(uninitialized: shape)
        data.update(repeating: value, count: count)
    }

    /// Copies `values` (row-major) into a new tensor of `shape`.
    public convenience init(_ values: [Float], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        self.init(uninitialized: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    public convenience init(scalar: Float) { self.init([scalar], shape: []) }

    /// Pointer to the first element.
    @inline(__always) public var data: UnsafeMutablePointer<Float> { storage.ptr + offset }
    public var rank: Int { shape.count }
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }
    /// The single value of a one-element tensor.
    public var item: Float { precondition(count == 1, "item of a tensor with \(count) elements"); return data[0] }

    /// Marks a leaf as trainable (or not). Only leaves may change this.
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        precondition(node == nil, "requiresGrad can only be set on leaves")
        requiresGrad = flag
        return self
    }

    /// A leaf copy with no history.
    public func detached() -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.data.update(from: data, count: count)
        return t
    }

    /// Same storage, no history (no copy).
    public func detachedView() -> Tensor { Tensor(storage: storage, offset: offset, shape: shape) }

    public func size(_ axis: Int) -> Int { shape[axis < 0 ? axis + rank : axis] }

    /// Overwrites this tensor's values from `other` (same element count). Used by optimisers and loaders.
    public func assign(_ other: Tensor) {
        precondition(other.count == count, "assign \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }

    public func fill(_ v: Float) { data.update(repeating: v, count: count) }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = scalars.prefix(8).map { String(format: "%.5g", $0) }.joined(separator: ", ")
        return "Tensor\(shape)[\(head)\(count > 8 ? ", …" : "")]"
    }
}

/// Shape helpers.
@inline(__always) func product(_ s: ArraySlice<Int>) -> Int { s.reduce(1, *) }

extension Array where Element == Int {
    var elementCount: Int { reduce(1, *) }
}

/// Normalises a possibly negative axis.
@inline(__always) func normAxis(_ axis: Int, _ rank: Int) -> Int {
    let a = axis < 0 ? axis + rank : axis
    precondition(a >= 0 && a < rank, "axis \(axis) out of range for rank \(rank)")
    return a
}
