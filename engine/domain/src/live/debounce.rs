//! Re-plan requests: a burst causes one solve.

/// Debounces re-plan requests: the first request of a burst arms a timer of `window_ms`;
/// requests while it is armed join it; requests during a solve cause exactly one more solve
/// after it. Times are milliseconds of any monotonic clock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Debouncer {
    /// When the armed timer fires.
    due_at: Option<i64>,
    solving: bool,
    /// A request arrived during the solve.
    again: bool,
}

/// What the caller must do after telling the [`Debouncer`] something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebounceAction {
    /// Nothing (the request joined a pending or running solve).
    Wait,
    /// Arm a timer to call [`Debouncer::fire`] at this time.
    ArmAt(i64),
    /// Solve now.
    Solve,
}

impl Debouncer {
    /// A re-plan was requested at `now`.
    pub fn request(&mut self, now: i64, window_ms: i64) -> DebounceAction {
        if self.solving {
            self.again = true;
            return DebounceAction::Wait;
        }
        if self.due_at.is_some() {
            return DebounceAction::Wait;
        }
        let at = now.saturating_add(window_ms.max(0));
        self.due_at = Some(at);
        DebounceAction::ArmAt(at)
    }

    /// The timer fired: solve if one was armed.
    pub fn fire(&mut self) -> DebounceAction {
        if self.due_at.take().is_some() && !self.solving {
            self.solving = true;
            DebounceAction::Solve
        } else {
            DebounceAction::Wait
        }
    }

    /// A solve requested directly (e.g. `replanNow`) begins: any armed timer is absorbed.
    pub fn begin_now(&mut self) {
        self.due_at = None;
        self.solving = true;
    }

    /// The solve finished at `now`: arm again if requests came in meanwhile.
    pub fn done(&mut self, now: i64, window_ms: i64) -> DebounceAction {
        self.solving = false;
        if std::mem::take(&mut self.again) {
            self.request(now, window_ms)
        } else {
            DebounceAction::Wait
        }
    }

    pub fn is_solving(&self) -> bool {
        self.solving
    }
}
