import Hiredis

extension RedisHyperLogLog {
    /// 1 / (2·ln 2), the bias correction of the estimator for an unbounded number of registers (Redis'
    /// `HLL_ALPHA_INF`).
    static let alphaInfinity = 0.721347520444481703680

    /// The estimated number of distinct members: exactly what `PFCOUNT` replies for a key holding these registers,
    /// and for several keys whose merge they are.
    ///
    /// The estimator is Redis 7's (Otmar Ertl's improved estimator, arXiv:1702.01284): from the histogram of the
    /// register values, a sum over the values from the highest down, the corrections σ for the registers at 0 and
    /// τ for those at the maximum, then `α∞·m²/z` rounded to the nearest integer, halves away from zero. Every step
    /// is a `Double` operation in Redis' order, so the result agrees to the last unit. (Redis rounds with
    /// `llroundl`, on a `long double`, but the quotient it rounds is a `double`: widening it is exact, and rounding
    /// the `Double` gives the same integer.)
    ///
    /// An estimate of 2⁶³ or more (no real set is that large: only crafted registers, nearly all at the maximum, get
    /// there) is reported as `Int64.min`, which is what Redis 7.0 on x86-64 replies, its `llroundl` overflowing.
    ///
    /// Runs over the 16,384 registers once; no I/O.
    public func count() -> Int64 {
        var histogram = [Int](repeating: 0, count: Self.maximumRegisterValue + 1)
        var zeros = 0
        for word in words {
            if word == 0 {
                zeros += 8
                continue
            }
            var rest = word
            for _ in 0..<8 {
                histogram[Int(truncatingIfNeeded: rest & 0xFF)] += 1
                rest >>= 8
            }
        }
        histogram[0] += zeros
        return Self.estimate(histogram: histogram)
    }

    /// The estimate from `histogram[v]`, the number of registers at `v`, for `v` in `0...maximumRegisterValue`.
    static func estimate(histogram: [Int]) -> Int64 {
        let m = Double(registerCount)
        let top = maximumRegisterValue
        var z = m * tau((m - Double(histogram[top])) / m)
        for value in stride(from: top - 1, through: 1, by: -1) {
            z += Double(histogram[value])
            z *= 0.5
        }
        z += m * sigma(Double(histogram[0]) / m)
        let rounded = (alphaInfinity * m * m / z).rounded(.toNearestOrAwayFromZero)
        // z is 0 (an infinite quotient) or tiny only when nearly every register is at the maximum. Redis' llroundl
        // overflows there and yields the 64-bit minimum (checked against redis-server 7.0.15 on x86-64).
        guard rounded < 0x1p63 else { return .min }
        return Int64(rounded)
    }

    /// σ(x) = x + Σₖ≥₁ x^(2ᵏ)·2^(k−1), summed until adding a term no longer changes the sum; infinite at x = 1 (every
    /// register at 0, which makes the estimate 0).
    static func sigma(_ x: Double) -> Double {
        if x == 1 { return .infinity }
        var power = x
        var weight = 1.0
        var sum = x
        while true {
            power *= power
            let next = sum + power * weight
            weight += weight
            if next == sum { return sum }
            sum = next
        }
    }

    /// τ(x) = (1 − x − Σₖ≥₁ (1 − x^(2⁻ᵏ))²·2⁻ᵏ) / 3, summed until subtracting a term no longer changes the sum; 0 at
    /// x = 0 and x = 1.
    ///
    /// The square is a product, `d * d`: Redis writes `pow(d, 2)`, which its compiler turns into the same
    /// product, rounded once.
    static func tau(_ x: Double) -> Double {
        if x == 0 || x == 1 { return 0 }
        var root = x
        var weight = 1.0
        var sum = 1 - x
        while true {
            root = root.squareRoot()
            weight *= 0.5
            let distance = 1 - root
            let next = sum - distance * distance * weight
            if next == sum { return sum / 3 }
            sum = next
        }
    }
}
