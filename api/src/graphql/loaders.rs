//! Batched loading of relations (DataLoader pattern) and the read counter used by tests.
//!
//! async-graphql resolves the items of a list concurrently inside one task. A [`Loader`] lets
//! every item register the key it needs, yields so its siblings can do the same, and then the
//! first item to resume fetches *all* registered keys with one batch read
//! (`gantry_app::batch`, `WHERE id IN (…)`) and hands each waiter its row. So
//! `orders { lines { product } customer }` costs one read for the page, one for all lines, one
//! for all products and one for all customers, whatever the page length. Loaded this way:
//! customers, products, materials, printers, order lines, jobs and shipments by order, review
//! summaries by product, ticket replies by ticket. (Per-row fields not batched yet: `Order.statusHistory`, `Product.reviews`,
//! `Job.events`.)
//!
//! (The `dataloader` feature of async-graphql is not enabled in this workspace, so this is a
//! small equivalent with the same contract: one batch per tick, keyed by id, no cache between
//! requests.)
//!
//! Every operation has its own [`Loaders`]: the [`PerRequestLoaders`] extension puts a fresh set
//! into the request data before the operation runs (HTTP requests, each request of a batch, every
//! subscription started over WebSocket, and `Schema::execute` in tests alike). Two concurrent
//! requests therefore never share a batch: each waits only for its own keys, and each request's
//! [`QueryCounter`] counts exactly the batches its own resolvers ran.
//!
//! [`QueryCounter`]: when present in the request data, every read a resolver makes and
//! every batch a loader runs increments it. Tests use it to prove the number of reads of a
//! nested list does not grow with its length.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context as TaskContext, Poll};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest};
use async_graphql::{Context, Request, ServerResult};
use gantry_app::shipments::Shipment;
use gantry_app::{AppResult, Db, batch};
use gantry_engine::domain::catalog::{Product, RatingSummary};
use gantry_engine::domain::crm::{Reply as TicketReply, TicketId};
use gantry_engine::domain::equipment::Printer;
use gantry_engine::domain::inventory::Material;
use gantry_engine::domain::orders::OrderLine;
use gantry_engine::domain::production::Job;
use gantry_engine::domain::types::{CustomerId, MaterialId, OrderId, PrinterId, ProductId};
use gantry_engine::domain::users::Customer;
use tokio::sync::oneshot;

use super::app_error;

/// Counts store reads made for one request (put it in the request data to enable counting).
#[derive(Debug, Clone, Default)]
pub struct QueryCounter(Arc<AtomicU64>);

impl QueryCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    pub fn reset(&self) {
        self.0.store(0, Ordering::SeqCst);
    }
}

/// Records one store read for the request of `ctx` (no-op without a [`QueryCounter`]).
pub fn count(ctx: &Context<'_>) {
    if let Some(c) = ctx.data_opt::<QueryCounter>() {
        c.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// One kind of batch read.
pub trait BatchFetch: Send + Sync + 'static {
    type Key: Copy + Eq + Hash + Send + Sync + 'static;
    type Value: Clone + Send + Sync + 'static;
    fn fetch(
        db: &Db,
        keys: Vec<Self::Key>,
    ) -> impl Future<Output = AppResult<HashMap<Self::Key, Self::Value>>> + Send;
}

type Reply<V> = oneshot::Sender<async_graphql::Result<Option<V>>>;
type Waiters<F> = Vec<(<F as BatchFetch>::Key, Reply<<F as BatchFetch>::Value>)>;

/// A batching loader for one [`BatchFetch`]; one per operation (see [`PerRequestLoaders`]).
pub struct Loader<F: BatchFetch> {
    db: Db,
    pending: Mutex<Waiters<F>>,
}

/// Rounds without a new key after which a batch is considered complete.
const QUIET_ROUNDS: usize = 3;

/// Most extra yield rounds while a batch is still growing.
const MAX_ROUNDS: usize = 64;

/// Yields to the surrounding join `n` times.
struct YieldNow(u8);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        if self.0 == 0 {
            Poll::Ready(())
        } else {
            self.0 -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

impl<F: BatchFetch> Loader<F> {
    pub fn new(db: Db) -> Self {
        Loader {
            db,
            pending: Mutex::new(Vec::new()),
        }
    }

    fn pending(&self) -> MutexGuard<'_, Waiters<F>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn run(&self, ctx: &Context<'_>, batch: Waiters<F>) {
        count(ctx);
        let keys: Vec<F::Key> = batch.iter().map(|(k, _)| *k).collect();
        match F::fetch(&self.db, keys).await {
            Ok(map) => {
                for (k, reply) in batch {
                    let _ = reply.send(Ok(map.get(&k).cloned()));
                }
            }
            Err(e) => {
                let e = app_error(e);
                for (_, reply) in batch {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }

    /// Yields until the pending batch has not grown for [`QUIET_ROUNDS`] rounds.
    async fn settle(&self) {
        let mut quiet = 0;
        for _ in 0..MAX_ROUNDS {
            let before = self.pending().len();
            YieldNow(1).await;
            if self.pending().len() == before {
                quiet += 1;
                if quiet == QUIET_ROUNDS {
                    break;
                }
            } else {
                quiet = 0;
            }
        }
    }

    /// The value for `key` (`None` when there is no such row), batched with the keys its
    /// siblings ask for in the same tick.
    pub async fn load(&self, ctx: &Context<'_>, key: F::Key) -> async_graphql::Result<Option<F::Value>> {
        let (tx, rx) = oneshot::channel();
        self.pending().push((key, tx));
        // Let the siblings register their keys: yield until the batch has not grown for a few
        // rounds. No timed wait: siblings resolved in the same task register within these
        // rounds (they are polled in the same pass), and waiting on a timer cost every request
        // at least one timer tick per nesting level.
        YieldNow(3).await;
        self.settle().await;
        let batch = std::mem::take(&mut *self.pending());
        if !batch.is_empty() {
            self.run(ctx, batch).await;
        }
        // Unconstrained: tokio's cooperative budget must not delay a waiter that already has
        // its value (its next keys would then miss the next batch).
        match tokio::task::unconstrained(rx).await {
            Ok(r) => r,
            // The request that took our key was dropped before answering: load alone.
            Err(_) => {
                count(ctx);
                let mut map = F::fetch(&self.db, vec![key]).await.map_err(app_error)?;
                Ok(map.remove(&key))
            }
        }
    }
}

/// One batch read of `keys` for a whole list, made up front by a list resolver that knows
/// (from the query's look-ahead) which relations its items need; counted like a loader batch.
pub async fn prefetch<F: BatchFetch>(
    ctx: &Context<'_>,
    keys: Vec<F::Key>,
) -> async_graphql::Result<HashMap<F::Key, F::Value>> {
    let db = ctx.data::<Db>()?;
    count(ctx);
    F::fetch(db, keys).await.map_err(app_error)
}

/// Customers by id.
pub struct CustomerFetch;
impl BatchFetch for CustomerFetch {
    type Key = CustomerId;
    type Value = Customer;
    async fn fetch(db: &Db, keys: Vec<CustomerId>) -> AppResult<HashMap<CustomerId, Customer>> {
        batch::customers(db, &keys).await
    }
}

/// Products by id.
pub struct ProductFetch;
impl BatchFetch for ProductFetch {
    type Key = ProductId;
    type Value = Product;
    async fn fetch(db: &Db, keys: Vec<ProductId>) -> AppResult<HashMap<ProductId, Product>> {
        batch::products(db, &keys).await
    }
}

/// Order lines by order id.
pub struct LinesFetch;
impl BatchFetch for LinesFetch {
    type Key = OrderId;
    type Value = Vec<OrderLine>;
    async fn fetch(db: &Db, keys: Vec<OrderId>) -> AppResult<HashMap<OrderId, Vec<OrderLine>>> {
        batch::lines(db, &keys).await
    }
}

/// Jobs by order id.
pub struct JobsFetch;
impl BatchFetch for JobsFetch {
    type Key = OrderId;
    type Value = Vec<Job>;
    async fn fetch(db: &Db, keys: Vec<OrderId>) -> AppResult<HashMap<OrderId, Vec<Job>>> {
        batch::jobs(db, &keys).await
    }
}

/// Review summaries by product id.
pub struct RatingFetch;
impl BatchFetch for RatingFetch {
    type Key = ProductId;
    type Value = RatingSummary;
    async fn fetch(db: &Db, keys: Vec<ProductId>) -> AppResult<HashMap<ProductId, RatingSummary>> {
        batch::ratings(db, &keys).await
    }
}

/// Materials by id (the materials table is small: one read of all of them per batch).
pub struct MaterialFetch;
impl BatchFetch for MaterialFetch {
    type Key = MaterialId;
    type Value = Material;
    async fn fetch(db: &Db, keys: Vec<MaterialId>) -> AppResult<HashMap<MaterialId, Material>> {
        batch::materials(db, &keys).await
    }
}

/// Printers by id (one read of the farm per batch).
pub struct PrinterFetch;
impl BatchFetch for PrinterFetch {
    type Key = PrinterId;
    type Value = Printer;
    async fn fetch(db: &Db, keys: Vec<PrinterId>) -> AppResult<HashMap<PrinterId, Printer>> {
        batch::printers(db, &keys).await
    }
}

/// Ticket replies by ticket id (of tickets already shown to the caller).
pub struct RepliesFetch;
impl BatchFetch for RepliesFetch {
    type Key = TicketId;
    type Value = Vec<TicketReply>;
    async fn fetch(db: &Db, keys: Vec<TicketId>) -> AppResult<HashMap<TicketId, Vec<TicketReply>>> {
        gantry_app::crm::replies_of(db, &keys).await
    }
}

/// Shipments by order id (of orders already shown to the caller).
pub struct ShipmentsFetch;
impl BatchFetch for ShipmentsFetch {
    type Key = OrderId;
    type Value = Vec<Shipment>;
    async fn fetch(db: &Db, keys: Vec<OrderId>) -> AppResult<HashMap<OrderId, Vec<Shipment>>> {
        batch::shipments(db, &keys).await
    }
}

/// All loaders of one operation, in its request data.
pub struct Loaders {
    pub customers: Loader<CustomerFetch>,
    pub products: Loader<ProductFetch>,
    pub lines: Loader<LinesFetch>,
    pub jobs: Loader<JobsFetch>,
    pub ratings: Loader<RatingFetch>,
    pub materials: Loader<MaterialFetch>,
    pub printers: Loader<PrinterFetch>,
    pub replies: Loader<RepliesFetch>,
    pub shipments: Loader<ShipmentsFetch>,
}

impl Loaders {
    pub fn new(db: &Db) -> Self {
        Loaders {
            customers: Loader::new(db.clone()),
            products: Loader::new(db.clone()),
            lines: Loader::new(db.clone()),
            jobs: Loader::new(db.clone()),
            ratings: Loader::new(db.clone()),
            materials: Loader::new(db.clone()),
            printers: Loader::new(db.clone()),
            replies: Loader::new(db.clone()),
            shipments: Loader::new(db.clone()),
        }
    }
}

/// The loaders of the current operation.
pub fn loaders<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
    ctx.data::<Loaders>()
}

/// Schema extension giving every operation a fresh [`Loaders`] (in its request data, before
/// parsing), so that no batch is shared between requests.
pub struct PerRequestLoaders {
    db: Db,
}

impl PerRequestLoaders {
    pub fn new(db: &Db) -> Self {
        PerRequestLoaders { db: db.clone() }
    }
}

impl ExtensionFactory for PerRequestLoaders {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PerRequestLoaders { db: self.db.clone() })
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for PerRequestLoaders {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        next.run(ctx, request.data(Loaders::new(&self.db))).await
    }
}
