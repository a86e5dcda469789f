//! The standard objects every org has, with their standard fields, and the fields published by
//! default when an object is published.
//!
//! The API names follow the S2S ones so that people migrating recognise them. Three standard
//! fields have a type that cannot be published, so that the refusal can be shown on standard
//! objects too (they are our names, not S2S ones): `Account.BillingLocation` (geolocation, the
//! geocode of the billing address), `Contact.NationalIdentifier` (encrypted text) and
//! `Product2.DisplayDescription` (rich text, the description shown in a catalogue).
//!
//! `parent`: a child object follows its parent record. Opportunity Product's parent is
//! Opportunity, Price Book Entry's is Price Book, Case Comment's is Case. Task and Attachment
//! hang off a record of any object (`WhatId`, `ParentId` are polymorphic lookups), so their
//! parent is [`ANY_PARENT`] (`"*"`), and so is the object of those lookups.

use super::field::{FieldDef, FieldType};
use super::object::ObjectDef;

/// The `parent` of a child object whose parent record may be of any object (Task, Attachment),
/// and the `object` of a polymorphic lookup (`Task.WhatId`, `Attachment.ParentId`).
pub const ANY_PARENT: &str = "*";

/// Objects that exist in every org but can never be published (design note §3).
const NOT_PUBLISHABLE: [&str; 2] = ["Pricebook2", "PricebookEntry"];

/// Every standard object: Account, Contact, Lead, Opportunity, OpportunityLineItem
/// (Opportunity Product), Product2, Pricebook2, PricebookEntry, Case, CaseComment, Task,
/// Attachment; with their standard fields.
pub fn objects() -> Vec<ObjectDef> {
    vec![
        account(),
        contact(),
        lead(),
        opportunity(),
        opportunity_line_item(),
        product(),
        pricebook(),
        pricebook_entry(),
        case(),
        case_comment(),
        task(),
        attachment(),
    ]
}

/// One standard object by API name.
pub fn object(api_name: &str) -> Option<ObjectDef> {
    objects().into_iter().find(|o| o.api_name == api_name)
}

/// Whether `api_name` names a standard object.
pub fn is_standard(api_name: &str) -> bool {
    object(api_name).is_some()
}

/// The fields published by default with an object (design note §3): Account: Name; Contact:
/// LastName; ...; a custom object: Name. Empty for an object that cannot be published. Only
/// fields the object has are returned (a custom object without a `Name` field has none).
pub fn default_published_fields(object: &ObjectDef) -> Vec<String> {
    if !is_publishable_object(object) {
        return Vec::new();
    }
    let defaults: &[&str] = if object.custom {
        &["Name"]
    } else {
        match object.api_name.as_str() {
            "Account" => &["Name"],
            "Contact" => &["LastName"],
            "Lead" => &["LastName", "Company"],
            "Opportunity" => &["Name", "CloseDate", "StageName"],
            "OpportunityLineItem" => &["Quantity", "UnitPrice"],
            "Product2" => &["Name"],
            "Case" => &["Subject"],
            "CaseComment" => &["CommentBody", "IsPublished"],
            "Task" => &["Subject"],
            "Attachment" => &["Body", "ContentType", "Name"],
            _ => &[],
        }
    };
    defaults
        .iter()
        .filter(|name| object.field(name).is_some())
        .map(|name| (*name).to_string())
        .collect()
}

/// Whether the object can be published at all (Price Book and its entries cannot).
pub fn is_publishable_object(object: &ObjectDef) -> bool {
    object.custom || !NOT_PUBLISHABLE.contains(&object.api_name.as_str())
}

// ---- field builders: short, so that each object reads as a list of its fields ----

fn field(api_name: &str, label: &str, field_type: FieldType) -> FieldDef {
    FieldDef {
        api_name: api_name.to_string(),
        label: label.to_string(),
        field_type,
        required: false,
        min: None,
        max: None,
        custom: false,
    }
}

fn required(mut f: FieldDef) -> FieldDef {
    f.required = true;
    f
}

fn range(mut f: FieldDef, min: f64, max: f64) -> FieldDef {
    f.min = Some(min);
    f.max = Some(max);
    f
}

fn text(api_name: &str, label: &str, max_length: u32) -> FieldDef {
    field(api_name, label, FieldType::Text { max_length })
}

fn long_text(api_name: &str, label: &str, max_length: u32) -> FieldDef {
    field(api_name, label, FieldType::LongText { max_length })
}

fn number(api_name: &str, label: &str, precision: u8, scale: u8) -> FieldDef {
    field(api_name, label, FieldType::Number { precision, scale })
}

fn currency(api_name: &str, label: &str) -> FieldDef {
    field(
        api_name,
        label,
        FieldType::Currency {
            precision: 18,
            scale: 2,
        },
    )
}

fn percent(api_name: &str, label: &str) -> FieldDef {
    range(
        field(
            api_name,
            label,
            FieldType::Percent {
                precision: 5,
                scale: 2,
            },
        ),
        0.0,
        100.0,
    )
}

fn picklist(api_name: &str, label: &str, values: &[&str], restricted: bool) -> FieldDef {
    field(
        api_name,
        label,
        FieldType::Picklist {
            values: values.iter().map(|v| (*v).to_string()).collect(),
            restricted,
        },
    )
}

fn lookup(api_name: &str, label: &str, object: &str) -> FieldDef {
    field(
        api_name,
        label,
        FieldType::Lookup {
            object: object.to_string(),
        },
    )
}

fn simple(api_name: &str, label: &str, field_type: FieldType) -> FieldDef {
    field(api_name, label, field_type)
}

fn standard_object(
    api_name: &str,
    label: &str,
    parent: Option<&str>,
    fields: Vec<FieldDef>,
) -> ObjectDef {
    ObjectDef {
        api_name: api_name.to_string(),
        label: label.to_string(),
        custom: false,
        parent: parent.map(str::to_string),
        fields,
    }
}

const INDUSTRIES: [&str; 12] = [
    "Agriculture",
    "Banking",
    "Construction",
    "Education",
    "Energy",
    "Finance",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Technology",
    "Telecommunications",
    "Other",
];

const RATINGS: [&str; 3] = ["Hot", "Warm", "Cold"];

const LEAD_SOURCES: [&str; 5] = [
    "Web",
    "Phone Inquiry",
    "Partner Referral",
    "Purchased List",
    "Other",
];

fn account() -> ObjectDef {
    standard_object(
        "Account",
        "Account",
        None,
        vec![
            required(text("Name", "Account Name", 255)),
            text("AccountNumber", "Account Number", 40),
            lookup("ParentId", "Parent Account", "Account"),
            picklist(
                "Type",
                "Type",
                &[
                    "Prospect",
                    "Customer - Direct",
                    "Customer - Channel",
                    "Channel Partner / Reseller",
                    "Installation Partner",
                    "Technology Partner",
                    "Other",
                ],
                false,
            ),
            picklist("Industry", "Industry", &INDUSTRIES, false),
            picklist("Rating", "Account Rating", &RATINGS, false),
            currency("AnnualRevenue", "Annual Revenue"),
            range(
                number("NumberOfEmployees", "Employees", 8, 0),
                0.0,
                99_999_999.0,
            ),
            simple("Phone", "Account Phone", FieldType::Phone),
            simple("Fax", "Account Fax", FieldType::Phone),
            simple("Website", "Website", FieldType::Url),
            text("TickerSymbol", "Ticker Symbol", 20),
            long_text("Description", "Account Description", 32_000),
            long_text("BillingStreet", "Billing Street", 255),
            text("BillingCity", "Billing City", 40),
            text("BillingState", "Billing State/Province", 80),
            text("BillingPostalCode", "Billing Zip/Postal Code", 20),
            text("BillingCountry", "Billing Country", 80),
            simple(
                "BillingLocation",
                "Billing Location",
                FieldType::Geolocation,
            ),
            long_text("ShippingStreet", "Shipping Street", 255),
            text("ShippingCity", "Shipping City", 40),
            text("ShippingState", "Shipping State/Province", 80),
            text("ShippingPostalCode", "Shipping Zip/Postal Code", 20),
            text("ShippingCountry", "Shipping Country", 80),
        ],
    )
}

fn contact() -> ObjectDef {
    standard_object(
        "Contact",
        "Contact",
        None,
        vec![
            picklist(
                "Salutation",
                "Salutation",
                &["Mr.", "Ms.", "Mrs.", "Dr.", "Prof."],
                false,
            ),
            text("FirstName", "First Name", 40),
            required(text("LastName", "Last Name", 80)),
            lookup("AccountId", "Account Name", "Account"),
            text("Title", "Title", 128),
            text("Department", "Department", 80),
            simple("Email", "Email", FieldType::Email),
            simple("Phone", "Business Phone", FieldType::Phone),
            simple("MobilePhone", "Mobile Phone", FieldType::Phone),
            simple("Birthdate", "Birthdate", FieldType::Date),
            picklist("LeadSource", "Lead Source", &LEAD_SOURCES, false),
            simple("HasOptedOutOfEmail", "Email Opt Out", FieldType::Checkbox),
            long_text("MailingStreet", "Mailing Street", 255),
            text("MailingCity", "Mailing City", 40),
            text("MailingState", "Mailing State/Province", 80),
            text("MailingPostalCode", "Mailing Zip/Postal Code", 20),
            text("MailingCountry", "Mailing Country", 80),
            long_text("Description", "Contact Description", 32_000),
            simple(
                "NationalIdentifier",
                "National Identifier",
                FieldType::Encrypted { max_length: 175 },
            ),
        ],
    )
}

fn lead() -> ObjectDef {
    standard_object(
        "Lead",
        "Lead",
        None,
        vec![
            text("FirstName", "First Name", 40),
            required(text("LastName", "Last Name", 80)),
            required(text("Company", "Company", 255)),
            text("Title", "Title", 128),
            simple("Email", "Email", FieldType::Email),
            simple("Phone", "Phone", FieldType::Phone),
            simple("Website", "Website", FieldType::Url),
            picklist(
                "Status",
                "Lead Status",
                &[
                    "Open - Not Contacted",
                    "Working - Contacted",
                    "Closed - Converted",
                    "Closed - Not Converted",
                ],
                true,
            ),
            picklist("LeadSource", "Lead Source", &LEAD_SOURCES, false),
            picklist("Industry", "Industry", &INDUSTRIES, false),
            picklist("Rating", "Rating", &RATINGS, false),
            currency("AnnualRevenue", "Annual Revenue"),
            range(
                number("NumberOfEmployees", "No. of Employees", 8, 0),
                0.0,
                99_999_999.0,
            ),
            long_text("Street", "Street", 255),
            text("City", "City", 40),
            text("State", "State/Province", 80),
            text("PostalCode", "Zip/Postal Code", 20),
            text("Country", "Country", 80),
            long_text("Description", "Description", 32_000),
        ],
    )
}

fn opportunity() -> ObjectDef {
    standard_object(
        "Opportunity",
        "Opportunity",
        None,
        vec![
            required(text("Name", "Opportunity Name", 120)),
            lookup("AccountId", "Account Name", "Account"),
            required(simple("CloseDate", "Close Date", FieldType::Date)),
            required(picklist(
                "StageName",
                "Stage",
                &[
                    "Prospecting",
                    "Qualification",
                    "Needs Analysis",
                    "Value Proposition",
                    "Id. Decision Makers",
                    "Perception Analysis",
                    "Proposal/Price Quote",
                    "Negotiation/Review",
                    "Closed Won",
                    "Closed Lost",
                ],
                true,
            )),
            currency("Amount", "Amount"),
            percent("Probability", "Probability (%)"),
            picklist(
                "Type",
                "Type",
                &[
                    "Existing Customer - Upgrade",
                    "Existing Customer - Replacement",
                    "Existing Customer - Downgrade",
                    "New Customer",
                ],
                false,
            ),
            picklist("LeadSource", "Lead Source", &LEAD_SOURCES, false),
            text("NextStep", "Next Step", 255),
            lookup("Pricebook2Id", "Price Book", "Pricebook2"),
            long_text("Description", "Description", 32_000),
        ],
    )
}

fn opportunity_line_item() -> ObjectDef {
    standard_object(
        "OpportunityLineItem",
        "Opportunity Product",
        Some("Opportunity"),
        vec![
            required(lookup("OpportunityId", "Opportunity", "Opportunity")),
            required(lookup("Product2Id", "Product", "Product2")),
            lookup("PricebookEntryId", "Price Book Entry", "PricebookEntry"),
            required(range(
                number("Quantity", "Quantity", 12, 2),
                0.0,
                9_999_999_999.99,
            )),
            currency("UnitPrice", "Sales Price"),
            percent("Discount", "Discount"),
            simple("ServiceDate", "Date", FieldType::Date),
            text("Description", "Line Description", 255),
        ],
    )
}

fn product() -> ObjectDef {
    standard_object(
        "Product2",
        "Product",
        None,
        vec![
            required(text("Name", "Product Name", 255)),
            text("ProductCode", "Product Code", 255),
            simple("IsActive", "Active", FieldType::Checkbox),
            picklist(
                "Family",
                "Product Family",
                &["Hardware", "Software", "Services"],
                false,
            ),
            picklist(
                "QuantityUnitOfMeasure",
                "Quantity Unit Of Measure",
                &["Each", "Hour", "Kilogram"],
                false,
            ),
            long_text("Description", "Product Description", 4_000),
            simple(
                "DisplayDescription",
                "Display Description",
                FieldType::RichText { max_length: 32_768 },
            ),
        ],
    )
}

fn pricebook() -> ObjectDef {
    standard_object(
        "Pricebook2",
        "Price Book",
        None,
        vec![
            required(text("Name", "Price Book Name", 255)),
            simple("IsActive", "Active", FieldType::Checkbox),
            simple("IsStandard", "Is Standard Price Book", FieldType::Checkbox),
            text("Description", "Description", 255),
        ],
    )
}

fn pricebook_entry() -> ObjectDef {
    standard_object(
        "PricebookEntry",
        "Price Book Entry",
        Some("Pricebook2"),
        vec![
            required(lookup("Pricebook2Id", "Price Book", "Pricebook2")),
            required(lookup("Product2Id", "Product", "Product2")),
            required(currency("UnitPrice", "List Price")),
            simple("IsActive", "Active", FieldType::Checkbox),
            simple(
                "UseStandardPrice",
                "Use Standard Price",
                FieldType::Checkbox,
            ),
        ],
    )
}

fn case() -> ObjectDef {
    standard_object(
        "Case",
        "Case",
        None,
        vec![
            text("Subject", "Subject", 255),
            picklist(
                "Status",
                "Status",
                &["New", "Working", "Escalated", "Closed"],
                true,
            ),
            picklist("Priority", "Priority", &["High", "Medium", "Low"], false),
            picklist("Origin", "Case Origin", &["Phone", "Email", "Web"], false),
            picklist(
                "Type",
                "Type",
                &[
                    "Mechanical",
                    "Electrical",
                    "Electronic",
                    "Structural",
                    "Other",
                ],
                false,
            ),
            picklist(
                "Reason",
                "Case Reason",
                &[
                    "Installation",
                    "Equipment Complexity",
                    "Performance",
                    "Breakdown",
                    "Equipment Design",
                    "Feedback",
                    "Other",
                ],
                false,
            ),
            lookup("AccountId", "Account Name", "Account"),
            lookup("ContactId", "Contact Name", "Contact"),
            text("SuppliedName", "Web Name", 80),
            simple("SuppliedEmail", "Web Email", FieldType::Email),
            simple("SuppliedPhone", "Web Phone", FieldType::Phone),
            long_text("Description", "Description", 32_000),
        ],
    )
}

fn case_comment() -> ObjectDef {
    standard_object(
        "CaseComment",
        "Case Comment",
        Some("Case"),
        vec![
            required(lookup("ParentId", "Case", "Case")),
            long_text("CommentBody", "Body", 4_000),
            simple("IsPublished", "Published", FieldType::Checkbox),
        ],
    )
}

fn task() -> ObjectDef {
    standard_object(
        "Task",
        "Task",
        Some(ANY_PARENT),
        vec![
            text("Subject", "Subject", 255),
            picklist(
                "Status",
                "Status",
                &[
                    "Not Started",
                    "In Progress",
                    "Completed",
                    "Waiting on someone else",
                    "Deferred",
                ],
                true,
            ),
            picklist("Priority", "Priority", &["High", "Normal", "Low"], true),
            simple("ActivityDate", "Due Date", FieldType::Date),
            lookup("WhatId", "Related To", ANY_PARENT),
            lookup("WhoId", "Name", ANY_PARENT),
            simple("IsReminderSet", "Reminder Set", FieldType::Checkbox),
            simple(
                "ReminderDateTime",
                "Reminder Date/Time",
                FieldType::Datetime,
            ),
            long_text("Description", "Comments", 32_000),
        ],
    )
}

fn attachment() -> ObjectDef {
    standard_object(
        "Attachment",
        "Attachment",
        Some(ANY_PARENT),
        vec![
            required(lookup("ParentId", "Parent", ANY_PARENT)),
            required(text("Name", "File Name", 255)),
            text("ContentType", "Content Type", 120),
            // The content, base64 or text, as the ingesting system sends it.
            long_text("Body", "Body", 131_072),
            long_text("Description", "Description", 500),
            simple("IsPrivate", "Private", FieldType::Checkbox),
            // Shared with connections only when marked so (S2S "Share with Connections").
            simple("IsShared", "Share with Connections", FieldType::Checkbox),
            // The body's size in bytes, as the ingesting system reports it (the stored `Body`
            // may be a digest or a link): an attachment over 20 MB is never shared.
            range(number("BodyLength", "Body Length", 18, 0), 0.0, 1e18),
        ],
    )
}

#[cfg(test)]
mod tests;
