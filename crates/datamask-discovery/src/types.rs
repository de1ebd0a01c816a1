//! The kinds of sensitive data discovery recognises (shared/PII_TYPES.md).

use serde::Serialize;

/// A kind of personal or secret data. The snake_case names are public: `scan --format json`
/// prints them and `init` writes them into comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiType {
    PersonName,
    FirstName,
    LastName,
    Email,
    Phone,
    Username,
    Password,
    DateOfBirth,
    Age,
    Gender,
    StreetAddress,
    PostalCode,
    City,
    Region,
    Country,
    Coordinates,
    IpAddress,
    MacAddress,
    DeviceId,
    Url,
    CreditCard,
    CardSecurity,
    Iban,
    BankAccount,
    SwiftBic,
    CryptoWallet,
    Ssn,
    NationalId,
    IdentityDocument,
    HealthId,
    VehicleId,
    Secret,
    Money,
    FreeText,
    Biometric,
}

impl PiiType {
    /// Every type, in a fixed order (ties between equal scores go to the earlier one).
    pub const ALL: [PiiType; 35] = [
        PiiType::Email,
        PiiType::CreditCard,
        PiiType::Iban,
        PiiType::Ssn,
        PiiType::NationalId,
        PiiType::Phone,
        PiiType::IpAddress,
        PiiType::MacAddress,
        PiiType::CryptoWallet,
        PiiType::Secret,
        PiiType::Password,
        PiiType::SwiftBic,
        PiiType::BankAccount,
        PiiType::CardSecurity,
        PiiType::DeviceId,
        PiiType::HealthId,
        PiiType::VehicleId,
        PiiType::IdentityDocument,
        PiiType::FirstName,
        PiiType::LastName,
        PiiType::PersonName,
        PiiType::Username,
        PiiType::StreetAddress,
        PiiType::PostalCode,
        PiiType::City,
        PiiType::Region,
        PiiType::Country,
        PiiType::Coordinates,
        PiiType::DateOfBirth,
        PiiType::Age,
        PiiType::Gender,
        PiiType::Url,
        PiiType::Money,
        PiiType::Biometric,
        PiiType::FreeText,
    ];

    /// The public name (`email`, `credit_card`...).
    pub fn name(self) -> &'static str {
        match self {
            PiiType::PersonName => "person_name",
            PiiType::FirstName => "first_name",
            PiiType::LastName => "last_name",
            PiiType::Email => "email",
            PiiType::Phone => "phone",
            PiiType::Username => "username",
            PiiType::Password => "password",
            PiiType::DateOfBirth => "date_of_birth",
            PiiType::Age => "age",
            PiiType::Gender => "gender",
            PiiType::StreetAddress => "street_address",
            PiiType::PostalCode => "postal_code",
            PiiType::City => "city",
            PiiType::Region => "region",
            PiiType::Country => "country",
            PiiType::Coordinates => "coordinates",
            PiiType::IpAddress => "ip_address",
            PiiType::MacAddress => "mac_address",
            PiiType::DeviceId => "device_id",
            PiiType::Url => "url",
            PiiType::CreditCard => "credit_card",
            PiiType::CardSecurity => "card_security",
            PiiType::Iban => "iban",
            PiiType::BankAccount => "bank_account",
            PiiType::SwiftBic => "swift_bic",
            PiiType::CryptoWallet => "crypto_wallet",
            PiiType::Ssn => "ssn",
            PiiType::NationalId => "national_id",
            PiiType::IdentityDocument => "identity_document",
            PiiType::HealthId => "health_id",
            PiiType::VehicleId => "vehicle_id",
            PiiType::Secret => "secret",
            PiiType::Money => "money",
            PiiType::FreeText => "free_text",
            PiiType::Biometric => "biometric",
        }
    }

    /// The type called `name`.
    pub fn parse(name: &str) -> Option<PiiType> {
        PiiType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The highest confidence the type can reach. Countries are coarse quasi-identifiers:
    /// worth a look, never a reason to stop a run.
    pub fn max_confidence(self) -> Confidence {
        match self {
            PiiType::Country => Confidence::Possible,
            _ => Confidence::Certain,
        }
    }
}

impl std::fmt::Display for PiiType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How sure discovery is. `Likely` and `Certain` findings make a run fail closed when no rule
/// names the column; `Possible` ones are advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Possible,
    Likely,
    Certain,
}

impl Confidence {
    /// The confidence a numeric score stands for (`None` below 0.3).
    pub fn from_score(score: f64) -> Option<Confidence> {
        if score >= 0.9 {
            Some(Confidence::Certain)
        } else if score >= 0.6 {
            Some(Confidence::Likely)
        } else if score >= 0.3 {
            Some(Confidence::Possible)
        } else {
            None
        }
    }

    /// `possible`, `likely` or `certain`.
    pub fn name(self) -> &'static str {
        match self {
            Confidence::Possible => "possible",
            Confidence::Likely => "likely",
            Confidence::Certain => "certain",
        }
    }
}

impl std::fmt::Display for Confidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
