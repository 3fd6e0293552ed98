//! The caller's own profile: name; for customers also company, phone and addresses (kept on
//! their CRM contact). Translation only: the rules are in `gantry_app::profile`.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use gantry_app::Db;
use gantry_app::profile::{self as app_profile, Profile, ProfileChange};

use super::crm::types::{AddressInput, AddressObj};
use super::error::app_error;
use super::orders::CustomerNode;
use super::principal::principal;
use super::users::{UserOut, interactive};

/// What the signed-in user sees and edits about themselves.
#[derive(SimpleObject)]
#[graphql(name = "Profile")]
pub struct ProfileOut {
    pub user: UserOut,
    /// The customer record of a customer account (null for staff).
    pub customer: Option<CustomerNode>,
    /// The customer's phone (on the CRM contact they order as).
    pub phone: Option<String>,
    /// The customer's addresses, in the order given (empty for staff).
    pub addresses: Vec<AddressObj>,
}

impl From<Profile> for ProfileOut {
    fn from(p: Profile) -> Self {
        let (phone, addresses) = match p.contact {
            Some(c) => (c.phone, c.addresses.into_iter().map(Into::into).collect()),
            None => (None, vec![]),
        };
        ProfileOut {
            user: p.user.into(),
            customer: p.customer.map(CustomerNode),
            phone,
            addresses,
        }
    }
}

/// A change of one's own profile.
#[derive(InputObject)]
pub struct ProfileInput {
    /// Your name (on your account and, for customers, on your orders).
    pub name: String,
    /// Customers only.
    pub company: Option<String>,
    /// Customers only.
    pub phone: Option<String>,
    /// Customers only; replaces the addresses kept (at most 10).
    #[graphql(default)]
    pub addresses: Vec<AddressInput>,
}

#[derive(Default)]
pub struct ProfileQuery;

#[Object]
impl ProfileQuery {
    /// The caller's profile.
    async fn my_profile(&self, ctx: &Context<'_>) -> async_graphql::Result<ProfileOut> {
        let p = principal(ctx)?;
        let profile = app_profile::profile(ctx.data::<Db>()?, p.user_id)
            .await
            .map_err(app_error)?;
        Ok(profile.into())
    }
}

#[derive(Default)]
pub struct ProfileMutation;

#[Object]
impl ProfileMutation {
    /// Changes the caller's profile (signed in interactively, not with an API token). Staff
    /// may change only their name (customer fields: `PROFILE_CUSTOMER_ONLY`); a blank name,
    /// a bad country or phone is refused with its code and nothing is written.
    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        input: ProfileInput,
    ) -> async_graphql::Result<ProfileOut> {
        let me = interactive(ctx)?;
        let change = ProfileChange {
            name: input.name,
            company: input.company,
            phone: input.phone,
            addresses: input.addresses.into_iter().map(Into::into).collect(),
        };
        let profile = app_profile::update_profile(ctx.data::<Db>()?, gantry_app::now(), me, &change)
            .await
            .map_err(app_error)?;
        Ok(profile.into())
    }
}
