//! Does a model fit a printer's build volume, and how should it be laid down?
//!
//! Only the six axis-aligned orientations are tried (any of the model's three axes up, each with
//! or without a 90 degree turn about the vertical). The orientation as modelled wins when it fits
//! (designers usually model in print orientation); otherwise the fitting orientation with the
//! lowest height (most stable, fewest layers), ties broken in [`Orientation::ALL`] order.

use serde::{Deserialize, Serialize};

/// One of the model's own axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    X,
    Y,
    Z,
}

/// How the model is laid on the bed: which of its axes points up, and whether it is then turned
/// 90 degrees about the vertical (swapping its footprint's width and depth).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Orientation {
    pub up: Axis,
    pub quarter_turn: bool,
}

impl Orientation {
    /// As modelled: z up, no turn.
    pub const AS_MODELLED: Orientation = Orientation {
        up: Axis::Z,
        quarter_turn: false,
    };

    /// Every axis-aligned orientation, as modelled first.
    pub const ALL: [Orientation; 6] = [
        Orientation::AS_MODELLED,
        Orientation {
            up: Axis::Z,
            quarter_turn: true,
        },
        Orientation {
            up: Axis::Y,
            quarter_turn: false,
        },
        Orientation {
            up: Axis::Y,
            quarter_turn: true,
        },
        Orientation {
            up: Axis::X,
            quarter_turn: false,
        },
        Orientation {
            up: Axis::X,
            quarter_turn: true,
        },
    ];

    /// The model's size `[x, y, z]` once laid this way: `[width, depth, height]` on the bed.
    pub fn apply(self, [x, y, z]: [f64; 3]) -> [f64; 3] {
        let [w, d, h] = match self.up {
            Axis::Z => [x, y, z],
            // Tipped over about the model's x axis: its y points up, its z lies along the bed's y.
            Axis::Y => [x, z, y],
            // Tipped over about the model's y axis: its x points up, its z lies along the bed's x.
            Axis::X => [z, y, x],
        };
        if self.quarter_turn { [d, w, h] } else { [w, d, h] }
    }

    /// A short human description, e.g. "as modelled" or "x axis up, turned 90°".
    pub fn describe(self) -> String {
        if self == Orientation::AS_MODELLED {
            return "as modelled".to_string();
        }
        let axis = match self.up {
            Axis::X => "x",
            Axis::Y => "y",
            Axis::Z => "z",
        };
        if self.quarter_turn {
            format!("{axis} axis up, turned 90°")
        } else {
            format!("{axis} axis up")
        }
    }
}

/// A printer's usable build volume.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BuildVolume {
    pub x_mm: f64,
    pub y_mm: f64,
    pub z_mm: f64,
}

/// An orientation in which the model fits, and its size on the bed `[width, depth, height]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    pub rotation: Orientation,
    pub footprint_mm: [f64; 3],
}

/// Slack for exact fits (a 250 mm part in a 250 mm printer) despite float rounding.
const EPSILON_MM: f64 = 1e-6;

/// Every orientation in which a model of `size_mm` fits `volume`, in [`Orientation::ALL`] order.
pub fn fit_all(size_mm: [f64; 3], volume: &BuildVolume) -> Vec<Fit> {
    let bed = [volume.x_mm, volume.y_mm, volume.z_mm];
    if size_mm.iter().chain(&bed).any(|v| !v.is_finite() || *v < 0.0) {
        return Vec::new();
    }
    Orientation::ALL
        .into_iter()
        .map(|rotation| Fit {
            rotation,
            footprint_mm: rotation.apply(size_mm),
        })
        .filter(|f| f.footprint_mm.iter().zip(&bed).all(|(s, b)| *s <= b + EPSILON_MM))
        .collect()
}

/// The orientation to print in, or `None` when the model fits in no axis-aligned orientation.
/// As modelled if it fits, else the lowest fitting one.
pub fn fit(size_mm: [f64; 3], volume: &BuildVolume) -> Option<Fit> {
    let fits = fit_all(size_mm, volume);
    if let Some(f) = fits.iter().find(|f| f.rotation == Orientation::AS_MODELLED) {
        return Some(f.clone());
    }
    fits.into_iter().reduce(|best, f| {
        if f.footprint_mm[2] < best.footprint_mm[2] {
            f
        } else {
            best
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MK4: BuildVolume = BuildVolume {
        x_mm: 250.0,
        y_mm: 210.0,
        z_mm: 220.0,
    };

    fn describe(size: [f64; 3], volume: &BuildVolume) -> String {
        match fit(size, volume) {
            Some(f) => format!("{} {:?}", f.rotation.describe(), f.footprint_mm),
            None => "does not fit".to_string(),
        }
    }

    #[test]
    fn fit_prefers_as_modelled_then_lowest() {
        let cases = [
            ([20.0, 20.0, 20.0], "as modelled [20.0, 20.0, 20.0]"),
            ([250.0, 210.0, 220.0], "as modelled [250.0, 210.0, 220.0]"),
            // Too deep as modelled, fits turned.
            ([100.0, 240.0, 10.0], "z axis up, turned 90° [240.0, 100.0, 10.0]"),
            // Too tall: lying down on its side, lowest height first.
            ([10.0, 20.0, 240.0], "x axis up [240.0, 20.0, 10.0]"),
            ([300.0, 10.0, 10.0], "does not fit"),
            ([240.0, 240.0, 240.0], "does not fit"),
            ([f64::NAN, 1.0, 1.0], "does not fit"),
        ];
        for (size, want) in cases {
            assert_eq!(describe(size, &MK4), want, "{size:?}");
        }
        assert_eq!(fit_all([20.0, 20.0, 20.0], &MK4).len(), 6);
        assert_eq!(fit_all([10.0, 20.0, 240.0], &MK4).len(), 2);
    }

    #[test]
    fn every_orientation_is_a_permutation_of_the_size() {
        for o in Orientation::ALL {
            let mut got = o.apply([1.0, 2.0, 3.0]);
            got.sort_by(f64::total_cmp);
            assert_eq!(got, [1.0, 2.0, 3.0], "{o:?}");
        }
        let json = serde_json::to_string(&Orientation::ALL[5]).unwrap();
        assert_eq!(json, r#"{"up":"x","quarter_turn":true}"#);
    }
}
