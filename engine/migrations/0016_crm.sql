-- CRM (issue #14): companies and contacts (addresses, tags, notes), leads, deals through the
-- pipeline, activities and support tickets. Built on `customers` (the party that places
-- orders): a company or contact may be linked to one. Erasure anonymises rows in place
-- (`crm_contacts.erased_at`), so orders and their history keep their references.

CREATE TABLE crm_companies (
    id ID_PK,
    name TEXT NOT NULL,
    website TEXT,
    phone TEXT,
    customer_id BIGINT REFERENCES customers (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX crm_companies_customer ON crm_companies (customer_id);

CREATE TABLE crm_contacts (
    id ID_PK,
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    title TEXT,
    company_id BIGINT REFERENCES crm_companies (id),
    customer_id BIGINT REFERENCES customers (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    erased_at BIGINT
);
CREATE INDEX crm_contacts_company ON crm_contacts (company_id);
CREATE INDEX crm_contacts_customer ON crm_contacts (customer_id);
CREATE INDEX crm_contacts_email ON crm_contacts (email);

-- Addresses and tags belong to exactly one company or one contact.
CREATE TABLE crm_addresses (
    id ID_PK,
    company_id BIGINT REFERENCES crm_companies (id),
    contact_id BIGINT REFERENCES crm_contacts (id),
    position BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('billing', 'shipping', 'other')),
    line1 TEXT NOT NULL,
    line2 TEXT,
    city TEXT NOT NULL,
    region TEXT,
    postal_code TEXT,
    country TEXT NOT NULL CHECK (length(country) = 2),
    CHECK ((company_id IS NULL) <> (contact_id IS NULL))
);
CREATE INDEX crm_addresses_company ON crm_addresses (company_id);
CREATE INDEX crm_addresses_contact ON crm_addresses (contact_id);

CREATE TABLE crm_tags (
    id ID_PK,
    company_id BIGINT REFERENCES crm_companies (id),
    contact_id BIGINT REFERENCES crm_contacts (id),
    tag TEXT NOT NULL,
    CHECK ((company_id IS NULL) <> (contact_id IS NULL))
);
CREATE INDEX crm_tags_company ON crm_tags (company_id);
CREATE INDEX crm_tags_contact ON crm_tags (contact_id);
CREATE INDEX crm_tags_tag ON crm_tags (tag);

CREATE TABLE crm_notes (
    id ID_PK,
    company_id BIGINT REFERENCES crm_companies (id),
    contact_id BIGINT REFERENCES crm_contacts (id),
    body TEXT NOT NULL,
    author_id BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    CHECK ((company_id IS NULL) <> (contact_id IS NULL))
);
CREATE INDEX crm_notes_company ON crm_notes (company_id);
CREATE INDEX crm_notes_contact ON crm_notes (contact_id);

CREATE TABLE crm_leads (
    id ID_PK,
    name TEXT NOT NULL,
    company_name TEXT,
    email TEXT,
    phone TEXT,
    source TEXT NOT NULL CHECK (source IN ('website', 'referral', 'event', 'email', 'phone', 'social', 'partner', 'other')),
    status TEXT NOT NULL CHECK (status IN ('new', 'contacted', 'qualified', 'converted', 'lost')),
    owner_id BIGINT REFERENCES users (id),
    contact_id BIGINT REFERENCES crm_contacts (id),
    lost_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (status <> 'converted' OR contact_id IS NOT NULL)
);
CREATE INDEX crm_leads_status ON crm_leads (status);
CREATE INDEX crm_leads_contact ON crm_leads (contact_id);

CREATE TABLE crm_deals (
    id ID_PK,
    title TEXT NOT NULL,
    contact_id BIGINT REFERENCES crm_contacts (id),
    company_id BIGINT REFERENCES crm_companies (id),
    customer_id BIGINT REFERENCES customers (id),
    lead_id BIGINT REFERENCES crm_leads (id),
    owner_id BIGINT REFERENCES users (id),
    stage TEXT NOT NULL CHECK (stage IN ('prospecting', 'qualification', 'proposal', 'negotiation', 'won', 'lost')),
    value_minor BIGINT NOT NULL CHECK (value_minor >= 0),
    currency TEXT NOT NULL,
    probability BIGINT NOT NULL CHECK (probability BETWEEN 0 AND 100),
    expected_close_at BIGINT,
    quote_id BIGINT REFERENCES quotes (id),
    order_id BIGINT REFERENCES orders (id),
    lost_reason TEXT,
    closed_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (stage <> 'won' OR quote_id IS NOT NULL OR order_id IS NOT NULL),
    CHECK (contact_id IS NOT NULL OR company_id IS NOT NULL OR customer_id IS NOT NULL)
);
CREATE INDEX crm_deals_stage ON crm_deals (stage);
CREATE INDEX crm_deals_customer ON crm_deals (customer_id);
CREATE INDEX crm_deals_contact ON crm_deals (contact_id);

CREATE TABLE crm_activities (
    id ID_PK,
    kind TEXT NOT NULL CHECK (kind IN ('call', 'email', 'meeting', 'task')),
    subject TEXT NOT NULL,
    body TEXT,
    contact_id BIGINT REFERENCES crm_contacts (id),
    company_id BIGINT REFERENCES crm_companies (id),
    deal_id BIGINT REFERENCES crm_deals (id),
    lead_id BIGINT REFERENCES crm_leads (id),
    owner_id BIGINT REFERENCES users (id),
    due_at BIGINT,
    occurred_at BIGINT,
    done_at BIGINT,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    CHECK (kind <> 'task' OR (due_at IS NOT NULL AND owner_id IS NOT NULL)),
    CHECK (contact_id IS NOT NULL OR company_id IS NOT NULL OR deal_id IS NOT NULL OR lead_id IS NOT NULL)
);
CREATE INDEX crm_activities_contact ON crm_activities (contact_id);
CREATE INDEX crm_activities_company ON crm_activities (company_id);
CREATE INDEX crm_activities_deal ON crm_activities (deal_id);
CREATE INDEX crm_activities_owner_due ON crm_activities (owner_id, due_at);

CREATE TABLE crm_tickets (
    id ID_PK,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    contact_id BIGINT REFERENCES crm_contacts (id),
    order_id BIGINT REFERENCES orders (id),
    subject TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'pending', 'resolved', 'closed')),
    priority TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    assignee_id BIGINT REFERENCES users (id),
    opened_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    first_response_at BIGINT,
    resolved_at BIGINT,
    closed_at BIGINT
);
CREATE INDEX crm_tickets_customer ON crm_tickets (customer_id, id);
CREATE INDEX crm_tickets_status ON crm_tickets (status);
CREATE INDEX crm_tickets_order ON crm_tickets (order_id);

CREATE TABLE crm_ticket_replies (
    id ID_PK,
    ticket_id BIGINT NOT NULL REFERENCES crm_tickets (id),
    author_id BIGINT REFERENCES users (id),
    from_staff BIGINT NOT NULL CHECK (from_staff IN (0, 1)),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX crm_ticket_replies_ticket ON crm_ticket_replies (ticket_id, id);
