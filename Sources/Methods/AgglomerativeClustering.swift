// Agglomerative clustering with average linkage and a distance threshold, as DAM-VP calls it:
//   sklearn.cluster.AgglomerativeClustering(n_clusters=None, linkage='average', distance_threshold=τ)
// (shikiw/DAM-VP `task_adapting/adapter.py:128-156`). No engine types: plain arrays in, labels out.
//
// sklearn (1.x, `cluster/_agglomerative.py` `linkage_tree` + `_hc_cut`) delegates the tree to
// scipy.cluster.hierarchy.linkage(X, 'average', 'euclidean'), which
//   1. computes pdist in float64 (Euclidean),
//   2. merges with the nearest-neighbour chain (`_hierarchy.nn_chain`), Lance–Williams average update
//      d(k, x∪y) = (n_x·d(k,x) + n_y·d(k,y)) / (n_x + n_y),
//   3. stable-sorts the merges by distance and relabels them with a union-find (node n+i = merge i,
//      children stored as (smaller id, larger id)).
// sklearn then takes n_clusters = #{merge distances ≥ τ} + 1 and cuts the tree with a heap of negated
// node ids (`_hc_cut`): starting from the root, it repeatedly replaces the largest node id by its two
// children (heappush + heappushpop); cluster label i = the i-th entry of the heap *array* (not sorted).
// The label numbering matters: DAM-VP's prompter k belongs to label k. Every step below mirrors those
// implementations, including tie-breaking and Python's heapq array layout.
import Foundation

/// Average-linkage agglomerative clustering with a distance threshold (sklearn/scipy semantics).
public enum AgglomerativeClustering {
    /// The linkage matrix rows (scipy's Z without the size column): children ids and merge distance.
    public struct Merge: Equatable, Sendable {
        public var a: Int, b: Int
        public var distance: Double
    }

    /// Cluster labels (0..<K) of the rows of `x` ([n, d], row-major), as sklearn's `labels_`.
    public static func labels(_ x: [Float], rows n: Int, threshold: Double) -> [Int] {
        precondition(n >= 1 && x.count % n == 0, "feature matrix has \(x.count) values for \(n) rows")
        if n == 1 { return [0] }
        let merges = averageLinkage(x, rows: n)
        let k = merges.filter { $0.distance >= threshold }.count + 1
        return cut(merges, leaves: n, clusters: k)
    }

    /// Condensed-matrix index of pair (i, j), i ≠ j (scipy `condensed_index`).
    @inline(__always) static func condensed(_ n: Int, _ i: Int, _ j: Int) -> Int {
        let (a, b) = i < j ? (i, j) : (j, i)
        return n * a - (a * (a + 1)) / 2 + (b - a - 1)
    }

    /// scipy.cluster.hierarchy.linkage(x, method='average', metric='euclidean') children and distances.
    public static func averageLinkage(_ x: [Float], rows n: Int) -> [Merge] {
        let d = x.count / n
        // 1. pdist in float64.
        var dist = [Double](repeating: 0, count: n * (n - 1) / 2)
        x.withUnsafeBufferPointer { xp in
            for i in 0..<n {
                for j in (i + 1)..<n {
                    var s = 0.0
                    for c in 0..<d { let t = Double(xp[i * d + c]) - Double(xp[j * d + c]); s += t * t }
                    dist[condensed(n, i, j)] = s.squareRoot()
                }
            }
        }
        // 2. nearest-neighbour chain (scipy `_hierarchy.pyx` nn_chain, same scan order and tie rule: strict <).
        var size = [Int](repeating: 1, count: n)
        var chain: [Int] = []
        var raw: [Merge] = []
        raw.reserveCapacity(n - 1)
        for _ in 0..<(n - 1) {
            if chain.isEmpty { chain.append(size.firstIndex { $0 > 0 }!) }
            var x = 0, y = 0, currentMin = Double.infinity
            while true {
                x = chain[chain.count - 1]
                if chain.count > 1 {
                    y = chain[chain.count - 2]
                    currentMin = dist[condensed(n, x, y)]
                } else {
                    currentMin = .infinity
                }
                for i in 0..<n where size[i] != 0 && i != x {
                    let v = dist[condensed(n, x, i)]
                    if v < currentMin { currentMin = v; y = i }
                }
                if chain.count > 1 && y == chain[chain.count - 2] { break }
                chain.append(y)
            }
            chain.removeLast(2)
            if x > y { swap(&x, &y) }
            let nx = size[x], ny = size[y]
            raw.append(Merge(a: x, b: y, distance: currentMin))
            size[x] = 0
            size[y] = nx + ny
            for i in 0..<n where size[i] != 0 && i != y {
                let dx = dist[condensed(n, i, x)], dy = dist[condensed(n, i, y)]
                dist[condensed(n, i, y)] = (Double(nx) * dx + Double(ny) * dy) / Double(nx + ny)
            }
        }
        // 3. stable sort by distance (np.argsort kind='mergesort'), then union-find relabel (scipy `label`).
        let order = raw.indices.sorted { raw[$0].distance < raw[$1].distance || (raw[$0].distance == raw[$1].distance && $0 < $1) }
        var parent = Array(0..<(2 * n - 1))
        func find(_ v: Int) -> Int {
            var r = v
            while parent[r] != r { r = parent[r] }
            var c = v
            while parent[c] != r { let next = parent[c]; parent[c] = r; c = next }
            return r
        }
        var out: [Merge] = []
        out.reserveCapacity(n - 1)
        for (i, o) in order.enumerated() {
            let rx = find(raw[o].a), ry = find(raw[o].b)
            out.append(Merge(a: min(rx, ry), b: max(rx, ry), distance: raw[o].distance))
            parent[rx] = n + i
            parent[ry] = n + i
        }
        return out
    }

    /// sklearn `_hc_cut(n_clusters, children, n_leaves)`: labels from a heap of negated node ids.
    public static func cut(_ merges: [Merge], leaves n: Int, clusters k: Int) -> [Int] {
        precondition(k >= 1 && k <= n, "cannot cut \(n) leaves into \(k) clusters")
        var heap = [-(max(merges[merges.count - 1].a, merges[merges.count - 1].b) + 1)]
        for _ in 0..<(k - 1) {
            let m = merges[-heap[0] - n]
            heapPush(&heap, -m.a)
            heapPushPop(&heap, -m.b)
        }
        var label = [Int](repeating: 0, count: n)
        for (i, node) in heap.enumerated() {
            var stack = [-node]
            while let v = stack.popLast() {
                if v < n { label[v] = i } else { let m = merges[v - n]; stack.append(m.a); stack.append(m.b) }
            }
        }
        return label
    }

    // Python heapq on a list, element for element (`heapq._siftdown`, `heapq._siftup`).
    static func siftDown(_ h: inout [Int], _ start: Int, _ position: Int) {
        var pos = position
        let item = h[pos]
        while pos > start {
            let parent = (pos - 1) >> 1
            if item < h[parent] { h[pos] = h[parent]; pos = parent; continue }
            break
        }
        h[pos] = item
    }

    static func siftUp(_ h: inout [Int], _ position: Int) {
        var pos = position
        let end = h.count, start = pos, item = h[pos]
        var child = 2 * pos + 1
        while child < end {
            let right = child + 1
            if right < end && !(h[child] < h[right]) { child = right }
            h[pos] = h[child]
            pos = child
            child = 2 * pos + 1
        }
        h[pos] = item
        siftDown(&h, start, pos)
    }

    static func heapPush(_ h: inout [Int], _ item: Int) { h.append(item); siftDown(&h, 0, h.count - 1) }

    @discardableResult
    static func heapPushPop(_ h: inout [Int], _ item: Int) -> Int {
        var item = item
        if !h.isEmpty && h[0] < item { swap(&item, &h[0]); siftUp(&h, 0) }
        return item
    }
}
