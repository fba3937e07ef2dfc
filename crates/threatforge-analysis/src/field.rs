//! The names of object attributes, resolved once when a rule is compiled, so reading a field while
//! evaluating is a jump, not a string comparison.

macro_rules! fields {
    ($($variant:ident = $name:literal,)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Field { $($variant),* }

        impl Field {
            pub fn from_name(name: &str) -> Option<Field> {
                match name { $($name => Some(Field::$variant),)* _ => None }
            }

            pub fn name(self) -> &'static str {
                match self { $(Field::$variant => $name),* }
            }
        }
    };
}

fields! {
    AllData = "all_data",
    Authenticated = "authenticated",
    Authentication = "authentication",
    Authorization = "authorization",
    Availability = "availability",
    AvailabilityLevel = "availability_level",
    Boundaries = "boundaries",
    Boundary = "boundary",
    Categories = "categories",
    Children = "children",
    Classification = "classification",
    Components = "components",
    ContinuedBy = "continued_by",
    Continues = "continues",
    Controls = "controls",
    Criticality = "criticality",
    Crosses = "crosses",
    CrossesBoundary = "crosses_boundary",
    Data = "data",
    Encrypted = "encrypted",
    Exposure = "exposure",
    Flows = "flows",
    Foothold = "foothold",
    FromInternet = "from_internet",
    HasCode = "has_code",
    Id = "id",
    Inbound = "inbound",
    Integrity = "integrity",
    IntegrityLevel = "integrity_level",
    InternetFacing = "internet_facing",
    InternetHops = "internet_hops",
    IntoMoreTrusted = "into_more_trusted",
    Kind = "kind",
    Local = "local",
    MaxClassification = "max_classification",
    Name = "name",
    NativeClientsOnly = "native_clients_only",
    AppClientsOnly = "app_clients_only",
    OutOfScope = "out_of_scope",
    Outbound = "outbound",
    Owner = "owner",
    Parent = "parent",
    Personal = "personal",
    ProcessedBy = "processed_by",
    Processes = "processes",
    Protocol = "protocol",
    ProtocolFamily = "protocol_family",
    PullsUntrustedInput = "pulls_untrusted_input",
    Quantity = "quantity",
    ReachableFromInternet = "reachable_from_internet",
    ReceivedData = "received_data",
    Readonly = "readonly",
    Returns = "returns",
    Runtime = "runtime",
    RuntimePeers = "runtime_peers",
    Sensitivity = "sensitivity",
    Source = "source",
    Stake = "stake",
    StoredBy = "stored_by",
    StoredData = "stored_data",
    Stores = "stores",
    System = "system",
    Tags = "tags",
    TakesUntrustedInput = "takes_untrusted_input",
    Target = "target",
    Technology = "technology",
    Traits = "traits",
    Trust = "trust",
    TrustName = "trust_name",
    UnauthenticatedPath = "unauthenticated_path",
    OutsiderPath = "outsider_path",
    UntrustedOrigin = "untrusted_origin",
    UnvettedOrigin = "unvetted_origin",
    ReachesDevices = "reaches_devices",
    HandledBy = "handled_by",
    UsedByPeople = "used_by_people",
    PasswordLogins = "password_logins",
    DelegatedLogins = "delegated_logins",
    AssumedLogins = "assumed_logins",
    UnfilteredWebTraffic = "unfiltered_web_traffic",
    PublishedToInternet = "published_to_internet",
    ServesMachinesOnly = "serves_machines_only",
    AnonymousCallersOnly = "anonymous_callers_only",
    ReachesRecords = "reaches_records",
    OnlyReads = "only_reads",
    ServesTenants = "serves_tenants",
    Usage = "usage",
    Writes = "writes",
    ZonePeers = "zone_peers",
    Zones = "zones",
    SharesNodes = "shares_nodes",
    Firmware = "firmware",
}
