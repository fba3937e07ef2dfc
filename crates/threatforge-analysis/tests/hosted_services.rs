//! Hosted services (source control, CI, SaaS) and the team's own edge: rules that read a code host
//! as a public bucket, a developer's push as an end user's request, or a load balancer's hop inside
//! the VPC as the internet (issue "Threats a security architect would sign").

mod support;

use support::{analyzed, threat};

use threatforge_analysis::Analysis;

fn found(analysis: &Analysis, id: &str) -> bool {
    threat(analysis, id).is_some()
}

/// A developer pushing to a hosted repository whose events start CI, next to a web portal.
const DEVELOPMENT: &str = "system: { name: t }
data:
  code: { classification: confidential }
  secrets: { classification: secret, categories: [credential] }
  accounts: { classification: confidential, categories: [personal] }
components:
  developer: { technology: user, exposure: internet }
  customer: { technology: browser, exposure: internet }
  repo: { technology: source-repository, exposure: internet, stores: [code] }
  ci: { technology: ci-pipeline, exposure: internet, processes: [code, secrets] }
  bastion: { technology: bastion-host, exposure: internet, processes: [secrets] }
  portal: { technology: web-application, exposure: internet, processes: [accounts] }
flows:
  - developer -> repo: { protocol: git-https, authentication: token, data: [code], returns: [code] }
  - repo -> ci: { name: Push events, protocol: https, data: [code] }
  - developer -> ci: { protocol: https, authentication: session, returns: [code] }
  - developer -> bastion: { protocol: ssh, authentication: credentials, data: [secrets] }
  - customer -> portal: { protocol: https, authentication: session, returns: [accounts] }
";

#[test]
fn per_request_authorization_is_asked_of_the_teams_applications_only() {
    let analysis = analyzed(DEVELOPMENT);
    // The code host's permissions are repository membership; a bastion's are OS accounts.
    assert!(!found(
        &analysis,
        "missing-authorization-of-user-requests:developer->repo"
    ));
    assert!(!found(
        &analysis,
        "missing-authorization-of-user-requests:developer->bastion"
    ));
    // The team's own portal still has to check each request.
    assert!(found(
        &analysis,
        "missing-authorization-of-user-requests:customer->portal"
    ));
}

#[test]
fn a_code_host_on_the_internet_is_not_a_public_bucket() {
    let analysis = analyzed(DEVELOPMENT);
    assert!(!found(&analysis, "public-storage-sensitive-data:repo"));
    let bucket = DEVELOPMENT.replace(
        "repo: { technology: source-repository",
        "repo: { technology: object-storage",
    );
    assert!(found(
        &analyzed(&bucket),
        "public-storage-sensitive-data:repo"
    ));
}

#[test]
fn a_repositorys_events_are_not_anonymous_requests_from_the_internet() {
    // The push event comes from the code host, which only authenticated developers write to.
    let analysis = analyzed(DEVELOPMENT);
    assert!(!found(
        &analysis,
        "unauthenticated-internet-access-to-sensitive-data:ci"
    ));
    // An anonymous caller of the same service is.
    let anonymous = DEVELOPMENT.replace(
        "- developer -> ci: { protocol: https, authentication: session, returns: [code] }",
        "- customer -> ci: { protocol: https, returns: [code] }",
    );
    assert!(found(
        &analyzed(&anonymous),
        "unauthenticated-internet-access-to-sensitive-data:ci"
    ));
}

#[test]
fn a_web_console_is_not_a_non_web_service_exposed_directly() {
    let analysis = analyzed(DEVELOPMENT);
    assert!(!found(&analysis, "unguarded-access-from-internet:ci"));
    // SSH straight from the internet is.
    let t = threat(&analysis, "unguarded-access-from-internet:bastion")
        .unwrap_or_else(|| panic!("SSH to the bastion is not found"));
    assert!(t.explanation.contains("over ssh"), "{}", t.explanation);
}

/// A device sends credentials in clear text over the internet to the load balancer, which calls
/// the API in clear text inside the team's network with a key of its own (a key the balancer
/// only passed on would be the device's exposure, reported once: `root_causes.rs`).
const EDGE: &str = "system: { name: t }
data:
  password: { classification: secret, categories: [credential] }
  lb-key: { classification: secret, categories: [credential] }
components:
  device: { technology: iot-device, exposure: internet }
  lb: { technology: load-balancer, exposure: internet }
  api: { technology: api-service, processes: [password] }
flows:
  - device -> lb: { protocol: http, authentication: credentials, data: [password] }
  - lb -> api: { protocol: http, authentication: api-key, data: [password, lb-key] }
";

#[test]
fn only_a_hop_on_a_network_the_team_does_not_control_is_exposed_directly() {
    let analysis = analyzed(EDGE);
    let direct = |id: &str| {
        threat(&analysis, id)
            .unwrap_or_else(|| panic!("{id} is not found"))
            .factors
            .iter()
            .any(|f| f.factor == "exposure" && f.effect > 0)
    };
    assert!(direct("credentials-over-unencrypted-flow:device->lb"));
    assert!(!direct("credentials-over-unencrypted-flow:lb->api"));
    let over_internet = threat(&analysis, "credentials-over-unencrypted-flow:device->lb");
    let inside = threat(&analysis, "credentials-over-unencrypted-flow:lb->api");
    assert!(
        over_internet.map(|t| t.inherent.score) > inside.map(|t| t.inherent.score),
        "the hop over the internet ranks above the one inside"
    );
}

#[test]
fn a_code_host_a_vendor_runs_is_not_asked_for_disk_encryption() {
    let hosted = DEVELOPMENT.replace(
        "repo: { technology: source-repository",
        "repo: { technology: source-repository, traits: [third-party]",
    );
    assert!(!found(
        &analyzed(&hosted),
        "unencrypted-sensitive-data-at-rest:repo"
    ));
    // Self-hosted, the code sits on the team's own disks and backups.
    assert!(found(
        &analyzed(DEVELOPMENT),
        "unencrypted-sensitive-data-at-rest:repo"
    ));
    let database = DEVELOPMENT.replace(
        "repo: { technology: source-repository",
        "repo: { technology: postgresql",
    );
    assert!(found(
        &analyzed(&database),
        "unencrypted-sensitive-data-at-rest:repo"
    ));
}

/// A partner calls the payments API, which writes to its own database in the data subnet.
const PAYMENTS: &str = "system: { name: t, criticality: critical }
data:
  payments: { classification: confidential, availability: critical }
components:
  partner: { technology: partner-system, exposure: internet }
  developer: { technology: user, exposure: internet }
  repo: { technology: source-repository, exposure: internet }
  api: { technology: api-service, processes: [payments] }
  db: { technology: postgresql, stores: [payments] }
flows:
  - partner -> api: { protocol: https, authentication: api-key, data: [payments] }
  - api -> db: { protocol: postgres-tls, authentication: credentials, data: [payments] }
  - developer -> repo: { protocol: git-https, authentication: token }
boundaries:
  app: { name: App subnet, trust: high, contains: [api] }
  data: { name: Data subnet, trust: high, contains: [db] }
";

#[test]
fn only_a_less_controlled_caller_is_a_denial_of_service_across_a_boundary() {
    let analysis = analyzed(PAYMENTS);
    assert!(found(&analysis, "dos-across-trust-boundary:partner->api"));
    // The API calling its own database, and a developer pushing code, flood nothing.
    assert!(!found(&analysis, "dos-across-trust-boundary:api->db"));
    assert!(!found(
        &analysis,
        "dos-across-trust-boundary:developer->repo"
    ));
}

#[test]
fn a_vendors_hosted_model_holds_no_weights_of_ours() {
    let model = |traits: &str| {
        format!(
            "system: {{ name: t }}
data:
  prompts: {{ classification: confidential, categories: [model] }}
components:
  app: {{ technology: api-service, exposure: internet, processes: [prompts] }}
  llm: {{ technology: llm-service, exposure: internet, traits: [{traits}], processes: [prompts] }}
flows:
  - app -> llm: {{ protocol: https, authentication: api-key, data: [prompts] }}
"
        )
    };
    assert!(!found(
        &analyzed(&model("third-party")),
        "llm-model-theft:llm"
    ));
    // The team's own model server, on the internet, serves its weights.
    assert!(found(&analyzed(&model("")), "llm-model-theft:llm"));
}

#[test]
fn a_service_only_its_repository_calls_is_no_flood_target() {
    let analysis = analyzed(DEVELOPMENT);
    // `ci` is marked internet-facing, but the team's developer calls it too: still a target.
    assert!(found(&analysis, "dos-of-internet-facing-service:ci"));
    let hosted = DEVELOPMENT.replace(
        "- developer -> ci: { protocol: https, authentication: session, returns: [code] }",
        "",
    );
    assert!(!found(
        &analyzed(&hosted),
        "dos-of-internet-facing-service:ci"
    ));
}

#[test]
fn mutual_tls_leaves_no_one_else_to_replay_a_message() {
    let partner = |authentication: &str, controls: &str| {
        format!(
            "system: {{ name: t }}
data:
  payment: {{ classification: confidential, integrity: critical }}
components:
  partner: {{ technology: partner-system, exposure: internet }}
  api: {{ technology: api-service, processes: [payment] }}
flows:
  - partner -> api: {{ protocol: https, authentication: {authentication}, data: [payment], controls: [{controls}] }}
"
        )
    };
    let open = |text: &str| {
        threat(&analyzed(text), "message-replay:partner->api").is_some_and(|t| t.is_open())
    };
    assert!(open(&partner("api-key", "")));
    assert!(!open(&partner("api-key", "mtls")));
    // A client certificate is mutual TLS, declared either way.
    assert!(!open(&partner("client-certificate", "")));
}

#[test]
fn an_api_key_flow_that_declares_no_data_reads_whole() {
    // `analyzed` fails on a rule-empty-value diagnostic: the sentence named no data before.
    let analysis = analyzed(
        "system: { name: t }
components:
  partner: { technology: partner-system, exposure: internet }
  api: { technology: api-service }
flows:
  - partner -> api: { protocol: https, authentication: api-key }
",
    );
    let t = threat(&analysis, "long-lived-api-key:partner->api")
        .unwrap_or_else(|| panic!("the static key is not found"));
    assert_eq!(
        &*t.explanation,
        "Calls from partner to api authenticate with a static API key over https."
    );
}
