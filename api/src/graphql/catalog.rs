//! Catalog: categories (a tree), products and reviews. Browsing is public; writing needs
//! `catalog:write`; reviews need `reviews:write` and are written as the caller's customer.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use gantry_app::catalog::ReviewRequest;
use gantry_app::{Db, catalog};
use gantry_engine::domain::catalog::{
    Category, CategoryNode, NewCategory, NewProduct, Product, ProductPatch, ProductionSpec, Review,
};
use gantry_engine::domain::types::{CategoryId, CustomerId, MaterialId, ProductId};
use gantry_engine::domain::users::Permission;

use super::connection::{Conn, IdOrder, MoneyInput, MoneyObj, PageArgs, Ts, id_arg};
use super::error::app_error;
use super::inventory::MaterialNode;
use super::loaders::{count, loaders};
use super::orders::ProductionSpecInput;
use super::principal::{PermissionGuard, caller, principal};

/// A category.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Category")]
pub struct CategoryObj {
    pub id: ID,
    pub parent_id: Option<ID>,
    pub name: String,
    pub slug: String,
}

impl From<Category> for CategoryObj {
    fn from(c: Category) -> Self {
        CategoryObj {
            id: ID(c.id.0.to_string()),
            parent_id: c.parent_id.map(|p| ID(p.0.to_string())),
            name: c.name,
            slug: c.slug,
        }
    }
}

/// A category with its sub-categories.
#[derive(SimpleObject, Debug, Clone)]
pub struct CategoryTreeNode {
    pub category: CategoryObj,
    pub children: Vec<CategoryTreeNode>,
}

impl From<CategoryNode> for CategoryTreeNode {
    fn from(n: CategoryNode) -> Self {
        CategoryTreeNode {
            category: n.category.into(),
            children: n.children.into_iter().map(Into::into).collect(),
        }
    }
}

/// A product of the catalog.
pub struct ProductNode(pub Product);

/// A product of the catalog.
#[Object(name = "Product")]
impl ProductNode {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn category_id(&self) -> Option<ID> {
        self.0.category_id.map(|c| ID(c.0.to_string()))
    }
    async fn model_ref(&self) -> Option<&str> {
        self.0.model_ref.as_deref()
    }
    /// The stored model this product prints from (`setProductModel`), if linked.
    async fn model_id(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ID>> {
        super::printing::product_model_id(ctx, self.0.id).await
    }
    /// The linked model with its analysis; null when unlinked or not visible to the caller.
    async fn model(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<super::printing::ModelNode>> {
        super::printing::product_model(ctx, self.0.id).await
    }
    async fn default_material_id(&self) -> ID {
        ID(self.0.default_material_id.0.to_string())
    }
    async fn default_material(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<MaterialNode>> {
        Ok(loaders(ctx)?
            .materials
            .load(ctx, self.0.default_material_id)
            .await?
            .map(MaterialNode))
    }
    async fn price(&self) -> MoneyObj {
        self.0.price.into()
    }
    async fn grams_per_unit(&self) -> i64 {
        self.0.production.grams_per_unit
    }
    async fn print_minutes_per_unit(&self) -> i64 {
        self.0.production.print_minutes_per_unit
    }
    async fn copies_per_plate(&self) -> i64 {
        self.0.production.copies_per_plate
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn created_at(&self) -> Ts {
        Ts(self.0.created_at)
    }
    async fn updated_at(&self) -> Ts {
        Ts(self.0.updated_at)
    }
    async fn reviews(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ReviewObj>> {
        count(ctx);
        let r = catalog::reviews(ctx.data::<Db>()?, self.0.id)
            .await
            .map_err(app_error)?;
        Ok(r.into_iter().map(Into::into).collect())
    }
    /// Number of reviews and average stars.
    async fn rating(&self, ctx: &Context<'_>) -> async_graphql::Result<Rating> {
        let id = self.0.id;
        let r = match loaders(ctx)?.ratings.load(ctx, id).await? {
            Some(r) => r,
            None => {
                count(ctx);
                catalog::rating(ctx.data::<Db>()?, id).await.map_err(app_error)?
            }
        };
        Ok(Rating {
            count: r.count,
            average: r.average,
        })
    }
}

/// Review statistics of a product.
#[derive(SimpleObject, Debug, Clone)]
pub struct Rating {
    pub count: i64,
    pub average: Option<f64>,
}

/// A customer's review of a product. The reviewer's customer id is shown only to callers who
/// may see that customer (staff with `orders:read_all`, or the reviewer).
pub struct ReviewObj(pub Review);

/// A customer's review of a product. The reviewer's customer id is shown only to callers who
/// may see that customer (staff with `orders:read_all`, or the reviewer).
#[Object(name = "Review")]
impl ReviewObj {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }
    async fn product_id(&self) -> ID {
        ID(self.0.product_id.0.to_string())
    }
    async fn customer_id(&self, ctx: &Context<'_>) -> Option<ID> {
        principal(ctx)
            .ok()
            .filter(|p| p.may_see_customer(self.0.customer_id))
            .map(|_| ID(self.0.customer_id.0.to_string()))
    }
    async fn rating(&self) -> i64 {
        self.0.rating
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn created_at(&self) -> Ts {
        Ts(self.0.created_at)
    }
}

impl From<Review> for ReviewObj {
    fn from(r: Review) -> Self {
        ReviewObj(r)
    }
}

fn sees_inactive(ctx: &Context<'_>) -> bool {
    principal(ctx).is_ok_and(|p| p.can(Permission::CatalogWrite))
}

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// Products, by id. Inactive products are listed only for `catalog:write`.
    #[allow(clippy::too_many_arguments)]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        order_by: Option<IdOrder>,
        category_id: Option<ID>,
        active: Option<bool>,
    ) -> async_graphql::Result<Conn<ProductNode>> {
        let page = PageArgs::new(first, after, last, before, order_by).check()?;
        let category_id = category_id
            .as_ref()
            .map(|c| id_arg(c, "category").map(CategoryId))
            .transpose()?;
        count(ctx);
        let all = catalog::products(ctx.data::<Db>()?, category_id, active, sees_inactive(ctx))
            .await
            .map_err(app_error)?;
        Ok(page.slice(all, |p| p.id.0, ProductNode))
    }

    /// One product (an inactive one is `NOT_FOUND` unless the caller has `catalog:write`).
    async fn product(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ProductNode> {
        let id = ProductId(id_arg(&id, "product")?);
        count(ctx);
        let p = catalog::product(ctx.data::<Db>()?, id, sees_inactive(ctx))
            .await
            .map_err(app_error)?;
        Ok(ProductNode(p))
    }

    /// All categories, flat, by id.
    async fn categories(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CategoryObj>> {
        count(ctx);
        let all = catalog::categories(ctx.data::<Db>()?).await.map_err(app_error)?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// The category tree (roots with their children).
    async fn category_tree(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CategoryTreeNode>> {
        count(ctx);
        let tree = catalog::category_tree(ctx.data::<Db>()?)
            .await
            .map_err(app_error)?;
        Ok(tree.into_iter().map(Into::into).collect())
    }

    /// The reviews of a product.
    async fn reviews(&self, ctx: &Context<'_>, product_id: ID) -> async_graphql::Result<Vec<ReviewObj>> {
        let id = ProductId(id_arg(&product_id, "product")?);
        count(ctx);
        let r = catalog::reviews(ctx.data::<Db>()?, id).await.map_err(app_error)?;
        Ok(r.into_iter().map(Into::into).collect())
    }
}

#[derive(InputObject, Debug, Clone)]
pub struct CreateCategoryInput {
    pub parent_id: Option<ID>,
    pub name: String,
    pub slug: String,
}

#[derive(InputObject, Debug, Clone)]
pub struct CreateProductInput {
    pub sku: String,
    pub name: String,
    #[graphql(default)]
    pub description: String,
    pub category_id: Option<ID>,
    pub model_ref: Option<String>,
    pub default_material_id: ID,
    pub price: MoneyInput,
    pub production: ProductionSpecInput,
}

/// Fields to change; omitted fields stay as they are.
#[derive(InputObject, Debug, Clone, Default)]
pub struct UpdateProductInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub category_id: Option<ID>,
    /// Set to true to remove the category.
    #[graphql(default)]
    pub clear_category: bool,
    pub model_ref: Option<String>,
    pub default_material_id: Option<ID>,
    pub price: Option<MoneyInput>,
    pub production: Option<ProductionSpecInput>,
    pub active: Option<bool>,
}

#[derive(Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    #[graphql(guard = "PermissionGuard(Permission::CatalogWrite)")]
    async fn create_category(
        &self,
        ctx: &Context<'_>,
        input: CreateCategoryInput,
    ) -> async_graphql::Result<CategoryObj> {
        let new = NewCategory {
            parent_id: input
                .parent_id
                .as_ref()
                .map(|c| id_arg(c, "category").map(CategoryId))
                .transpose()?,
            name: input.name,
            slug: input.slug,
        };
        let c = catalog::create_category(ctx.data::<Db>()?, gantry_app::now(), &new)
            .await
            .map_err(app_error)?;
        Ok(c.into())
    }

    #[graphql(guard = "PermissionGuard(Permission::CatalogWrite)")]
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> async_graphql::Result<ProductNode> {
        let new = NewProduct {
            sku: input.sku,
            name: input.name,
            description: input.description,
            category_id: input
                .category_id
                .as_ref()
                .map(|c| id_arg(c, "category").map(CategoryId))
                .transpose()?,
            model_ref: input.model_ref,
            default_material_id: MaterialId(id_arg(&input.default_material_id, "material")?),
            price: input.price.to_money()?,
            production: ProductionSpec::from(&input.production),
        };
        let p = catalog::create_product(ctx.data::<Db>()?, gantry_app::now(), &new)
            .await
            .map_err(app_error)?;
        Ok(ProductNode(p))
    }

    #[graphql(guard = "PermissionGuard(Permission::CatalogWrite)")]
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProductInput,
    ) -> async_graphql::Result<ProductNode> {
        let id = ProductId(id_arg(&id, "product")?);
        let category = input
            .category_id
            .as_ref()
            .map(|c| id_arg(c, "category").map(CategoryId))
            .transpose()?;
        let patch = ProductPatch {
            name: input.name,
            description: input.description,
            category_id: if input.clear_category {
                Some(None)
            } else {
                category.map(Some)
            },
            model_ref: input.model_ref.map(Some),
            default_material_id: input
                .default_material_id
                .as_ref()
                .map(|m| id_arg(m, "material").map(MaterialId))
                .transpose()?,
            price: input.price.as_ref().map(MoneyInput::to_money).transpose()?,
            production: input.production.as_ref().map(Into::into),
            active: input.active,
        };
        let p = catalog::update_product(ctx.data::<Db>()?, gantry_app::now(), id, &patch)
            .await
            .map_err(app_error)?;
        Ok(ProductNode(p))
    }

    #[graphql(guard = "PermissionGuard(Permission::CatalogWrite)")]
    async fn deactivate_product(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ProductNode> {
        let id = ProductId(id_arg(&id, "product")?);
        let p = catalog::deactivate_product(ctx.data::<Db>()?, gantry_app::now(), id)
            .await
            .map_err(app_error)?;
        Ok(ProductNode(p))
    }

    /// Reviews a product the caller's customer has received. Customer accounts always review
    /// as themselves; `customerId` is for staff acting on a customer's behalf.
    #[graphql(guard = "PermissionGuard(Permission::ReviewsWrite)")]
    async fn add_review(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        rating: i64,
        #[graphql(default)] body: String,
        customer_id: Option<ID>,
    ) -> async_graphql::Result<ReviewObj> {
        let caller = caller(ctx)?;
        let req = ReviewRequest {
            customer_id: customer_id
                .as_ref()
                .map(|c| id_arg(c, "customer").map(CustomerId))
                .transpose()?,
            product_id: ProductId(id_arg(&product_id, "product")?),
            rating,
            body,
        };
        let r = catalog::add_review(ctx.data::<Db>()?, gantry_app::now(), &caller, req)
            .await
            .map_err(app_error)?;
        Ok(r.into())
    }
}
