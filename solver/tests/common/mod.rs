//! Shared by the solver's integration tests.

use gantry_solver::ObjectiveWeights;

/// Makespan; tardiness + 0.1 × setup minutes (the benchmark farm); a mix of all three.
pub const OBJECTIVES: [ObjectiveWeights; 3] = [
    ObjectiveWeights {
        makespan: 1.0,
        weighted_tardiness: 0.0,
        setups: 0.0,
    },
    ObjectiveWeights {
        makespan: 0.0,
        weighted_tardiness: 1.0,
        setups: 0.1,
    },
    ObjectiveWeights {
        makespan: 0.5,
        weighted_tardiness: 1.0,
        setups: 1.0,
    },
];
