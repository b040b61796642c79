import FSBCore

/// The update rule of an optimizer (as in mlx-swift's optimizers, where a new optimizer is
/// its `applySingle`): which state tensors a parameter has and how one parameter moves in
/// one step. `RuleOptimizer` owns the rest.
public protocol OptimizerRule {
    /// The state tensors of every parameter, shaped like it, saved as `"<parameter>.<slot>"`
    /// (none: a stateless rule).
    var slots: [String] { get }
    /// Scalar counters (Adam's step), saved as one-element tensors by name; a saved state
    /// must hold every one.
    var counters: [String: Float] { get set }
    /// Called once at the start of each step, before the parameters.
    mutating func beginStep()
    /// Moves the weights `w` by their gradient `g`; `state` holds the parameter's slots in
    /// `slots` order (all zero on its first step, `isFirstStep`), `decay` its weight decay.
    func update(_ w: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                state: [UnsafeMutablePointer<Float>], isFirstStep: Bool, learningRate: Float, decay: Float)
}

extension OptimizerRule {
    public var counters: [String: Float] {
        get { [:] }
        set {}
    }

    public mutating func beginStep() {}
}

/// An optimizer made of an `OptimizerRule`: it owns the loop over the parameters, their
/// state tensors (created, zero, on a parameter's first step), the weight-decay coefficient
/// of each parameter's role, the constraints re-applied after the step, and the state a
/// checkpoint saves and restores.
public final class RuleOptimizer<Rule: OptimizerRule>: Optimizer {
    public private(set) var rule: Rule
    public let weightDecay: WeightDecayPolicy
    /// The slots of every parameter that has taken a step, by parameter name.
    private var state: [String: SlotStorage] = [:]

    public init(rule: Rule, weightDecay: WeightDecayPolicy = .init(coefficient: 0)) {
        self.rule = rule
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter], learningRate: Float) {
        rule.beginStep()
        let rule = self.rule, slotCount = rule.slots.count
        for parameter in parameters {
            var slots: [UnsafeMutablePointer<Float>] = []
            var isFirstStep = false
            if slotCount > 0 {
                if let existing = state[parameter.name] {
                    slots = existing.pointers
                } else {
                    let created = SlotStorage(slots: slotCount, shape: parameter.value.shape)
                    state[parameter.name] = created
                    (slots, isFirstStep) = (created.pointers, true)
                }
            }
            let decay = weightDecay.coefficient(for: parameter)
            parameter.value.storage.withUnsafeMutableBufferPointer { w in
                parameter.gradient.storage.withUnsafeBufferPointer { g in
                    rule.update(w, gradient: g, state: slots, isFirstStep: isFirstStep, learningRate: learningRate, decay: decay)
                }
            }
            parameter.applyConstraint()
        }
    }

    public func stateTensors() -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (name, value) in rule.counters { result[name] = Tensor(shape: [1], storage: [value]) }
        for (name, storage) in state {
            for (index, slot) in rule.slots.enumerated() { result["\(name).\(slot)"] = storage.tensor(index) }
        }
        return result
    }

    public func loadState(_ saved: [String: Tensor], parameters: [Parameter]) throws {
        var counters: [String: Float] = [:]
        for name in rule.counters.keys.sorted() { counters[name] = try savedSlot(saved, name, shape: [1])[0] }
        if !counters.isEmpty { rule.counters = counters }
        state = [:]
        guard let firstSlot = rule.slots.first else { return }
        for parameter in parameters where saved["\(parameter.name).\(firstSlot)"] != nil {
            let tensors = try rule.slots.map { try savedSlot(saved, "\(parameter.name).\($0)", shape: parameter.value.shape) }
            state[parameter.name] = SlotStorage(tensors)
        }
    }
}

/// One parameter's state tensors, in memory that stays put while a step reads and writes them.
private final class SlotStorage {
    let pointers: [UnsafeMutablePointer<Float>]
    let shape: [Int]
    let count: Int

    /// `slots` zero tensors of shape `shape`.
    init(slots: Int, shape: [Int]) {
        self.shape = shape
        count = shape.reduce(1, *)
        pointers = (0..<slots).map { [count] _ in
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            pointer.initialize(repeating: 0, count: count)
            return pointer
        }
    }

    /// Copies of `tensors` (all of one shape).
    convenience init(_ tensors: [Tensor]) {
        self.init(slots: tensors.count, shape: tensors.first?.shape ?? [0])
        for (pointer, tensor) in zip(pointers, tensors) {
            for i in 0..<count { pointer[i] = tensor.storage[i] }
        }
    }

    deinit { for pointer in pointers { pointer.deallocate() } }

    /// Slot `index` as a tensor.
    func tensor(_ index: Int) -> Tensor {
        Tensor(shape: shape, storage: Array(UnsafeBufferPointer(start: pointers[index], count: count)))
    }
}
