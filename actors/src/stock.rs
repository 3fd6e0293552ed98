//! The stock actor: one per material. Reservations, consumption, release and partial use are
//! committed with the job transitions that cause them (`gantry_app::agent`); this actor re-reads the
//! material's level after a change and raises low stock (a warning in the log and
//! `low` in its state).

use actix::prelude::*;
use gantry_app::Db;
use gantry_engine::domain::inventory::StockLevel;
use gantry_engine::domain::types::MaterialId;

use crate::messages::Shutdown;

pub struct StockActor {
    id: MaterialId,
    db: Db,
    level: Option<StockLevel>,
}

impl StockActor {
    pub fn new(id: MaterialId, db: Db) -> StockActor {
        StockActor { id, db, level: None }
    }
}

impl Actor for StockActor {
    type Context = Context<Self>;
}

impl Supervised for StockActor {}

/// The material's stock changed: re-read it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StockTouched;

/// The last level read.
#[derive(Message)]
#[rtype(result = "Option<StockLevel>")]
pub struct GetLevel;

impl Handler<StockTouched> for StockActor {
    type Result = ();

    fn handle(&mut self, _: StockTouched, ctx: &mut Context<Self>) {
        let (db, id) = (self.db.clone(), self.id);
        let fut = async move { gantry_app::agent::stock_level(&db, id).await };
        ctx.wait(fut.into_actor(self).map(|res, act, _| match res {
            Ok(level) => {
                let was_low = act.level.as_ref().is_some_and(|l| l.low);
                if level.low && !was_low {
                    tracing::warn!(material = %level.code, available = level.available, threshold = level.low_stock_grams, "low stock");
                }
                act.level = Some(level);
            }
            Err(e) => tracing::warn!(material = %act.id, error = %e, "cannot read the stock level"),
        }));
    }
}

impl Handler<GetLevel> for StockActor {
    type Result = MessageResult<GetLevel>;

    fn handle(&mut self, _: GetLevel, _ctx: &mut Context<Self>) -> Self::Result {
        MessageResult(self.level.clone())
    }
}

impl Handler<Shutdown> for StockActor {
    type Result = ();

    fn handle(&mut self, _: Shutdown, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}
