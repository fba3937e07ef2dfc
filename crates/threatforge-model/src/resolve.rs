//! What a model element is once its defaults are applied: the kind and traits its technology
//! implies, the encryption its protocol implies. Later stages read these, never the raw fields.

use crate::catalog::catalog;
use crate::model::{Authentication, Authorization, Component, ComponentKind, Flow, Model, Rating};

/// Adds to `controls` those that the ones there imply (`implies` in the catalogue), each once.
fn with_implied(mut controls: Vec<&str>) -> Vec<&str> {
    let catalog = catalog();
    let mut i = 0;
    while i < controls.len() {
        if let Some(control) = catalog.control(controls[i]) {
            for implied in &control.implies {
                if !controls.contains(&implied.as_str()) {
                    controls.push(implied);
                }
            }
        }
        i += 1;
    }
    controls
}

impl Component {
    /// The controls in place on the component: those declared, and those they imply (a
    /// phishing-resistant second factor is a second factor).
    pub fn effective_controls(&self) -> Vec<&str> {
        with_implied(self.controls.iter().map(|c| c.value.as_str()).collect())
    }

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

    /// The controls in place on the flow: those declared, and the one its declared
    /// authentication is (a client certificate is mutual TLS, a signature is message signing),
    /// as `authentication` reads each of those controls as that authentication.
    pub fn effective_controls(&self) -> Vec<&str> {
        let mut controls: Vec<&str> = self.controls.iter().map(|c| c.value.as_str()).collect();
        let implied = match self.authentication() {
            Authentication::ClientCertificate => Some("mtls"),
            Authentication::Signature => Some("message-signing"),
            _ => None,
        };
        if let Some(control) = implied.filter(|c| !controls.contains(c)) {
            controls.push(control);
        }
        with_implied(controls)
    }
}

impl Model {
    /// The party a flow's data goes to: a third party it sends to (not a CDN or proxy passing it
    /// on), else a third party at its source (a partner's tool calling in and given data back),
    /// else the end the data travels to (the source where the flow only returns data). Grouping
    /// threats by recipient and a processing agreement's reach both read it.
    pub fn recipient_of<'f>(&self, flow: &'f Flow) -> &'f str {
        let third_party = |id: &str| {
            self.components
                .get(id)
                .is_some_and(|c| c.has_trait("third-party") && !c.has_trait("forwards-traffic"))
        };
        let (source, target) = (flow.source.value.as_str(), flow.target.value.as_str());
        if third_party(target) {
            target
        } else if third_party(source) || (flow.data.is_empty() && !flow.returns.is_empty()) {
            source
        } else {
            target
        }
    }

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

#[cfg(test)]
mod tests {
    #[test]
    fn a_flows_authentication_is_the_control_it_names() {
        let loaded = crate::load_str(
            "m.yaml",
            "system: { name: t }
components:
  a: { technology: api-service }
  b: { technology: api-service }
flows:
  - a -> b: { id: cert, protocol: https, authentication: client-certificate }
  - a -> b: { id: signed, protocol: https, authentication: signature, controls: [message-signing] }
  - a -> b: { id: key, protocol: https, authentication: api-key, controls: [rate-limiting] }
",
            std::path::Path::new("."),
            &Default::default(),
        );
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let controls = |id: &str| loaded.model.flows[id].effective_controls();
        assert_eq!(controls("cert"), ["mtls"]);
        // Declared already: named once.
        assert_eq!(controls("signed"), ["message-signing"]);
        assert_eq!(controls("key"), ["rate-limiting"]);
    }

    #[test]
    fn a_control_puts_in_place_the_controls_it_implies() {
        let loaded = crate::load_str(
            "m.yaml",
            "system: { name: t }
components:
  keys: { technology: identity-provider, controls: [phishing-resistant-mfa, audit-logging] }
  both: { technology: identity-provider, controls: [mfa, phishing-resistant-mfa] }
  codes: { technology: identity-provider, controls: [mfa] }
",
            std::path::Path::new("."),
            &Default::default(),
        );
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let controls = |id: &str| loaded.model.components[id].effective_controls();
        assert_eq!(
            controls("keys"),
            ["phishing-resistant-mfa", "audit-logging", "mfa"]
        );
        // Declared already: named once. A weaker control implies no stronger one.
        assert_eq!(controls("both"), ["mfa", "phishing-resistant-mfa"]);
        assert_eq!(controls("codes"), ["mfa"]);
    }
}
