//! The types of the variables a rule condition sees, for checking conditions when rules load.
//! `world.rs` answers exactly these fields; a test there holds the two together.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    Str,
    Int,
    Bool,
    List(&'static Ty),
    Obj(Object),
    /// Unknown: not checked further.
    Dyn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Object {
    Component,
    ComponentRef,
    Flow,
    Data,
    DataAsset,
    Boundary,
    Runtime,
    Model,
    System,
}

const STR: Ty = Ty::Str;
const INT: Ty = Ty::Int;
const BOOL: Ty = Ty::Bool;
const STRS: Ty = Ty::List(&STR);
const REFS: Ty = Ty::List(&Ty::Obj(Object::ComponentRef));
const REF: Ty = Ty::Obj(Object::ComponentRef);
const FLOWS: Ty = Ty::List(&Ty::Obj(Object::Flow));
const DATAS: Ty = Ty::List(&Ty::Obj(Object::Data));

const COMPONENT_REF_FIELDS: &[(&str, Ty)] = &[
    ("id", STR),
    ("name", STR),
    ("kind", STR),
    ("technology", STR),
    ("traits", STRS),
    ("exposure", STR),
    ("internet_facing", BOOL),
    ("controls", STRS),
    ("boundary", STR),
    ("trust", INT),
    ("max_classification", STR),
    ("sensitivity", INT),
    ("categories", STRS),
    ("criticality", INT),
    ("out_of_scope", BOOL),
    // On a flow's ends too: whether people stand behind the forwarder a flow comes from, and
    // whether anyone but devices and systems stands behind a caller.
    ("password_logins", BOOL),
    ("delegated_logins", BOOL),
    ("assumed_logins", BOOL),
    ("unfiltered_web_traffic", BOOL),
    ("published_to_internet", BOOL),
    ("used_by_people", BOOL),
    ("serves_machines_only", BOOL),
    // Whether its pages and request handling are a vendor's product rather than the team's code.
    ("vendor_code", BOOL),
    ("anonymous_callers_only", BOOL),
    // Who reaches it, so that rules over a flow's ends or a runtime's members can compare how
    // exposed two components are, not only whether they face the internet.
    ("reachable_from_internet", BOOL),
    ("pulls_untrusted_input", BOOL),
    ("takes_untrusted_input", BOOL),
    ("internet_hops", INT),
    ("unauthenticated_path", BOOL),
    ("foothold", INT),
    ("stake", INT),
    // Whether it keeps, reads or writes confidential records, so a rule over a flow can tell a
    // backend acting on users' data from one that only computes or relays.
    ("reaches_records", BOOL),
    // Whether calling it changes anything, so a rule over an agent's tools can tell the ones
    // that write from look-ups.
    ("only_reads", BOOL),
    ("serves_tenants", BOOL),
    // The ids of the data it keeps, so that a rule over a zone's members can tell which keep
    // the data an element holds too (the originals beside a backup).
    ("stores", STRS),
    // The boundaries around it, innermost first, so that a rule can tell whether two components
    // share an account, a network or a site (a backup and the stores it copies).
    ("boundaries", STRS),
];

const COMPONENT_EXTRA_FIELDS: &[(&str, Ty)] = &[
    ("processes", STRS),
    ("data", DATAS),
    ("stored_data", DATAS),
    // What a store keeps, not what its callers send it (a login): the highest classification of
    // its stored data, or `max_classification` where it declares none.
    ("kept_classification", STR),
    ("received_data", DATAS),
    ("inbound", FLOWS),
    ("outbound", FLOWS),
    ("native_clients_only", BOOL),
    ("app_clients_only", BOOL),
    ("runtime", STR),
    ("runtime_peers", REFS),
    ("zone_peers", REFS),
    ("tags", STRS),
    ("has_code", BOOL),
    ("owner", STR),
];

const FLOW_FIELDS: &[(&str, Ty)] = &[
    ("id", STR),
    ("name", STR),
    ("source", REF),
    ("target", REF),
    ("protocol", STR),
    ("protocol_family", STR),
    ("encrypted", BOOL),
    ("local", BOOL),
    ("authentication", STR),
    ("authenticated", BOOL),
    ("authorization", STR),
    ("data", DATAS),
    ("returns", DATAS),
    ("all_data", DATAS),
    ("sensitivity", INT),
    ("max_classification", STR),
    ("categories", STRS),
    ("controls", STRS),
    ("usage", STR),
    ("readonly", BOOL),
    ("writes", BOOL),
    // A login being checked: only credentials sent, a credential answered (a Kerberos logon, an
    // LDAP bind), so a rule about reading or changing a store's data can tell it from access.
    ("login_check", BOOL),
    // Mail handed over SMTP to a mail server: taking mail from anyone is what it is for, so an
    // allow-list of senders or a check of their rights is no fix to ask of it.
    ("delivers_mail", BOOL),
    // Both ends in one network the team runs (a VPC, a cluster, a host, one site or zone): a VPN
    // has nothing to tunnel through there, so the transit rules do not suggest one.
    ("private_hop", BOOL),
    ("crosses", STRS),
    ("crosses_boundary", BOOL),
    ("into_more_trusted", BOOL),
    // The hops a forwarder joins: the flows into the flow's source that it passes on, and the
    // flows out of its target that pass it on. A plaintext connection through a load balancer
    // is one exposure, not one per hop.
    ("continues", FLOWS),
    ("continued_by", FLOWS),
    // Whose requests it carries: its source, or through a chain of forwarders the callers
    // before it (`on_behalf_of` honoured), so a rule asks who stands behind a hop once.
    ("callers", REFS),
    ("from_internet", BOOL),
    // Whether an outsider can send on it, so a rule about what anyone can make a service do
    // (spend, send, compute) asks the way in rather than whether the service faces the internet.
    ("outsider_path", BOOL),
    ("tags", STRS),
];

const DATA_FIELDS: &[(&str, Ty)] = &[
    ("id", STR),
    ("name", STR),
    ("classification", STR),
    ("sensitivity", INT),
    ("integrity", STR),
    ("availability", STR),
    ("integrity_level", INT),
    ("availability_level", INT),
    ("categories", STRS),
    ("personal", BOOL),
    ("untrusted_origin", BOOL),
    ("unvetted_origin", BOOL),
    ("reaches_devices", BOOL),
    ("firmware", BOOL),
    // Files people the team does not vet upload: of unvetted origin, sent by a person's client
    // into a service that takes uploaded files.
    ("uploaded_file", BOOL),
    ("quantity", STR),
    // Held by the many (quantity `many` or `very-many`): users' records, not a service's few.
    ("in_bulk", BOOL),
    ("tags", STRS),
    // Component references end there: a data asset in any list can say where it is kept.
    ("stored_by", REFS),
];

const DATA_ASSET_EXTRA_FIELDS: &[(&str, Ty)] = &[
    ("processed_by", REFS),
    ("flows", FLOWS),
    ("handled_by", REFS),
];

const BOUNDARY_FIELDS: &[(&str, Ty)] = &[
    ("id", STR),
    ("name", STR),
    ("kind", STR),
    ("trust", INT),
    ("trust_name", STR),
    ("parent", STR),
    ("children", STRS),
    ("components", REFS),
];

const RUNTIME_FIELDS: &[(&str, Ty)] = &[
    ("id", STR),
    ("name", STR),
    ("kind", STR),
    ("technology", STR),
    ("traits", STRS),
    ("components", REFS),
    ("zones", STRS),
    ("shares_nodes", BOOL),
];

const MODEL_FIELDS: &[(&str, Ty)] = &[
    ("system", Ty::Obj(Object::System)),
    ("components", REFS),
    ("flows", FLOWS),
    ("data", DATAS),
    ("boundaries", STRS),
];

const SYSTEM_FIELDS: &[(&str, Ty)] = &[("name", STR), ("criticality", INT)];

impl Object {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Object::Component => "component",
            Object::ComponentRef => "component_ref",
            Object::Flow => "flow",
            Object::Data => "data",
            Object::DataAsset => "data_asset",
            Object::Boundary => "boundary",
            Object::Runtime => "runtime",
            Object::Model => "model",
            Object::System => "system",
        }
    }

    /// Every field, in the order the documentation lists them.
    pub(crate) fn fields(self) -> Vec<(&'static str, Ty)> {
        match self {
            Object::Component => COMPONENT_REF_FIELDS
                .iter()
                .chain(COMPONENT_EXTRA_FIELDS)
                .copied()
                .collect(),
            Object::ComponentRef => COMPONENT_REF_FIELDS.to_vec(),
            Object::Flow => FLOW_FIELDS.to_vec(),
            Object::Data => DATA_FIELDS.to_vec(),
            Object::DataAsset => DATA_FIELDS
                .iter()
                .chain(DATA_ASSET_EXTRA_FIELDS)
                .copied()
                .collect(),
            Object::Boundary => BOUNDARY_FIELDS.to_vec(),
            Object::Runtime => RUNTIME_FIELDS.to_vec(),
            Object::Model => MODEL_FIELDS.to_vec(),
            Object::System => SYSTEM_FIELDS.to_vec(),
        }
    }

    pub(crate) fn field(self, name: &str) -> Option<Ty> {
        self.fields()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t)
    }
}

impl Ty {
    pub(crate) fn describe(self) -> String {
        match self {
            Ty::Str => "string".into(),
            Ty::Int => "int".into(),
            Ty::Bool => "bool".into(),
            Ty::List(inner) => format!("list<{}>", inner.describe()),
            Ty::Obj(o) => o.name().into(),
            Ty::Dyn => "any".into(),
        }
    }

    /// The type with its article, for messages: "an int", "a string".
    pub(crate) fn with_article(self) -> String {
        let name = self.describe();
        let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {name}")
    }

    /// Whether two types certainly differ (unknown types never do).
    pub(crate) fn conflicts(self, other: Ty) -> bool {
        match (self, other) {
            (Ty::Dyn, _) | (_, Ty::Dyn) => false,
            (Ty::List(a), Ty::List(b)) => a.conflicts(*b),
            (Ty::Obj(_), Ty::Obj(_)) => false,
            (a, b) => std::mem::discriminant(&a) != std::mem::discriminant(&b),
        }
    }
}
