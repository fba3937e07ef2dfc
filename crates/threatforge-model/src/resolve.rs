//! What a model element is once its defaults are applied: the kind and traits its technology
//! implies, the encryption its protocol implies. Later stages read these, never the raw fields.

use crate::catalog::catalog;
use crate::model::{Authentication, Authorization, Component, ComponentKind, Flow, Model, Rating};

impl Component {
    /// The kind given, else the technology's; `process` when neither is known.
    pub fn effective_kind(&self) -> ComponentKind {
        if let Some(kind) = &self.kind {
            return kind.value;
        }
        self.technology
            .as_ref()
            .and_then(|t| catalog().technology(&t.value))
            .map_or(ComponentKind::Process, |t| t.kind)
    }

    /// The technology's traits and the component's own, sorted and without repeats.
    pub fn effective_traits(&self) -> Vec<String> {
        let mut traits: Vec<String> = self
            .technology
            .as_ref()
            .and_then(|t| catalog().technology(&t.value))
            .map(|t| t.traits.clone())
            .unwrap_or_default();
        traits.extend(self.traits.iter().map(|t| t.value.clone()));
        traits.sort();
        traits.dedup();
        traits
    }

    /// Whether the component has the trait, by its technology or its own list (without building
    /// the list: facts ask this of every component).
    pub fn has_trait(&self, name: &str) -> bool {
        self.traits.iter().any(|t| t.value == name)
            || self
                .technology
                .as_ref()
                .and_then(|t| catalog().technology(&t.value))
                .is_some_and(|t| t.traits.iter().any(|x| x == name))
    }

    pub fn technology_id(&self) -> &str {
        self.technology.as_ref().map_or("", |t| t.value.as_str())
    }

    pub fn has_control(&self, control: &str) -> bool {
        self.controls.iter().any(|c| c.value == control)
    }

    pub fn is_out_of_scope(&self) -> bool {
        self.out_of_scope.is_some()
    }
}

impl Flow {
    /// Whether the flow is encrypted: as stated, else as its protocol implies, else not.
    pub fn is_encrypted(&self) -> bool {
        if let Some(encrypted) = self.attributes.encrypted {
            return encrypted;
        }
        let protocol = self
            .protocol
            .as_ref()
            .and_then(|p| catalog().protocol(&p.value));
        protocol.is_some_and(|p| p.encrypted)
            || self
                .controls
                .iter()
                .any(|c| c.value == "tls" || c.value == "mtls")
    }

    pub fn protocol_id(&self) -> &str {
        self.protocol.as_ref().map_or("", |p| p.value.as_str())
    }

    pub fn protocol_family(&self) -> &str {
        self.protocol
            .as_ref()
            .and_then(|p| catalog().protocol(&p.value))
            .map_or("", |p| p.family.as_str())
    }

    /// How the source proves who it is: as declared, else as a control on the flow proves it
    /// (mutual TLS, signed requests), else not at all.
    pub fn authentication(&self) -> Authentication {
        match self.attributes.authentication {
            Some(declared) => declared,
            None if self.has_control("mtls") => Authentication::ClientCertificate,
            None if self.has_control("message-signing") => Authentication::Signature,
            None => Authentication::None,
        }
    }

    pub fn authorization(&self) -> Authorization {
        self.attributes.authorization.unwrap_or(Authorization::None)
    }

    pub fn has_control(&self, control: &str) -> bool {
        self.controls.iter().any(|c| c.value == control)
    }
}

impl Model {
    /// A component's criticality: as declared; else what the data it processes or stores asks
    /// for (the highest availability rating among it, medium when it handles none), never above
    /// the system's. Criticality counts where it is declared or follows from the data, not
    /// everywhere by inheritance: the monitoring of a critical system is not itself critical.
    pub fn criticality_of(&self, component: &Component) -> Rating {
        component.criticality.unwrap_or_else(|| {
            component
                .processes
                .iter()
                .chain(&component.stores)
                .filter_map(|d| self.data.get(&d.value))
                .map(|d| d.availability)
                .max()
                .unwrap_or(Rating::Medium)
                .min(self.system_criticality())
        })
    }
}
