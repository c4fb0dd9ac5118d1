import Foundation

/// The y axis of a chart: from 0 (or the lowest value, when negative) to a round number, with ticks at round
/// steps (1, 2 or 5 times a power of ten), about five of them.
struct ChartScale: Sendable, Equatable {
    let minimum: Double
    let maximum: Double
    let step: Double

    /// Whole numbers only (counts) never get a step under 1.
    init(values: some Sequence<Double>, targetTicks: Int = 5) {
        var low = 0.0
        var high = 0.0
        var whole = true
        for value in values where value.isFinite {
            low = min(low, value)
            high = max(high, value)
            if value.rounded() != value { whole = false }
        }
        if high == low { high = low + 1 }
        let rough = (high - low) / Double(max(targetTicks, 1))
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let fraction = rough / magnitude
        var step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude
        if whole { step = max(step, 1) }
        self.step = step
        self.minimum = (low / step).rounded(.down) * step
        self.maximum = (high / step).rounded(.up) * step
    }

    /// Tick values, lowest first.
    var ticks: [Double] {
        let count = Int(((maximum - minimum) / step).rounded())
        return (0...count).map { minimum + Double($0) * step }
    }

    /// Where `value` sits between 0 (bottom) and 1 (top).
    func position(_ value: Double) -> Double {
        (value - minimum) / (maximum - minimum)
    }
}
