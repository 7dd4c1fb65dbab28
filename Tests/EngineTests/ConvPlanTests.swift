import XCTest
@testable import Engine

/// conv2d groups small feature maps several images per GEMM and reads 1×1 stride-1 inputs directly when the map is
/// large (ConvPlan). Every path must equal a direct nested-loop convolution, forward and backward (dx, dW, db).
final class ConvPlanTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    /// Direct convolution with the epilogue y = relu?(conv·scale + bias + residual), and its adjoints for the output
    /// gradient `g`.
    func reference(_ x: Tensor, _ w: Tensor, scale: [Float]?, _ bias: Tensor?, residual: Tensor?, relu: Bool, _ g: Tensor,
                   stride s: Int, pad p: Int, groups: Int)
        -> (y: [Float], dx: [Float], dw: [Float], db: [Float], dres: [Float]) {
        let (b, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let ho = (h + 2 * p - kh) / s + 1, wo = (wd + 2 * p - kw) / s + 1, og = o / groups
        let xs = x.scalars, ws = w.scalars, gs = g.scalars, rs = residual?.scalars
        var y = [Float](repeating: 0, count: b * o * ho * wo), dx = [Float](repeating: 0, count: xs.count)
        var dw = [Float](repeating: 0, count: ws.count), db = [Float](repeating: 0, count: o), dres = y
        for bi in 0..<b { for oc in 0..<o { for oy in 0..<ho { for ox in 0..<wo {
            let yi = ((bi * o + oc) * ho + oy) * wo + ox
            var acc: Float = 0
            for ci in 0..<cg { for i in 0..<kh { for j in 0..<kw {
                let iy = oy * s - p + i, ix = ox * s - p + j
                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                acc += xs[((bi * c + (oc / og) * cg + ci) * h + iy) * wd + ix] * ws[((oc * cg + ci) * kh + i) * kw + j]
            } } }
            let pre = acc * (scale?[oc] ?? 1) + (bias?.scalars[oc] ?? 0) + (rs?[yi] ?? 0)
            y[yi] = relu ? max(pre, 0) : pre
            let gm = relu && pre <= 0 ? 0 : gs[yi]  // the gradient before the epilogue's scale
            db[oc] += gm
            dres[yi] = gm
            let gz = gm * (scale?[oc] ?? 1)
            for ci in 0..<cg { for i in 0..<kh { for j in 0..<kw {
                let iy = oy * s - p + i, ix = ox * s - p + j
                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                let xi = ((bi * c + (oc / og) * cg + ci) * h + iy) * wd + ix, wi = ((oc * cg + ci) * kh + i) * kw + j
                dx[xi] += gz * ws[wi]
                dw[wi] += gz * xs[xi]
            } } }
        } } } }
        return (y, dx, dw, db, dres)
    }

    /// conv2d against the reference. `scale`: a constant per-channel factor (frozen BatchNorm); `residual` and `relu`:
    /// the epilogue's shortcut add and ReLU. `frozenWeight` leaves W without a gradient (every CNN method's backbone).
    func check(x xShape: [Int], w wShape: [Int], stride s: Int, pad p: Int, groups: Int = 1, bias: Bool = true,
               scale: Bool = false, residual: Bool = false, relu: Bool = false, frozenWeight: Bool = false,
               file: StaticString = #filePath, line: UInt = #line) {
        let x = randomTensor(xShape, seed: 1).requiringGrad(), w = randomTensor(wShape, seed: 2)
        if !frozenWeight { w.requiringGrad() }
        let bt: Tensor? = bias ? randomTensor([wShape[0]], seed: 3).requiringGrad() : nil
        let st: Tensor? = scale ? randomTensor([wShape[0]], seed: 5, 0.2, 2) : nil
        let ho = (xShape[2] + 2 * p - wShape[2]) / s + 1, wo = (xShape[3] + 2 * p - wShape[3]) / s + 1
        let rt: Tensor? = residual ? randomTensor([xShape[0], wShape[0], ho, wo], seed: 6).requiringGrad() : nil
        let y = x.conv2d(weight: w, scale: st, bias: bt, stride: (s, s), padding: (p, p), groups: groups, residual: rt, relu: relu)
        let g = randomTensor(y.shape, seed: 4)
        (y * g).sum().backward()
        let r = reference(x, w, scale: st?.scalars, bt, residual: rt, relu: relu, g, stride: s, pad: p, groups: groups)
        func close(_ a: [Float], _ e: [Float], _ what: String) {
            XCTAssertEqual(a.count, e.count, what, file: file, line: line)
            let err = zip(a, e).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            XCTAssertLessThan(err, 1e-4, "\(what) \(xShape) ⊛ \(wShape)", file: file, line: line)
        }
        close(y.scalars, r.y, "y")
        close(x.grad!.scalars, r.dx, "dx")
        if frozenWeight { XCTAssertNil(w.grad, file: file, line: line) } else { close(w.grad!.scalars, r.dw, "dW") }
        if let bt { close(bt.grad!.scalars, r.db, "db") }
        if let rt { close(rt.grad!.scalars, r.dres, "dresidual") }
    }

    func testPlanChoices() {
        XCTAssertEqual(ConvPlan.imagesPerGEMM(positions: 49, batch: 32), 32)
        XCTAssertEqual(ConvPlan.imagesPerGEMM(positions: 900, batch: 5), 3)
        XCTAssertEqual(ConvPlan.imagesPerGEMM(positions: 3136, batch: 8), 1)
    }

    /// Small maps: the whole batch in one GEMM (with groups), and a batch split into uneven chunks (3 + 2 images).
    func testBatchedColumns() {
        check(x: [5, 4, 4, 4], w: [6, 2, 3, 3], stride: 1, pad: 1, groups: 2)
        check(x: [5, 3, 30, 30], w: [4, 3, 3, 3], stride: 1, pad: 1)
        check(x: [3, 3, 9, 9], w: [4, 3, 3, 3], stride: 2, pad: 1, bias: false)
        check(x: [4, 6, 5, 5], w: [8, 6, 1, 1], stride: 1, pad: 0)
    }

    /// Large maps: one image per GEMM; 1×1 stride 1 reads the input without im2col.
    func testLargeMapsAndPointwise() {
        check(x: [2, 3, 48, 48], w: [5, 3, 1, 1], stride: 1, pad: 0)
        check(x: [2, 2, 47, 47], w: [3, 2, 3, 3], stride: 1, pad: 1, bias: false)
        check(x: [2, 3, 96, 96], w: [4, 3, 1, 1], stride: 2, pad: 0)
        // Stride 2 through im2col and col2im's 16-float paths: a ResNet stem (7×7, padding 3) on an odd width, whose
        // rows end partway through a vector, and a 3×3 with one image per GEMM.
        check(x: [1, 3, 97, 95], w: [17, 3, 7, 7], stride: 2, pad: 3)
        check(x: [1, 4, 92, 92], w: [18, 4, 3, 3], stride: 2, pad: 1, bias: false)
    }

    /// Few output channels on a large map: the direct loops (InsVP's pixel-prompt convolutions), odd and even
    /// kernels, stride 1 and 2, padding wider than the kernel's reach at the borders.
    func testDirectLoops() {
        XCTAssertTrue(DirectConv.applies(outChannels: 3, positions: 224 * 224, groups: 1, Conv2dGeometry(kernel: (25, 25), padding: (12, 12))))
        XCTAssertFalse(DirectConv.applies(outChannels: 64, positions: 224 * 224, groups: 1, Conv2dGeometry(kernel: (3, 3))))
        check(x: [2, 3, 48, 48], w: [6, 3, 11, 11], stride: 1, pad: 5)
        check(x: [2, 6, 46, 46], w: [3, 6, 4, 5], stride: 1, pad: 2, bias: false)
        check(x: [1, 2, 100, 100], w: [4, 2, 5, 5], stride: 2, pad: 3)
    }

    /// The frozen-BatchNorm epilogue (scale, shift, shortcut, ReLU) on every path: several images per GEMM (the
    /// gather applies mask and scale), one image per GEMM (scaled weights for dX, dW's rows scaled after), a 1×1
    /// input read directly, and the direct loops; with and without a weight gradient.
    func testScaleResidualReluEpilogue() {
        for frozen in [false, true] {
            check(x: [5, 4, 4, 4], w: [6, 2, 3, 3], stride: 1, pad: 1, groups: 2, scale: true, relu: true, frozenWeight: frozen)
            check(x: [5, 4, 4, 4], w: [6, 4, 3, 3], stride: 1, pad: 1, bias: false, scale: true, residual: true, relu: true, frozenWeight: frozen)
            check(x: [4, 6, 5, 5], w: [8, 6, 1, 1], stride: 1, pad: 0, scale: true, residual: true, frozenWeight: frozen)
            check(x: [2, 3, 48, 48], w: [5, 3, 1, 1], stride: 1, pad: 0, scale: true, residual: true, relu: true, frozenWeight: frozen)
            check(x: [2, 2, 47, 47], w: [3, 2, 3, 3], stride: 1, pad: 1, scale: true, relu: true, frozenWeight: frozen)
            check(x: [2, 6, 46, 46], w: [3, 6, 4, 5], stride: 1, pad: 2, scale: true, relu: true, frozenWeight: frozen)
        }
        // No bias or residual gradient to hand on: the gather reads the output gradient through the ReLU itself,
        // with and without the scale.
        check(x: [5, 4, 4, 4], w: [6, 4, 3, 3], stride: 1, pad: 1, bias: false, scale: true, relu: true, frozenWeight: true)
        check(x: [5, 4, 4, 4], w: [6, 4, 3, 3], stride: 1, pad: 1, bias: false, relu: true, frozenWeight: true)
    }

    /// 3×3 stride-1 padding-1 convolutions run Winograd F(2×2, 3×3): even and odd maps (the last tile half outside),
    /// one image per tile GEMM and several, and the frozen-BatchNorm epilogue; dX through the flipped filter.
    func testWinograd() {
        XCTAssertTrue(Winograd.applies(Conv2dGeometry(kernel: (3, 3), padding: (1, 1)), groups: 1, h: 56, w: 56))
        XCTAssertFalse(Winograd.applies(Conv2dGeometry(kernel: (3, 3), stride: (2, 2), padding: (1, 1)), groups: 1, h: 56, w: 56))
        XCTAssertFalse(Winograd.applies(Conv2dGeometry(kernel: (3, 3), padding: (1, 1)), groups: 32, h: 56, w: 56))
        check(x: [3, 5, 7, 9], w: [6, 5, 3, 3], stride: 1, pad: 1)
        check(x: [3, 5, 8, 5], w: [6, 5, 3, 3], stride: 1, pad: 1, scale: true, residual: true, relu: true, frozenWeight: true)
        check(x: [2, 4, 9, 6], w: [7, 4, 3, 3], stride: 1, pad: 1, bias: false, scale: true, relu: true, frozenWeight: true)
        check(x: [3, 3, 50, 47], w: [20, 3, 3, 3], stride: 1, pad: 1, scale: true, relu: true)
        check(x: [40, 2, 6, 6], w: [3, 2, 3, 3], stride: 1, pad: 1, scale: true, residual: true, relu: true)
    }
}
